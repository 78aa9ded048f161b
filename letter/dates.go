package letter

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold lower-cases text and removes Vietnamese diacritics, so that what
// people type with or without them matches ("Hôm qua" = "hom qua").
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// clockWord is a time of day as people write it: "14:30", "14h30", "8h".
var clockWord = regexp.MustCompile(`^\d{1,2}(:\d{1,2}|h\d{0,2})$`)

// ErrFuture is returned for a discovery time after now.
var ErrFuture = errors.New("the time is in the future")

// ParseDiscovered reads when an incident was discovered, as people
// answer: "hôm nay" / "today" (now), "hôm qua" / "yesterday" (this time
// yesterday), "27/08", "27/08/2026", "27/08 14:30", "14:30 27/08/2026" or
// "14:30" (today). A day without a year is the latest such day not after
// today; a day without a time is taken at its start. Times are in loc.
func ParseDiscovered(text string, now time.Time, loc *time.Location) (time.Time, error) {
	now = now.In(loc)
	switch Fold(text) {
	case "hom nay", "today", "bay gio", "now", "vua xong":
		return now, nil
	case "hom qua", "yesterday":
		return now.AddDate(0, 0, -1), nil
	}
	var day, clock string
	for _, f := range strings.Fields(text) {
		switch {
		case strings.ContainsAny(f, "/-.") && day == "":
			day = f
		case clockWord.MatchString(strings.ToLower(f)):
			clock = f
		default:
			return time.Time{}, fmt.Errorf("%q is not a date like 27/08 or 27/08/2026 14:30", text)
		}
	}
	var d time.Time
	if day == "" {
		if clock == "" {
			return time.Time{}, fmt.Errorf("%q is not a date like 27/08 or 27/08/2026 14:30", text)
		}
		d = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	} else {
		var err error
		if d, err = parseDay(day, now, loc, false); err != nil {
			return time.Time{}, err
		}
	}
	if clock != "" {
		h, m, err := parseClock(clock)
		if err != nil {
			return time.Time{}, err
		}
		d = d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	if d.After(now.Add(time.Minute)) {
		return time.Time{}, ErrFuture
	}
	return d, nil
}

// parseDay reads "dd/mm" or "dd/mm/yyyy" (also with - or .). Without a
// year: for a past event, the latest such day not after today; for a
// future period, this year's unless it ended more than 30 days ago.
func parseDay(s string, now time.Time, loc *time.Location, future bool) (time.Time, error) {
	bad := fmt.Errorf("%q is not a date like 29/08 or 29/08/2026", s)
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) < 2 || len(parts) > 3 {
		return time.Time{}, bad
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return time.Time{}, bad
		}
		nums[i] = n
	}
	year, explicit := now.Year(), len(nums) == 3
	if explicit {
		year = nums[2]
		if year < 100 {
			year += 2000
		}
		if year < 2000 || year > 2200 {
			return time.Time{}, bad
		}
	}
	d := time.Date(year, time.Month(nums[1]), nums[0], 0, 0, 0, 0, loc)
	if nums[1] < 1 || nums[1] > 12 || nums[0] < 1 || d.Day() != nums[0] {
		return time.Time{}, fmt.Errorf("%q is not a day of the calendar", s)
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if !explicit {
		switch {
		case !future && d.After(today):
			d = d.AddDate(-1, 0, 0)
		case future && d.Before(today.AddDate(0, 0, -30)):
			d = d.AddDate(1, 0, 0)
		}
	}
	return d, nil
}

// parseClock reads "14:30", "14h30" or "8h".
func parseClock(s string) (h, m int, err error) {
	s = strings.ToLower(s)
	hs, ms, _ := strings.Cut(strings.Replace(s, "h", ":", 1), ":")
	if h, err = strconv.Atoi(hs); err != nil || h < 0 || h > 23 {
		return 0, 0, fmt.Errorf("%q is not a time like 14:30", s)
	}
	if ms != "" {
		if m, err = strconv.Atoi(ms); err != nil || m < 0 || m > 59 {
			return 0, 0, fmt.Errorf("%q is not a time like 14:30", s)
		}
	}
	return h, m, nil
}
