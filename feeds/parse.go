package feeds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"

	"github.com/canhbao/canhbao/store"
)

// ErrNotFeed is wrapped by the error for a document that is not what the
// source's kind expects: typically an HTML error or login page served with
// status 200 where a feed was expected.
var ErrNotFeed = errors.New("not a feed")

// Parse reads a fetched document of src into alerts, oldest first, by the
// source's kind: a feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed), the CISA KEV
// catalogue, or an HTML listing page read with src.Selectors. contentType is
// the HTTP Content-Type, whose charset wins over the document's own
// declaration; now bounds dates that lie in the future and anchors relative
// page dates ("2 giờ trước").
//
// Alerts have Source, Key, Title, Summary, Link, Published, Severity, CVEs,
// Vendors and Exploited set, and duplicate keys removed; ID, FirstSeen and
// Pushed are left for the store. A malformed document gives an error, never
// a panic: a document nested too deeply (ErrTooDeep) or made of too many
// elements (ErrTooMany, see MaxElements) is refused before any parser builds
// anything from it, and a panic in a parser on a hostile document becomes
// this source's error.
func Parse(src store.Source, body []byte, contentType string, now time.Time) (alerts []store.Alert, err error) {
	defer func() {
		// The last line of defence: a bug in a third-party parser must
		// cost one poll of one source, not the process.
		if r := recover(); r != nil {
			alerts, err = nil, fmt.Errorf("feeds: parse %s: parser failed on this document: %v", src.Name, r)
		}
	}()
	var (
		items []rawItem
		base  *url.URL
	)
	switch src.Kind {
	case store.KindFeed, "":
		items, base, err = parseFeed(src, body, contentType)
	case store.KindKEV:
		items, err = parseKEV(body, contentType)
	case store.KindPage:
		items, base, err = parsePage(src, body, contentType, now)
	default:
		err = fmt.Errorf("unknown source kind %q (want feed, kev or page)", src.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("feeds: parse %s: %w", src.Name, err)
	}
	return normalise(src, base, items, now), nil
}

// rawItem is one entry as a parser found it, before cleaning.
type rawItem struct {
	guid, link, title  string
	summary, content   string // HTML or plain text
	published, updated time.Time
	extra              string   // more text to classify (categories, extensions)
	vendors            []string // vendors named by structured data (KEV)
	exploited          bool     // known exploited (KEV)
	floor              store.Severity
	kev                *kevFacts // KEV entries: the catalogue's own fields
}

func parseFeed(src store.Source, body []byte, contentType string) ([]rawItem, *url.URL, error) {
	if err := notHTML(contentType, body, "a feed"); err != nil {
		return nil, nil, err
	}
	body, err := toUTF8(body, contentType)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFeedShape(body); err != nil {
		return nil, nil, err
	}
	feed, err := gofeedParse(body)
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, nil, fmt.Errorf("%w: not RSS, Atom or JSON Feed (it starts %q)", ErrNotFeed, head(body, 40))
	}
	if err != nil {
		return nil, nil, err
	}
	if len(feed.Items) == 0 && looksKEV(body) {
		return nil, nil, fmt.Errorf("%w: this is the CISA Known Exploited Vulnerabilities catalogue, which reads as an empty feed: use kind kev (add #kind=kev to the URL)", ErrNotFeed)
	}
	// Links are relative to the channel's own link (itself perhaps
	// relative to the document), else to the document's URL.
	doc := absURL(nil, src.URL)
	base := absURL(doc, strings.TrimSpace(feed.Link))
	if base == nil {
		base = doc
	}
	items := make([]rawItem, 0, len(feed.Items))
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		r := rawItem{
			guid:    it.GUID,
			link:    it.Link,
			title:   it.Title,
			summary: it.Description,
			content: it.Content,
			extra:   strings.Join(it.Categories, ", "),
		}
		if r.link == "" && len(it.Links) > 0 {
			r.link = it.Links[0]
		}
		if it.PublishedParsed != nil {
			r.published = *it.PublishedParsed
		}
		if it.UpdatedParsed != nil {
			r.updated = *it.UpdatedParsed
		}
		if s := secText(it.Extensions); s != "" {
			r.extra += "\n" + s
		}
		r.vendors = cpeVendors(it.Extensions)
		items = append(items, r)
	}
	return items, base, nil
}

// gofeedParse runs gofeed on a bounded, already-read body whose shape was
// checked; Parse recovers a panic. gofeed's search for an image in every
// item's HTML is turned off: canhbao shows no images, and it parsed each
// description into a tree (half the parse time, and hundreds of MB for
// descriptions made of tiny tags).
func gofeedParse(body []byte) (*gofeed.Feed, error) {
	p := gofeed.NewParser()
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p.Parse(bytes.NewReader(body))
}

// secText turns the JVN "sec:" RSS module (sec:cvss score, severity and
// vector; sec:references with CVE ids) into text the classifier reads.
func secText(exts ext.Extensions) string {
	sec := exts["sec"]
	if sec == nil {
		return ""
	}
	var b strings.Builder
	for _, e := range sec["cvss"] {
		if s := e.Attrs["score"]; s != "" {
			fmt.Fprintf(&b, "CVSS %s\n", s)
		}
		if s := e.Attrs["severity"]; s != "" {
			fmt.Fprintf(&b, "Severity: %s\n", s)
		}
		if s := e.Attrs["vector"]; s != "" {
			fmt.Fprintf(&b, "%s\n", s)
		}
	}
	// CVE ids only: the other references would name every host they point
	// at ("github.com") as a vendor.
	for _, e := range sec["references"] {
		if id := e.Attrs["id"]; strings.HasPrefix(strings.ToUpper(id), "CVE-") {
			fmt.Fprintf(&b, "%s\n", id)
		}
	}
	for _, e := range sec["cpe"] {
		fmt.Fprintf(&b, "%s %s\n", e.Attrs["vendor"], e.Attrs["product"])
	}
	return b.String()
}

// looksKEV reports whether a document is CISA's KEV catalogue, which gofeed
// silently reads as a JSON Feed with no items.
func looksKEV(body []byte) bool {
	if !bytes.Contains(body, []byte(`"cveID"`)) {
		return false
	}
	var probe struct {
		Vulnerabilities []struct {
			CVEID string `json:"cveID"`
		} `json:"vulnerabilities"`
	}
	return json.Unmarshal(body, &probe) == nil && len(probe.Vulnerabilities) > 0 && probe.Vulnerabilities[0].CVEID != ""
}

// notHTML fails for an HTML page where a feed or catalogue was expected,
// which is what a login wall, a bot challenge or a moved page looks like.
// A feed wrongly served as text/html still passes: its root element wins.
func notHTML(contentType string, body []byte, want string) error {
	mt, _, _ := mime.ParseMediaType(contentType)
	root := rootName(body)
	switch root {
	case "rss", "feed", "rdf:rdf", "rdf", "{", "[":
		return nil
	case "html":
	default:
		if mt != "text/html" && mt != "application/xhtml+xml" {
			return nil
		}
	}
	title := ""
	if t := pageTitle(body); t != "" {
		title = fmt.Sprintf(" %q", t)
	}
	return fmt.Errorf("%w: got %s page%s where %s was expected (check the URL, or use kind page)",
		ErrNotFeed, cmpOr(mt, "text/html"), title, want)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// rootName is the lower-case name of a document's first element, skipping
// a BOM, the XML declaration, comments and a doctype; "{" or "[" for JSON.
func rootName(body []byte) string {
	b := body[:min(len(body), 8192)]
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case len(b) == 0:
			return ""
		case b[0] == '{' || b[0] == '[':
			return string(b[:1])
		case b[0] != '<':
			return ""
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return ""
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return ""
			}
			b = b[i+3:]
		case bytes.HasPrefix(b, []byte("<!")):
			i := bytes.IndexByte(b, '>')
			if i < 0 {
				return ""
			}
			b = b[i+1:]
		default:
			end := bytes.IndexAny(b[1:], " \t\r\n/>")
			if end < 0 {
				return strings.ToLower(string(b[1:]))
			}
			return strings.ToLower(string(b[1 : 1+end]))
		}
	}
}

// pageTitle is the <title> of an HTML page, for error messages.
func pageTitle(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body[:min(len(body), 64<<10)]))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "title" {
				if z.Next() == html.TextToken {
					return Shorten(plainLine(string(z.Text())), 80)
				}
				return ""
			}
		}
	}
}

func head(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b[:min(len(b), n)]), "")
	return strings.TrimSpace(s)
}

// toUTF8 converts a document to UTF-8. A body that is already valid UTF-8
// is kept as it is, whatever it declares (servers often announce ISO-8859-1
// by default for UTF-8 feeds); otherwise the HTTP charset wins over the XML
// declaration (RFC 7303 §3.2), and windows-1252 is the last guess, as in
// browsers. The XML declaration is rewritten to UTF-8 so that the XML
// decoder does not convert a second time.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	if bytes.HasPrefix(body, []byte{0xfe, 0xff}) || bytes.HasPrefix(body, []byte{0xff, 0xfe}) {
		out, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("decode UTF-16: %w", err)
		}
		return fixDecl(out), nil
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	declared := xmlEncoding(body)
	if utf8.Valid(body) {
		if declared != "" && !isUTF8Label(declared) {
			return fixDecl(body), nil
		}
		return body, nil
	}
	label := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil && !isUTF8Label(params["charset"]) {
		label = params["charset"]
	}
	if label == "" && !isUTF8Label(declared) {
		label = declared
	}
	if label == "" {
		label = "windows-1252"
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return fixDecl(out), nil
}

func isUTF8Label(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "" || s == "utf-8" || s == "utf8"
}

// xmlEncoding returns the encoding of an XML declaration at the start of
// body, and "" when there is none.
func xmlEncoding(body []byte) string {
	start, end := declEncoding(body)
	if start < 0 {
		return ""
	}
	return string(body[start:end])
}

// declEncoding finds the value of encoding="…" in a leading XML
// declaration, as byte offsets, or -1.
func declEncoding(body []byte) (int, int) {
	b := body[:min(len(body), 512)]
	lead := len(b) - len(bytes.TrimLeft(b, " \t\r\n"))
	if !bytes.HasPrefix(b[lead:], []byte("<?xml")) {
		return -1, -1
	}
	decl := b[:bytes.Index(b, []byte("?>"))+1]
	if len(decl) == 0 {
		return -1, -1
	}
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return -1, -1
	}
	rest := decl[i+len("encoding"):]
	j := bytes.IndexAny(rest, `"'`)
	if j < 0 {
		return -1, -1
	}
	q := rest[j]
	k := bytes.IndexByte(rest[j+1:], q)
	if k < 0 {
		return -1, -1
	}
	start := i + len("encoding") + j + 1
	return start, start + k
}

// fixDecl rewrites the XML declaration's encoding to UTF-8.
func fixDecl(body []byte) []byte {
	start, end := declEncoding(body)
	if start < 0 || isUTF8Label(string(body[start:end])) {
		return body
	}
	out := make([]byte, 0, len(body))
	out = append(out, body[:start]...)
	out = append(out, "UTF-8"...)
	return append(out, body[end:]...)
}
