package feeds

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/canhbao/canhbao/store"
)

// tagLike is an HTML tag: "<" or "</" then a letter.
var tagLike = regexp.MustCompile(`</?[A-Za-z]`)

// FuzzParse feeds arbitrary bytes to every parser and to the text cleaner.
// Its seed corpus (the real fixtures and nasty strings) runs with the
// normal tests; run `go test -fuzz FuzzParse ./feeds` to explore.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"",
		"<",
		"<<b>x",
		"</",
		"<\u212a>",
		"0<title/><A0",
		"<\x00b>x</\x00b>",
		"a<script>alert(1)",
		"<p>a</p><p>b</p>",
		"versions < 2.4 & later",
		"&amp;nbsp; &#0; &#xD800; &#x110000; &unknown;",
		"\xff\xfe<\x00r\x00s\x00s\x00",
		"\xef\xbb\xbf<?xml version='1.0' encoding='x-unknown'?><rss/>",
		`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><item><title>` + "\xe9\xe8" + `</title></item></channel></rss>`,
		`<rss version="2.0"><channel><item><title><![CDATA[<img src=x onerror=alert(1)>Hi <b>there</b>]]></title><link>javascript:alert(1)</link></item></channel></rss>`,
		`<rss version="2.0"><channel><item><guid>` + strings.Repeat("g", 2000) + `</guid></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;b&gt;x</title><link href="::"/></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1","items":[{"id":1,"title":["x"],"url":{}}]}`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"title":"\u003cscript\u003ex\u003c/script\u003eok","content_html":"<textarea><b>"}]}`,
		`{"vulnerabilities":[{"cveID":"CVE-2024-1"},{"cveID":""},{}]}`,
		`<html><body><ul class="news"><li><a href="//x">Cảnh báo 31/02/2026</a></li><li></li></ul></body></html>`,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H CVSS 99,99 CVSS v CVSS 3.",
		strings.Repeat("<div>", 5000),
		// Nesting past the limits, and markup that only looks nested.
		`<rss version="2.0" xmlns:x="u:x"><channel><item><title>t</title>` + strings.Repeat("<x:a>", MaxXMLDepth+1),
		`<rss version="2.0"><channel><item><title>t</title>` + strings.Repeat(`<a t="/>">`, MaxXMLDepth+1),
		`<rss version="2.0"><channel><item><title>t</title>` + strings.Repeat(`<a/><!-- <b> --><![CDATA[<c>]]>`, 300),
		`<!DOCTYPE x "a>b<!--c" ><rss version="2.0"><channel><item><title>t</title>` + strings.Repeat("<a>", MaxXMLDepth) + `--></item></channel></rss>`,
		`<rss version="2.0"><channel><item><title>t</title>` + strings.Repeat("<\x01a>", MaxXMLDepth+1),
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"title":` + strings.Repeat("[", MaxJSONDepth+1),
		`{"items":[{"title":"` + strings.Repeat(`[\"`, 100) + `"}]}`,
		`{"vulnerabilities":[{"cveID":"CVE-2024-1","x":` + strings.Repeat(`{"a":`, MaxJSONDepth) + `1` + strings.Repeat("}", MaxJSONDepth) + `}]}`,
		// Entity tricks: a small billion laughs, an external entity,
		// references of references.
		`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "&b;&b;&b;&b;"><!ENTITY b "&c;&c;&c;&c;"><!ENTITY c "lol"><!ENTITY e SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><item><title>&a;&e;</title></item></channel></rss>`,
		`<rss version="2.0"><channel><item><title>&amp;amp;lt;b&amp;gt; &#x26;#x26; &lt;&lt;b&gt;</title></item></channel></rss>`,
	} {
		f.Add([]byte(s))
	}
	page := &store.PageSelectors{Item: "li, item, entry, a", Date: "time, .date"}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, src := range []store.Source{
			{Name: "feed", URL: "https://example.org/feed", Kind: store.KindFeed, Severity: store.SeverityLow},
			{Name: "kev", URL: "https://example.org/kev.json", Kind: store.KindKEV},
			{Name: "page", URL: "https://example.org/list", Kind: store.KindPage, Selectors: page},
		} {
			alerts, err := Parse(src, data, "", testNow)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "feeds: parse "+src.Name+": ") {
					t.Fatalf("error without context: %v", err)
				}
				continue
			}
			keys := map[string]bool{}
			for _, a := range alerts {
				if a.Key == "" || !utf8.ValidString(a.Key) || len(a.Key) > maxKeyLen {
					t.Fatalf("bad key %q", a.Key)
				}
				if keys[a.Key] {
					t.Fatalf("duplicate key %q", a.Key)
				}
				keys[a.Key] = true
				if !utf8.ValidString(a.Title) || !utf8.ValidString(a.Summary) || !utf8.ValidString(a.Link) {
					t.Fatalf("invalid UTF-8 in %+v", a)
				}
				if strings.Contains(a.Title, "\n") || utf8.RuneCountInString(a.Summary) > SummaryLimit {
					t.Fatalf("bad title or summary %+v", a)
				}
				if !strings.Contains(string(data), "&") && !strings.Contains(string(data), `\u0026`) && tagLike.MatchString(a.Title) {
					t.Fatalf("markup survived in title %q", a.Title)
				}
				if a.Link != "" && !strings.HasPrefix(a.Link, "http://") && !strings.HasPrefix(a.Link, "https://") {
					t.Fatalf("unsafe link %q", a.Link)
				}
				if a.Severity.Normal() != a.Severity {
					t.Fatalf("severity %q", a.Severity)
				}
				if a.Published.After(testNow.Add(futureSlack)) {
					t.Fatalf("future date %v", a.Published)
				}
			}
		}

		// The shape checks never see less nesting than the decoders
		// behind the parsers do.
		if d := xmlTokenDepth(data); d > 0 && checkXMLShape(data, shapeLimits{depth: d - 1, elements: MaxElements, entries: MaxEntries, field: MaxFieldBytes}) == nil {
			t.Fatalf("XML depth %d not found by the shape check", d)
		}
		if d := jsonTokenDepth(data); d > 0 && checkJSONShape(data, shapeLimits{depth: d - 1, elements: MaxElements, entries: MaxEntries}) == nil {
			t.Fatalf("JSON depth %d not found by the shape check", d)
		}

		s := string(data)
		txt := PlainText(s)
		if !utf8.ValidString(txt) {
			t.Fatalf("PlainText gave invalid UTF-8 %q", txt)
		}
		if !strings.Contains(s, "&") && tagLike.MatchString(txt) {
			t.Fatalf("markup survived: %q → %q", s, txt)
		}
		if sh := Shorten(txt, 50); utf8.RuneCountInString(sh) > 50 || !utf8.ValidString(sh) {
			t.Fatalf("Shorten: %q", sh)
		}
		_ = Classify(s, txt)
	})
}

// xmlTokenDepth is the deepest element gofeed's decoder reaches in data
// (non-strict, C0 controls dropped, as gofeed reads it).
func xmlTokenDepth(data []byte) int {
	d := xml.NewDecoder(&controlCharFilter{r: bytes.NewReader(data)})
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	depth, deepest := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return deepest
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			deepest = max(deepest, depth)
		case xml.EndElement:
			depth--
		}
	}
}

// jsonTokenDepth is the deepest object or array encoding/json reaches in
// data.
func jsonTokenDepth(data []byte) int {
	d := json.NewDecoder(bytes.NewReader(data))
	depth, deepest := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			deepest = max(deepest, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}
