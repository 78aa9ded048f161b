package feeds

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed/extensions"

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
// It empties items as it goes.
func normalise(src store.Source, base *url.URL, items []rawItem, now time.Time) []store.Alert {
	alerts := make([]store.Alert, 0, len(items))
	seen := make(map[string]struct{}, len(items))
	for i := range items {
		a := normaliseItem(src, base, &items[i], now)
		// The raw item (its HTML) is not needed again: let it go while
		// the rest of a large document is read.
		items[i] = rawItem{}
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
	text := dropScraps(PlainText(it.summary))
	full := text
	if it.content != "" && it.content != it.summary {
		c := dropScraps(PlainText(it.content))
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
	summary := dropStub(Shorten(text, SummaryLimit))
	if summary == title {
		summary = ""
	}

	published := it.published
	if published.IsZero() {
		published = it.updated
	}
	dateOnly := it.kev != nil
	if !published.IsZero() {
		if h, m, sec := published.Clock(); h == 0 && m == 0 && sec == 0 && published.Nanosecond() == 0 {
			// Midnight in the source's own zone: a date without a time
			// (CERT-FR, IPA). Keep the source's calendar day.
			dateOnly = true
		}
		if dateOnly {
			y, mo, d := published.Date()
			published = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		} else {
			published = published.UTC()
		}
		if !now.IsZero() && published.After(now.Add(futureSlack)) {
			published, dateOnly = now.UTC(), false
		}
	}

	c := Classify(title, full+"\n"+it.extra)
	c.Related = append(c.Related, relatedOfKEV(it, &c)...)
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

	a := store.Alert{
		Source:          src.Name,
		SourceTitle:     src.Title,
		Key:             itemKey(it.guid, link, title, published),
		Title:           title,
		Summary:         summary,
		Link:            link,
		Published:       published,
		DateOnly:        dateOnly,
		Severity:        c.Resolve(src.Severity),
		SeverityDefault: c.Severity.Normal() == store.SeverityUnknown && src.Severity.Normal() != store.SeverityUnknown,
		Score:           c.Score,
		CVEs:            c.CVEs,
		Related:         c.Related,
		Vendors:         vendors,
		Exploited:       c.Exploited,
		News:            c.News && it.kev == nil && !it.exploited,
		Hash:            contentHash(title, full, it.updated),
	}
	if a.News {
		// News carries no severity: neither the default nor a badge.
		a.Severity, a.SeverityDefault = store.SeverityUnknown, false
	}
	if k := it.kev; k != nil {
		a.Ransomware, a.Action, a.Due = k.ransomware, k.action, k.due
	}
	return a
}

// contentHash is a digest of what a source says about an item, so that a
// revision under the same key is noticed.
func contentHash(title, text string, updated time.Time) string {
	h := fnv.New128a()
	h.Write([]byte(title))
	h.Write([]byte{0})
	h.Write([]byte(text))
	if !updated.IsZero() {
		h.Write([]byte{0})
		h.Write([]byte(updated.UTC().Format(time.RFC3339)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// scraps are paragraphs that are page furniture, not text: CISA's
// advisories start "View CSAF", "Summary".
var scraps = []string{"view csaf", "summary", "view cve details", "expand all", "expand all +", "collapse all",
	"back to top", "read more", "xem thêm", "chi tiết", "share", "print"}

// dropScraps removes paragraphs that are page furniture.
func dropScraps(text string) string {
	if text == "" {
		return text
	}
	if !hasScrap(text) {
		return text
	}
	paras := strings.Split(text, "\n\n")
	out := paras[:0]
	for _, p := range paras {
		if slices.Contains(scraps, strings.ToLower(strings.TrimSpace(strings.Trim(p, "/|•")))) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, "\n\n")
}

// hasScrap reports, without allocating, whether a paragraph of text is
// page furniture.
func hasScrap(text string) bool {
	for rest := text; rest != ""; {
		p, after, _ := strings.Cut(rest, "\n\n")
		rest = after
		if p = strings.TrimSpace(strings.Trim(p, "/|•")); len(p) <= 20 && slices.ContainsFunc(scraps, func(s string) bool { return strings.EqualFold(s, p) }) {
			return true
		}
	}
	return false
}

// dropStub removes a last paragraph that the cut reduced to a stub: a
// word or two ("CVSS…"), or part of a table ("CVSS | Vendor |
// Equipment…", the header row of CISA's ICS advisories whose values did
// not fit), which reads as scrap without the rest. The classification
// still reads the whole text, table included.
func dropStub(summary string) string {
	i := strings.LastIndex(summary, "\n\n")
	if i < 0 || !strings.HasSuffix(summary, "…") {
		return summary
	}
	if last := summary[i+2:]; len(strings.Fields(last)) <= 2 || isTable(last) {
		return strings.TrimRight(summary[:i], " \n")
	}
	return summary
}

// isTable reports whether a paragraph of plain text is a table: PlainText
// starts every table on a paragraph of its own and joins a row's cells
// with " | ".
func isTable(paragraph string) bool {
	first, _, _ := strings.Cut(paragraph, "\n")
	return strings.Contains(first, " | ")
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

// cpeVendors reads JVN's structured product data (sec:cpe vendor="…"
// product="…"): the vendor, then the product when it is not merely the
// vendor's name again.
func cpeVendors(exts ext.Extensions) []string {
	var out []string
	for _, e := range exts["sec"]["cpe"] {
		v, p := strings.TrimSpace(e.Attrs["vendor"]), strings.TrimSpace(e.Attrs["product"])
		out = appendVendor(out, v)
		if p != "" && !strings.EqualFold(p, v) && !strings.HasPrefix(strings.ToLower(p), strings.ToLower(v)+" ") {
			out = appendVendor(out, p)
		}
	}
	return out
}

// relatedOfKEV moves the CVE ids a KEV entry's description mentions out of
// its own: an entry is about its cveID alone.
func relatedOfKEV(it *rawItem, c *Classification) []string {
	if it.kev == nil || it.guid == "" {
		return nil
	}
	var rel []string
	own := c.CVEs[:0:0]
	for _, id := range c.CVEs {
		if id == it.guid {
			own = append(own, id)
		} else {
			rel = append(rel, id)
		}
	}
	if len(own) == 0 {
		return nil
	}
	c.CVEs = own
	return rel
}
