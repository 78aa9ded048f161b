package feeds

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shapeTestLimits are small limits, so that short inputs reach each of
// them, and the real ones.
var shapeTestLimits = []shapeLimits{
	{depth: 3, elements: 12, entries: 2, field: 40},
	{depth: 6, elements: 40, entries: 5, field: 200},
	xmlLimits,
}

// checkQuickShape fails when quickXMLShape answers otherwise than the scan
// with encoding/xml, and reports whether it answered.
func checkQuickShape(t *testing.T, doc []byte) bool {
	t.Helper()
	answered := true
	for _, lim := range shapeTestLimits {
		got, ok := quickXMLShape(doc, lim)
		want := scanXMLShape(doc, lim)
		if ok && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("limits %+v, %.200q:\nquick %v\n scan %v", lim, doc, got, want)
		}
		answered = answered && ok
	}
	return answered
}

// The quick scan reads the real feeds (and the benchmark's) itself, with
// the scan's answers.
func TestQuickXMLShapeReadsRealFeeds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		doc, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		switch rootName(doc) {
		case "rss", "feed", "rdf:rdf":
			if !checkQuickShape(t, doc) {
				t.Errorf("%s: left to the scan", name)
			}
		}
	}
	pool := benchPool(t)
	if doc := benchFeed(pool, 0, len(pool)); !checkQuickShape(t, doc) {
		t.Error("benchmark document left to the scan")
	}
}

// FuzzXMLShape compares the quick scan with the scan by encoding/xml on
// any input; its seeds are the feeds of testdata and markup each of the
// quick scan's rules is about.
func FuzzXMLShape(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	item := `<item><title>t</title><description>&lt;p&gt;x&lt;/p&gt;</description></item>`
	for _, s := range []string{
		"", "<", "<a", "<a>", "a", "<a/>", "<a/ >", "<a />", "</a>", "</a >", "</a x>", "<a></b>",
		`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>` + strings.Repeat(item, 3) + `</channel></rss>`,
		`<?xml version="1.1"?><rss/>`, `<?xml version='1.0' encoding='iso-8859-1'?><rss/>`, `<?xml?><rss/>`, `<?xml-stylesheet href="a"?><rss/>`,
		`<? x?>`, `<?x`, `<?x?`, `<?a:b:c x?><rss/>`, "\xef\xbb\xbf<rss/>",
		`<!-- a --><rss/>`, `<!-- a -- b --><rss/>`, `<!---><rss/>`, `<!----><rss/>`, `<!--->`, `<!- x -->`, `<!--`,
		`<![CDATA[x]]><rss/>`, `<![CDATA[<a>]]]]><rss/>`, `<![CDAT[x]]>`, `<![CDATA[x`, `<rss><![CDATA[` + strings.Repeat("x", 60) + `]]></rss>`,
		`<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss/>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><rss/>`, `<!DOCTYPE x "a>b"><rss/>`, `<!>x><rss/>`, `<!"x>"><rss/>`, `<!DOCTYPE`,
		`<rss><a x="1"y='2' z = "3">t</a></rss>`, `<rss><a x=1>t</a></rss>`, `<rss><a x>t</a></rss>`, `<rss><a x="<">t</a></rss>`,
		`<rss><a retCd= 0` + "\n" + ` lt="1">t</a></rss>`, `<rss><a x= >t</a></rss>`, `<rss><a x=.>t</a></rss>`, `<rss><a x=1/>t</rss>`,
		`<rss><a x=a.b>t</a></rss>`, `<rss><a x=a-b:c_d y>t</a></rss>`, `<rss><a x=1`, `<rss><a x`, `<rss><a x=`,
		`<rss><a x="&#0;">t</a></rss>`, `<rss><a x="&#x20;&#9;&#xFFFE;">t</a></rss>`, `<rss><a x="1` + "\n" + `">t</a></rss>`,
		`<rss>a &#0; b</rss>`, `<rss>&#x1F;</rss>`, `<rss>&#xD800;&#x10FFFF;&#x110000;&#99999999999999999999;</rss>`,
		`<rss>&#65279;&#xfffd;&#xFFFF;</rss>`, `<rss>&#X41;&#x;&#;&#12</rss>`, `<rss>&amp;&unknown;&;& x</rss>`, `<rss>]]></rss>`,
		`<rss>]]&gt;]>]]]></rss>`, `<rss>x</rss>&amp`, `<rss>x</rss>&#`, `<rss>x</rss>&#x`, `<rss>x</rss>&`, "<rss>x</rss>\n",
		"<rss>\x01<a>\x7f</a>\uFFFE</rss>", "<rss>\xff</rss>", "<rss>\uFFFF</rss>", "<rss>\u00e9\ufffd</rss>",
		`<rdf:RDF xmlns:rdf="r"><rdf:item/><ITEM/><Entry></Entry><a:b:c/></rdf:RDF>`, `<:a/><a:/><_a/><1a/><.a/><-a/>`,
		`<rss><é>x</é></rss>`, `<rss><aé>x</aé></rss>`, `<rss><a é="1">x</a></rss>`, `< rss/>`, `<rss>a < b</rss>`,
		`<rss><channel><item><title>` + strings.Repeat("<b>", 10) + `</title></item></channel></rss>`,
		`<rss><channel>` + strings.Repeat(item, 6) + `</channel></rss>`,
		`<rss><channel><item><x:a/><x:a/><x:a/><x:a/><x:a/><x:a/><x:a/><x:a/><x:a/><x:a/><x:a/></item></channel></rss>`,
		`<rss><channel><item><description>` + strings.Repeat("&lt;p&gt;x", 30) + `</description></item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><div><p><b><i>x</i></b></p></div></content></entry></feed>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkQuickShape(t, doc)
	})
}
