package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html/charset"

	"github.com/canhbao/canhbao/store"
)

// vietnam is the zone of dates written without one on a listing page: the
// pages this kind exists for are Vietnamese national sites (UTC+7, no DST).
var vietnam = time.FixedZone("ICT", 7*60*60)

// parsePage reads an HTML listing page with CSS selectors, for national
// centres that publish no feed. Zero matching items is an error: it almost
// always means the site changed its layout, which the department must hear.
func parsePage(src store.Source, body []byte, contentType string, now time.Time) ([]rawItem, *url.URL, error) {
	sel := src.Selectors
	if sel == nil || strings.TrimSpace(sel.Item) == "" {
		return nil, nil, errors.New("page source has no item selector (add #kind=page&item=… to the URL)")
	}
	if err := checkSelectors(*sel); err != nil {
		return nil, nil, err
	}
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return nil, nil, fmt.Errorf("page charset: %w", err)
	}
	if body, err = io.ReadAll(r); err != nil {
		return nil, nil, fmt.Errorf("page charset: %w", err)
	}
	if err := checkHTMLShape(body, pageLimits); err != nil {
		return nil, nil, err
	}
	// x/net/html refuses nesting past 512 open elements.
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("read HTML: %w", err)
	}
	base := absURL(nil, src.URL)
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if u := absURL(base, strings.TrimSpace(href)); u != nil {
			base = u
		}
	}
	found := doc.Find(sel.Item)
	if found.Length() == 0 {
		return nil, nil, fmt.Errorf("item selector %q matched nothing on the page (has the site changed its layout?)", sel.Item)
	}
	if found.Length() > pageLimits.entries {
		return nil, nil, fmt.Errorf("%w: item selector %q matched %d elements, more than %d", ErrTooMany, sel.Item, found.Length(), pageLimits.entries)
	}
	var items []rawItem
	found.Each(func(_ int, s *goquery.Selection) {
		it := rawItem{}
		titleSel := s
		if sel.Title != "" {
			titleSel = within(s, sel.Title)
		}
		it.title = nodeText(titleSel)
		it.link = pageLink(s, sel.Link)
		dateSel := s.Find("time[datetime]").First()
		if sel.Date != "" {
			dateSel = within(s, sel.Date)
		}
		if d, ok := dateSel.Attr("datetime"); ok {
			it.published = parsePageDate(d, sel.DateLayout, now)
		}
		if it.published.IsZero() {
			it.published = parsePageDate(dateSel.Text(), sel.DateLayout, now)
		}
		if it.published.IsZero() && sel.Date == "" {
			// No date selector: a date written anywhere in the item.
			it.published = parsePageDate(s.Text(), "", now)
		}
		if it.title == "" && it.link == "" {
			return
		}
		items = append(items, it)
	})
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("item selector %q matched %d elements but none had a title or a link", sel.Item, found.Length())
	}
	return items, base, nil
}

// checkSelectors reports a selector that does not parse, naming it; goquery
// would silently match nothing.
func checkSelectors(sel store.PageSelectors) error {
	for _, f := range []struct{ name, sel string }{
		{"item", sel.Item}, {"title", sel.Title}, {"link", sel.Link}, {"date", sel.Date},
	} {
		if f.sel == "" {
			continue
		}
		if _, err := cascadia.Compile(f.sel); err != nil {
			return fmt.Errorf("%s selector %q is not valid CSS: %w", f.name, f.sel, err)
		}
	}
	return nil
}

// within finds a selector inside an item, or the item itself when it is
// what the selector names (item "a.news" with link "a").
func within(s *goquery.Selection, selector string) *goquery.Selection {
	if f := s.Find(selector).First(); f.Length() > 0 {
		return f
	}
	if s.Is(selector) {
		return s
	}
	return s.Find(selector) // empty
}

// pageLink is the href of the link selector's element, of the first link
// inside it, of the item when it is a link, or of the item's first link.
func pageLink(s *goquery.Selection, selector string) string {
	var l *goquery.Selection
	switch {
	case selector != "":
		l = within(s, selector)
	case s.Is("a[href]"):
		l = s
	default:
		l = s.Find("a[href]").First()
	}
	if href, ok := l.Attr("href"); ok {
		return strings.TrimSpace(href)
	}
	if href, ok := l.Find("a[href]").First().Attr("href"); ok {
		return strings.TrimSpace(href)
	}
	return ""
}

// nodeText is the clean one-line text of the selection's first element.
func nodeText(s *goquery.Selection) string {
	if s.Length() == 0 {
		return ""
	}
	h, err := goquery.OuterHtml(s.First())
	if err != nil {
		return plainLine(s.First().Text())
	}
	return plainLine(h)
}

var (
	isoDateRe = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?`)
	dmyRe     = regexp.MustCompile(`(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})`)
	vnWordsRe = regexp.MustCompile(`(?i)(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*,\s*|\s+năm\s+|\s+)(\d{4})`)
	clockRe   = regexp.MustCompile(`(?:^|[^\d])(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})(?::(\d{2}))?(?:[^\d]|$)`)
	agoRe     = regexp.MustCompile(`(?i)(\d+)\s*(phút|giờ|ngày|tuần|minutes?|mins?|hours?|days?|weeks?)\s*(?:trước|ago)`)
)

// parsePageDate reads a date as Vietnamese sites write it: "26/11/2026",
// "26/11/2026 09:15", "09:15 26-11-2026", "Thứ năm, 26.11.2026",
// "26 tháng 11 năm 2026", ISO 8601, or "2 giờ trước" (relative to now).
// A layout, when given, is tried first. Times without a zone are Vietnam
// time. It returns the zero time when it finds no date.
func parsePageDate(text, layout string, now time.Time) time.Time {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return time.Time{}
	}
	if layout != "" {
		if t, err := time.ParseInLocation(layout, text, vietnam); err == nil {
			return t
		}
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t
	}
	if m := isoDateRe.FindStringSubmatch(text); m != nil {
		if t, ok := mkDate(m[1], m[2], m[3], m[4], m[5], m[6]); ok {
			if m[7] != "" {
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, zoneOf(m[7]))
			}
			return t
		}
	}
	var y, mo, d string
	if m := dmyRe.FindStringSubmatch(text); m != nil {
		d, mo, y = m[1], m[2], m[3]
	} else if m := vnWordsRe.FindStringSubmatch(text); m != nil {
		d, mo, y = m[1], m[2], m[3]
	}
	if y != "" {
		var h, mi, s string
		if c := clockRe.FindStringSubmatch(text); c != nil {
			h, mi, s = c[1], c[2], c[3]
		}
		if t, ok := mkDate(y, mo, d, h, mi, s); ok {
			return t
		}
		if t, ok := mkDate(y, mo, d, "", "", ""); ok {
			return t
		}
	}
	if m := agoRe.FindStringSubmatch(text); m != nil && !now.IsZero() {
		n, _ := strconv.Atoi(m[1])
		unit := time.Minute
		switch u := strings.ToLower(m[2]); {
		case strings.HasPrefix(u, "giờ"), strings.HasPrefix(u, "hour"):
			unit = time.Hour
		case strings.HasPrefix(u, "ngày"), strings.HasPrefix(u, "day"):
			unit = 24 * time.Hour
		case strings.HasPrefix(u, "tuần"), strings.HasPrefix(u, "week"):
			unit = 7 * 24 * time.Hour
		}
		return now.Add(-time.Duration(n) * unit)
	}
	return time.Time{}
}

// zoneOf turns "Z", "+07:00" or "+0700" into a location.
func zoneOf(z string) *time.Location {
	if z == "Z" || len(z) < 5 {
		return time.UTC
	}
	h, _ := strconv.Atoi(z[1:3])
	m, _ := strconv.Atoi(strings.TrimPrefix(z[3:], ":"))
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off)
}

// mkDate builds a Vietnam-time date from numbers, refusing impossible ones
// (31/02) instead of letting time.Date roll them over.
func mkDate(y, mo, d, h, mi, s string) (time.Time, bool) {
	num := func(s string) int {
		n, _ := strconv.Atoi(s)
		return n
	}
	Y, M, D, H, Mi, S := num(y), num(mo), num(d), num(h), num(mi), num(s)
	if Y < 1990 || Y > 2200 || M < 1 || M > 12 || D < 1 || H > 23 || Mi > 59 || S > 59 {
		return time.Time{}, false
	}
	t := time.Date(Y, time.Month(M), D, H, Mi, S, 0, vietnam)
	if t.Day() != D {
		return time.Time{}, false
	}
	return t, true
}
