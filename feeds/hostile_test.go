package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

// nestedRSS is the document of the report: an RSS item followed by n
// unclosed namespaced elements (n = 3,300,000 makes 16.5 MB, under the
// size cap), which overflowed the stack of gofeed's recursive extension
// parser: a fatal error that no recover catches.
func nestedRSS(n int) []byte {
	return []byte(`<rss version="2.0" xmlns:x="u:x"><channel><item><title>t</title>` + strings.Repeat("<x:a>", n))
}

var (
	feedSrc = store.Source{Name: "t", URL: "https://example.org/feed", Kind: store.KindFeed}
	kevSrc  = store.Source{Name: "kev", URL: "https://example.org/kev.json", Kind: store.KindKEV}
	pageSrc = store.Source{Name: "page", URL: "https://example.org/list", Kind: store.KindPage,
		Selectors: &store.PageSelectors{Item: "li"}}
)

// TestParseRefusesHostileShapes: every shape of document that would blow
// up a parser (too deep for its recursion, too many elements for memory) is
// a clear error of its source, found before a parser builds anything.
func TestParseRefusesHostileShapes(t *testing.T) {
	const rss = `<rss version="2.0" xmlns:x="u:x"><channel><item><title>t</title>`
	tests := map[string]struct {
		src  store.Source
		body string
		want error
	}{
		"RSS, 3.3 million namespaced elements (16.5 MB)": {feedSrc, string(nestedRSS(3_300_000)), ErrTooDeep},
		"RSS, closed namespaced elements":                {feedSrc, rss + strings.Repeat("<x:a>", 100_000) + strings.Repeat("</x:a>", 100_000) + `</item></channel></rss>`, ErrTooDeep},
		"RSS, plain elements inside a title":             {feedSrc, `<rss version="2.0"><channel><item><title>` + strings.Repeat("<b>", 100_000), ErrTooDeep},
		"Atom, nested XHTML content": {feedSrc, `<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title><content type="xhtml">` +
			strings.Repeat(`<div xmlns="http://www.w3.org/1999/xhtml">`, 200_000), ErrTooDeep},
		"RDF, nested extension": {feedSrc, `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:y="u:y"><item><title>t</title>` +
			strings.Repeat("<y:b>", 200_000), ErrTooDeep},
		"RSS, nesting hidden behind control characters": {feedSrc, rss + strings.Repeat("<\x01x:a>", 100_000), ErrTooDeep},
		"RSS, a million empty extension elements":       {feedSrc, rss + strings.Repeat("<x:a/>", 1_000_000) + `</item></channel></rss>`, ErrTooMany},
		"RSS, 100,000 items":                            {feedSrc, `<rss version="2.0"><channel>` + strings.Repeat("<item><title>t</title></item>", 100_000) + `</channel></rss>`, ErrTooMany},
		"JSON Feed, nested arrays":                      {feedSrc, `{"version":"https://jsonfeed.org/version/1.1","items":[{"title":` + strings.Repeat("[", 1_000_000), ErrTooDeep},
		"JSON Feed, nested objects":                     {feedSrc, `{"version":"https://jsonfeed.org/version/1.1","items":[{"title":"t","_x":` + strings.Repeat(`{"a":`, 500_000), ErrTooDeep},
		"JSON Feed, a million empty items":              {feedSrc, `{"version":"https://jsonfeed.org/version/1.1","items":[` + strings.Repeat(`{},`, 1_000_000) + `{}]}`, ErrTooMany},
		"JSON Feed, a million tags":                     {feedSrc, `{"version":"https://jsonfeed.org/version/1.1","items":[{"title":"t","tags":[` + strings.Repeat(`"a",`, 1_000_000) + `"a"]}]}`, ErrTooMany},
		"KEV, nested arrays":                            {kevSrc, `{"vulnerabilities":[{"cveID":"CVE-2024-1","notes":` + strings.Repeat("[", 1_000_000), ErrTooDeep},
		"KEV, a million entries":                        {kevSrc, `{"vulnerabilities":[` + strings.Repeat(`{"cveID":"CVE-2024-1"},`, 1_000_000) + `{}]}`, ErrTooMany},
		"page, a million list entries":                  {pageSrc, "<html><body><ul>" + strings.Repeat("<li>x</li>", 1_000_000), ErrTooMany},
		"RSS, a description of 2 MB of escaped tags":    {feedSrc, rss + `<description>` + strings.Repeat("&lt;p&gt;x&lt;/p&gt;", 100_000) + `</description></item></channel></rss>`, ErrFieldTooLarge},
		"RSS, a description of 2 MB of tags in CDATA":   {feedSrc, rss + `<description><![CDATA[` + strings.Repeat("<div><b>x</b>", 200_000) + `]]></description></item></channel></rss>`, ErrFieldTooLarge},
		"RSS, a content split by comments":              {feedSrc, rss + `<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">` + strings.Repeat("&lt;p&gt;x&lt;/p&gt;<!---->", 60_000) + `</content:encoded></item></channel></rss>`, ErrFieldTooLarge},
		"RSS, an unclosed title":                        {feedSrc, `<rss version="2.0"><channel><item><title>` + strings.Repeat("&lt;b&gt;", 200_000), ErrFieldTooLarge},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			alerts, err := Parse(tc.src, []byte(tc.body), "", testNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %d alerts, %v; want %v", len(alerts), err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "feeds: parse "+tc.src.Name+": "+tc.want.Error()+": ") {
				t.Errorf("error does not say what is wrong: %v", err)
			}
		})
	}
}

// TestParseAcceptsNestingWithinLimits: depth alone, up to the limit, is
// not an offence; nor are quotes, comments and braces that only look like
// nesting.
func TestParseAcceptsNestingWithinLimits(t *testing.T) {
	deepOK := MaxXMLDepth - 5 // rss, channel, item, title... leave room
	tests := map[string]struct {
		src  store.Source
		body string
	}{
		"XML at the limit": {feedSrc, `<rss version="2.0" xmlns:x="u:x"><channel><item><title>deep</title>` +
			strings.Repeat("<x:a>", deepOK) + strings.Repeat("</x:a>", deepOK) + `</item></channel></rss>`},
		"many siblings, comments and CDATA": {feedSrc, `<rss version="2.0"><channel><!-- <a><a><a> -->` +
			strings.Repeat(`<item><title><![CDATA[<b><b><b>]]>deep</title><category a="/>">x</category></item>`, 1000) + `</channel></rss>`},
		"JSON Feed with brackets in strings": {feedSrc, `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"deep ` +
			strings.Repeat(`[{\"`, 1000) + `"}]}`},
		"KEV with brackets in strings": {kevSrc, `{"vulnerabilities":[{"cveID":"CVE-2024-1","vulnerabilityName":"deep ` + strings.Repeat("[{", 1000) + `"}]}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			alerts, err := Parse(tc.src, []byte(tc.body), "", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(alerts) == 0 || !strings.Contains(alerts[0].Title, "deep") {
				t.Fatalf("alerts = %+v", alerts)
			}
		})
	}
}

// TestParseEntityTricks: encoding/xml (under gofeed) never expands entities
// declared in a DTD, and gofeed decodes HTML entities in one bounded pass,
// so a "billion laughs" document costs its own size and no more; what
// reaches an alert is the literal reference.
func TestParseEntityTricks(t *testing.T) {
	var dtd strings.Builder
	dtd.WriteString(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&dtd, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	dtd.WriteString(`<!ENTITY ext SYSTEM "file:///etc/passwd">]>`)
	tests := map[string]string{
		"billion laughs in a title":              dtd.String() + `<rss version="2.0"><channel><item><title>a &lol9; b</title><description>&ext;</description></item></channel></rss>`,
		"entity references of entity references": `<rss version="2.0"><channel><item><title>` + strings.Repeat("&amp;amp;", 100_000) + `</title></item></channel></rss>`,
		"an unterminated reference":              `<rss version="2.0"><channel><item><title>` + "&" + strings.Repeat("a", 1_000_000) + `</title></item></channel></rss>`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			alerts, err := Parse(feedSrc, []byte(body), "", testNow)
			if err != nil {
				return // refused is fine; expanded is not
			}
			for _, a := range alerts {
				if len(a.Title) > 4*titleLimit || strings.Contains(a.Title+a.Summary, "lollol") || strings.Contains(a.Summary, "root:") {
					t.Fatalf("entity expanded: title %d bytes %.80q, summary %.80q", len(a.Title), a.Title, a.Summary)
				}
			}
		})
	}
}

// TestParsePageRefusesDeepNesting: x/net/html refuses pages nested past 512
// open elements, which keeps goquery's recursive walks shallow; a page
// source reports it as its error.
func TestParsePageRefusesDeepNesting(t *testing.T) {
	for name, body := range map[string]string{
		"divs":      "<html><body><ul><li>x</li></ul>" + strings.Repeat("<div>", 50_000),
		"tables":    "<html><body><ul><li>x</li></ul>" + strings.Repeat("<table><tr><td>", 30_000),
		"formatted": "<html><body><ul><li>x</li></ul>" + strings.Repeat("<b><i><u>", 30_000),
	} {
		t.Run(name, func(t *testing.T) {
			alerts, err := Parse(pageSrc, []byte(body), "text/html", testNow)
			if err == nil {
				t.Fatalf("Parse = %d alerts, no error", len(alerts))
			}
			if !strings.Contains(err.Error(), "feeds: parse page: read HTML: ") {
				t.Errorf("error = %v", err)
			}
		})
	}
}

// TestPollerHostileSourceDoesNotStopOthers: a source serving the 16.5 MB
// nested document is recorded as failed with a clear reason, and a good
// source's items still arrive in the same round.
func TestPollerHostileSourceDoesNotStopOthers(t *testing.T) {
	hostile := nestedRSS(3_300_000)
	good := readFixture(t, "cisa-all-advisories-first2.xml")
	mux := http.NewServeMux()
	mux.HandleFunc("/hostile", func(w http.ResponseWriter, r *http.Request) { w.Write(hostile) })
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { w.Write(good) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sink := newRecSink()
	srcs := []store.Source{{Name: "hostile", URL: srv.URL + "/hostile"}, {Name: "good", URL: srv.URL + "/good"}}
	p := &Poller{Sources: staticSources(srcs...), Sink: sink, Interval: time.Hour, Log: quietLog()}
	stop := runPoller(t, p)
	defer stop()
	waitFor(t, 10*time.Second, "both polls recorded", func() bool {
		return len(sink.pollsOf("hostile")) > 0 && len(sink.pollsOf("good")) > 0
	})
	if res := sink.pollsOf("hostile")[0]; !errors.Is(res.Err, ErrTooDeep) {
		t.Errorf("hostile source: err = %v, want ErrTooDeep", res.Err)
	}
	if res := sink.pollsOf("good")[0]; res.Err != nil || res.Items != 2 {
		t.Errorf("good source: %+v", res)
	}
}

// TestPollerContainsPanics: a panic while reading one source (here in the
// fetcher's transport) becomes that source's error.
func TestPollerContainsPanics(t *testing.T) {
	p := &Poller{Fetcher: &Fetcher{Client: &http.Client{Transport: panicTransport{}}}, Log: quietLog()}
	_, err := p.Fetch(context.Background(), feedSrc)
	if err == nil || !strings.Contains(err.Error(), "feeds: poll t: failed: boom") {
		t.Fatalf("err = %v", err)
	}
}

type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) { panic("boom") }

// trickle answers 200 and then one byte every 20 ms, never finishing: a
// slow or malicious server that a connect timeout alone does not stop.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml")
	for {
		if _, err := w.Write([]byte(" ")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestPollerTricklingSourcesDoNotStarveOthers: five sources that trickle
// bytes took every poll slot for their whole deadline, delaying a good
// source's items by most of a minute. Now they hold only download slots:
// a good source added while they trickle is read at once, and each of them
// ends at its deadline on the whole response with a clear error.
func TestPollerTricklingSourcesDoNotStarveOthers(t *testing.T) {
	fs := &feedServer{}
	fs.items.Store(1)
	mux := http.NewServeMux()
	mux.Handle("/good", fs)
	var connected sync.WaitGroup
	connected.Add(5)
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		connected.Done()
		trickle(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var srcs []store.Source
	for i := range 5 {
		srcs = append(srcs, store.Source{Name: fmt.Sprintf("slow%d", i), URL: fmt.Sprintf("%s/slow/%d", srv.URL, i)})
	}
	var mu sync.Mutex
	sink := newRecSink()
	const deadline = 1500 * time.Millisecond
	p := &Poller{
		Fetcher: &Fetcher{Timeout: deadline},
		Sources: func(context.Context) ([]store.Source, error) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(srcs), nil
		},
		Sink:     sink,
		Interval: time.Hour,
		Log:      quietLog(),
	}
	stop := runPoller(t, p)
	defer stop()
	connected.Wait() // every slow source is being read

	mu.Lock()
	srcs = append(srcs, store.Source{Name: "good", URL: srv.URL + "/good"})
	mu.Unlock()
	p.Wake()
	waitFor(t, 5*time.Second, "the good source's items", func() bool { return len(sink.ingestsOf("good")) > 0 })
	for i := range 5 {
		if polls := sink.pollsOf(fmt.Sprintf("slow%d", i)); len(polls) > 0 {
			t.Fatalf("the good source waited until slow%d gave up (%v)", i, polls[0].Err)
		}
	}
	waitFor(t, 5*time.Second, "the slow sources' deadline", func() bool { return len(sink.pollsOf("slow4")) > 0 })
	if err := sink.pollsOf("slow4")[0].Err; err == nil || !strings.Contains(err.Error(), "no complete answer within 1.5s") {
		t.Errorf("slow source error = %v", err)
	}
}
