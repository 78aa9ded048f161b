package feeds

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/canhbao/canhbao/store"
)

// maxKeyLen bounds an item key: bbolt keys must stay small, and a GUID
// longer than this is hashed instead.
const maxKeyLen = 512

// futureSlack is how far ahead of now a date may lie before it is taken as
// a mistake (a wrong year or time zone) and replaced by now.
const futureSlack = 48 * time.Hour

// normalise turns parsed items into alerts: clean text, absolute links,
// stable keys, dates, classification; duplicates (same key) are dropped
// and the rest sorted oldest first, undated items last in document order.
func normalise(src store.Source, base *url.URL, items []rawItem, now time.Time) []store.Alert {
	alerts := make([]store.Alert, 0, len(items))
	seen := make(map[string]struct{}, len(items))
	for i := range items {
		a := normaliseItem(src, base, &items[i], now)
		if _, dup := seen[a.Key]; dup {
			continue
		}
		seen[a.Key] = struct{}{}
		alerts = append(alerts, a)
	}
	slices.SortStableFunc(alerts, func(a, b store.Alert) int {
		switch {
		case a.Published.IsZero() && b.Published.IsZero():
			return 0
		case a.Published.IsZero():
			return 1
		case b.Published.IsZero():
			return -1
		}
		return a.Published.Compare(b.Published)
	})
	return alerts
}

func normaliseItem(src store.Source, base *url.URL, it *rawItem, now time.Time) store.Alert {
	title := Shorten(plainLine(it.title), titleLimit)
	text := PlainText(it.summary)
	full := text
	if it.content != "" && it.content != it.summary {
		c := PlainText(it.content)
		if text == "" {
			text, full = c, c
		} else if c != text {
			full = text + "\n\n" + c
		}
	}
	link := ""
	if u := absURL(base, squeeze(it.link)); u != nil {
		link = u.String()
	}
	if title == "" {
		first, _, _ := strings.Cut(text, "\n")
		title = cmp.Or(Shorten(first, 120), link)
	}
	summary := Shorten(text, SummaryLimit)
	if summary == title {
		summary = ""
	}

	published := it.published
	if published.IsZero() {
		published = it.updated
	}
	if !published.IsZero() {
		published = published.UTC()
		if !now.IsZero() && published.After(now.Add(futureSlack)) {
			published = now.UTC()
		}
	}

	c := Classify(title, full+"\n"+it.extra)
	if it.exploited {
		c.Exploited = true
		c.Severity = c.Severity.Max(store.SeverityHigh)
	}
	if it.floor != "" {
		c.Severity = c.Severity.Max(it.floor)
	}
	vendors := make([]string, 0, len(it.vendors)+len(c.Vendors))
	for _, v := range it.vendors {
		vendors = appendVendor(vendors, v)
	}
	for _, v := range c.Vendors {
		vendors = appendVendor(vendors, v)
	}
	if len(vendors) == 0 {
		vendors = nil
	}

	return store.Alert{
		Source:    src.Name,
		Key:       itemKey(it.guid, link, title, published),
		Title:     title,
		Summary:   summary,
		Link:      link,
		Published: published,
		Severity:  c.Resolve(src.Severity),
		Score:     c.Score,
		CVEs:      c.CVEs,
		Vendors:   vendors,
		Exploited: c.Exploited,
	}
}

// itemKey identifies an item within its source: its GUID, else its link,
// else a hash of title and date. RSS 1.0 has no GUID (gofeed leaves it
// empty), so the link is the usual key there.
func itemKey(guid, link, title string, published time.Time) string {
	key := squeeze(guid)
	if key == "" {
		key = link
	}
	if key == "" {
		date := ""
		if !published.IsZero() {
			date = published.Format(time.RFC3339)
		}
		return hashKey(title + "\n" + date)
	}
	if len(key) > maxKeyLen || !utf8.ValidString(key) {
		// Too long for a bbolt key, or bytes a JSON round trip would
		// change (and so never match again).
		return hashKey(key)
	}
	return key
}

func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// squeeze removes every white-space character: feeds such as VnExpress put
// line breaks inside <link> and <guid>, and neither a URL nor a GUID can
// hold raw white space.
func squeeze(s string) string {
	if strings.IndexFunc(s, isSpaceRune) < 0 {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, isSpaceRune), "")
}

func isSpaceRune(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0xa0:
		return true
	}
	return false
}

// absURL resolves ref against base and returns it when it is an http or
// https URL with a host; anything else (javascript:, mailto:, garbage) is
// nil, so that a chat never gets a link it should not follow.
func absURL(base *url.URL, ref string) *url.URL {
	if ref == "" {
		return nil
	}
	u, err := url.Parse(ref)
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	return u
}
