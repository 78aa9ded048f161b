package letter

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The ways a watch period's days can be wrong, for answers in the
// user's language.
var (
	ErrNotADay       = errors.New("not a day like 29/08 or 29/08/2026")
	ErrEndFirst      = errors.New("the last day is before the first")
	ErrPeriodOver    = errors.New("the period is already over")
	ErrPeriodTooLong = errors.New("a watch period is at most 62 days")
)

// MaxPeriod bounds a watch period: a holiday watch, not a standing rota.
const MaxPeriod = 62 * 24 * time.Hour

// ParsePeriod reads the days of a watch period as the department writes
// them ("29/08 04/09", "29/08/2026 04/09/2026") and returns the start of
// the first day and the end of the last (the start of the day after).
// Days without a year are this year's, or next year's when the day is
// long past; a period may cross the new year ("28/12 03/01").
func ParsePeriod(first, last string, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	now = now.In(loc)
	if from, err = parseDay(first, now, loc, true); err != nil {
		return from, to, fmt.Errorf("%w: %s", ErrNotADay, err)
	}
	end, err := parseDay(last, now, loc, true)
	if err != nil {
		return from, to, fmt.Errorf("%w: %s", ErrNotADay, err)
	}
	if next := end.AddDate(1, 0, 0); end.Before(from) && strings.Count(last, "/")+strings.Count(last, "-")+strings.Count(last, ".") < 2 &&
		next.Sub(from) < MaxPeriod {
		end = next // across the new year: 28/12 03/01
	}
	to = end.AddDate(0, 0, 1)
	switch {
	case end.Before(from):
		return from, to, ErrEndFirst
	case !to.After(now):
		return from, to, ErrPeriodOver
	case to.Sub(from) > MaxPeriod:
		return from, to, ErrPeriodTooLong
	}
	return from, to, nil
}

// DutyEntry is one person on duty as a group registered them: the whole
// period, or one day when Day is set.
type DutyEntry struct {
	Day   time.Time
	Name  string
	Phone string
	// Self is set for "tôi" (me): the sender, mentioned by their Telegram
	// account.
	Self bool
	// Username is the @username written in the entry (without "@"):
	// the text "@username" mentions that person in a group.
	Username string
	// UserID is the account of a person picked from the group's members
	// in Telegram (a mention without username), so that alerts can
	// mention them.
	UserID int64
}

// Mention is a person the /duty message mentions by Telegram account: the
// bytes [Start, End) of the roster's text that name them.
type Mention struct {
	Start, End int
	UserID     int64
}

// username matches a Telegram @username: 5 to 32 letters, digits and
// underscores, a letter first.
var username = regexp.MustCompile(`^@([A-Za-z][A-Za-z0-9_]{4,31})$`)

// ParseRoster reads who is on duty, as a group writes it after /duty:
// entries separated by new lines or ";", each a name and a phone
// ("Nguyễn Văn An 0912 345 678"), or "tôi" (me) with an optional phone,
// optionally led by a day of the period for groups that rotate
// ("30/08 Trần Thị Bình 0987 654 321"). Days must fall within [from, to).
// A person named by @username, or mentioned by account (mentions), can
// be reached in Telegram: the phone is optional for them too.
func ParseRoster(text string, from, to time.Time, loc *time.Location, mentions ...Mention) ([]DutyEntry, error) {
	var out []DutyEntry
	start := 0
	for end := 0; end <= len(text); end++ {
		if end < len(text) && text[end] != '\n' && text[end] != ';' {
			continue
		}
		raw, rawStart := text[start:end], start
		start = end + 1
		words := strings.Fields(strings.Trim(strings.TrimSpace(raw), ",."))
		if len(words) == 0 {
			continue
		}
		var e DutyEntry
		if strings.ContainsAny(words[0], "/") {
			day, err := parseDay(words[0], from, loc, true)
			if err != nil {
				return nil, err
			}
			if day.Before(from) {
				day = day.AddDate(1, 0, 0)
			}
			if day.Before(from) || !day.Before(to) {
				return nil, fmt.Errorf("%s is not a day of the period", words[0])
			}
			e.Day, words = day, words[1:]
		}
		// The phone is the run of number-like words at the end.
		cut := len(words)
		for cut > 0 && phoneLike(words[cut-1]) {
			cut--
		}
		e.Name, e.Phone = strings.Join(words[:cut], " "), strings.Join(words[cut:], " ")
		switch Fold(e.Name) {
		case "toi", "me", "minh":
			e.Self, e.Name = true, ""
		}
		for _, w := range words[:cut] {
			if m := username.FindStringSubmatch(strings.TrimRight(w, ",.:;)")); m != nil && e.Username == "" {
				e.Username = m[1]
			}
		}
		for _, m := range mentions {
			if m.Start >= rawStart && m.End <= end && e.UserID == 0 && !e.Self {
				e.UserID = m.UserID
			}
		}
		if e.Phone != "" {
			if _, ok := Phone(e.Phone); !ok {
				return nil, fmt.Errorf("%q is not a phone number", e.Phone)
			}
		}
		switch {
		case !e.Self && e.Name == "":
			return nil, fmt.Errorf("%q names nobody", strings.TrimSpace(raw))
		case !e.Self && e.Phone == "" && e.Username == "" && e.UserID == 0:
			return nil, fmt.Errorf("%q has no phone number", strings.TrimSpace(raw))
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("nobody is named")
	}
	return out, nil
}

// phoneLike reports whether a word can be part of a phone number.
func phoneLike(w string) bool {
	digits, ok := phoneDigits(w)
	return ok && digits > 0
}
