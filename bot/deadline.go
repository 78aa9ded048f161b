package bot

import (
	"regexp"
	"strconv"
	"time"
)

// deadlineRe finds the deadline the department writes in an advisory:
// "hạn: 05/09", "Hạn xử lý 05/09/2026", "thời hạn: 5-9-2026",
// "deadline: 05.09". Day first, as Vietnamese dates are written.
var deadlineRe = regexp.MustCompile(`(?i)(?:^|[\s(,;.])(?:hạn xử lý|hạn chót|thời hạn|hạn|han xu ly|han|deadline|due)\s*[:：]?\s*(?:trước\s+)?(?:ngày\s+)?(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\b`)

// deadlineIn returns the deadline written in an advisory's text, as the
// day (midnight UTC, like KEV's due dates), or zero when there is none. A
// day without a year is the next such day from today (in the
// department's zone): "05/09" written in December means next September.
func deadlineIn(text string, today time.Time) time.Time {
	m := deadlineRe.FindStringSubmatch(text)
	if m == nil {
		return time.Time{}
	}
	day, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	year := today.Year()
	if m[3] != "" {
		year, _ = strconv.Atoi(m[3])
		if year < 100 {
			year += 2000
		}
	}
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if d.Day() != day || d.Month() != time.Month(month) {
		return time.Time{} // 31/02 is no date
	}
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if m[3] == "" && d.Before(start) {
		d = d.AddDate(1, 0, 0)
	}
	return d
}
