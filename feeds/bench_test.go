package feeds

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/canhbao/canhbao/store"
)

const (
	benchFeeds = 100
	benchItems = 200
)

// benchPool is every item of the real feed fixtures, as parsed by gofeed.
func benchPool(b testing.TB) []*gofeed.Item {
	b.Helper()
	var pool []*gofeed.Item
	for _, name := range []string{
		"cisa-all-advisories-first2.xml", "certfr-avis-rss2.xml", "ncsc-uk-news-rss2.xml",
		"jpcert-rss1.rdf", "ipa-alert-rss1-dupes.rdf", "jvndb-rss1-rdf.xml",
		"bugalert-critical-atom.xml", "vnexpress-tin-moi-nhat-2017.rss.xml",
	} {
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(readFixture(b, name)))
		if err != nil {
			b.Fatal(err)
		}
		pool = append(pool, feed.Items...)
	}
	return pool
}

// benchFeed builds an RSS 2.0 document of n real items (titles, HTML
// descriptions, dates from the fixtures) with unique GUIDs.
func benchFeed(pool []*gofeed.Item, k, n int) []byte {
	var buf bytes.Buffer
	esc := func(s string) { xml.EscapeText(&buf, []byte(s)) }
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bench</title><link>https://example.org/</link>`)
	for i := 0; i < n; i++ {
		it := pool[(k*31+i)%len(pool)]
		buf.WriteString("<item><title>")
		esc(it.Title)
		buf.WriteString("</title><link>")
		esc(fmt.Sprintf("https://example.org/%d/%d", k, i))
		buf.WriteString("</link><guid>")
		esc(fmt.Sprintf("feed-%d-item-%d", k, i))
		buf.WriteString("</guid><description>")
		esc(it.Description + it.Content)
		buf.WriteString("</description>")
		if it.PublishedParsed != nil {
			buf.WriteString("<pubDate>" + it.PublishedParsed.Format(time.RFC1123Z) + "</pubDate>")
		}
		buf.WriteString("</item>")
	}
	buf.WriteString("</channel></rss>")
	return buf.Bytes()
}

// benchServer serves benchFeeds feeds at /feed/{k}, honouring ETags.
func benchServer(b *testing.B) (*httptest.Server, int64) {
	pool := benchPool(b)
	docs := make([][]byte, benchFeeds)
	var size int64
	for k := range docs {
		docs[k] = benchFeed(pool, k, benchItems)
		size += int64(len(docs[k]))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed/{k}", func(w http.ResponseWriter, r *http.Request) {
		var k int
		fmt.Sscan(r.PathValue("k"), &k)
		etag := fmt.Sprintf(`"%d"`, k)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(docs[k%benchFeeds])
	})
	return httptest.NewServer(mux), size
}

func benchSources(url string) []store.Source {
	srcs := make([]store.Source, benchFeeds)
	for k := range srcs {
		srcs[k] = store.Source{Name: fmt.Sprintf("feed-%d", k), URL: fmt.Sprintf("%s/feed/%d", url, k), Kind: store.KindFeed, Severity: store.SeverityMedium}
	}
	return srcs
}

// countSink discards alerts, counting them.
type countSink struct {
	ingests, items atomic.Int64
	done           chan struct{}
}

func (s *countSink) Ingest(_ context.Context, _ store.Source, alerts []store.Alert) error {
	s.items.Add(int64(len(alerts)))
	if s.ingests.Add(1) == benchFeeds {
		close(s.done)
	}
	return nil
}

func (s *countSink) RecordPoll(context.Context, string, PollResult) error { return nil }

// BenchmarkIngest measures 100 feeds × 200 real items through HTTP fetch,
// parse, clean and classify: once sequentially, once through the Poller.
func BenchmarkIngest(b *testing.B) {
	srv, size := benchServer(b)
	defer srv.Close()
	srcs := benchSources(srv.URL)
	report := func(b *testing.B, items int64, mallocs uint64, cpu time.Duration) {
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
		// Items per second of CPU (the whole process, test server
		// included): steadier than the rate on a shared machine.
		b.ReportMetric(float64(items)/cpu.Seconds(), "items/cpu-s")
		b.ReportMetric(float64(mallocs)/float64(items), "allocs/item")
		b.ReportMetric(float64(size)/float64(benchFeeds*benchItems), "bytes/item")
	}

	b.Run("fetch+parse", func(b *testing.B) {
		f := &Fetcher{}
		var items int64
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu0 := cpuTime()
		for b.Loop() {
			for _, src := range srcs {
				resp, err := f.Fetch(context.Background(), src.URL, Validators{})
				if err != nil {
					b.Fatal(err)
				}
				alerts, err := Parse(src, resp.Body, resp.ContentType, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				items += int64(len(alerts))
			}
		}
		runtime.ReadMemStats(&after)
		if items != int64(b.N)*benchFeeds*benchItems {
			b.Fatalf("got %d items", items)
		}
		report(b, items, after.Mallocs-before.Mallocs, cpuTime()-cpu0)
	})

	b.Run("poller", func(b *testing.B) {
		var items int64
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu0 := cpuTime()
		for b.Loop() {
			sink := &countSink{done: make(chan struct{})}
			p := &Poller{Sources: staticSources(srcs...), Sink: sink, Interval: time.Hour, Log: quietLog()}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan struct{})
			go func() { p.Run(ctx); close(ran) }()
			select {
			case <-sink.done:
			case <-time.After(2 * time.Minute):
				b.Fatal("poller too slow")
			}
			cancel()
			<-ran
			items += sink.items.Load()
		}
		runtime.ReadMemStats(&after)
		report(b, items, after.Mallocs-before.Mallocs, cpuTime()-cpu0)
	})
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNotModified compares one poll of a 200-item feed that changed
// (200: fetch and parse) with one that did not (304: no body, no parse).
func BenchmarkNotModified(b *testing.B) {
	srv, _ := benchServer(b)
	defer srv.Close()
	src := benchSources(srv.URL)[0]
	p := &Poller{Log: quietLog()}
	p.init()
	for name, v := range map[string]Validators{"200": {}, "304": {ETag: `"0"`}} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, alerts, _, err := p.fetchParse(context.Background(), src, memo{validators: v}, slots{})
				if err != nil {
					b.Fatal(err)
				}
				if resp.NotModified != (name == "304") || (len(alerts) == 0) != (name == "304") {
					b.Fatalf("%s: NotModified=%v, %d alerts", name, resp.NotModified, len(alerts))
				}
			}
		})
	}
}

// peakInUse runs fn while sampling the heap and goroutine stacks in use,
// and returns the highest value above the starting point: stacks count,
// because a deeply nested document attacks a recursive parser's stack.
func peakInUse(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse + ms.StackInuse
	var peak atomic.Uint64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if now := m.HeapInuse + m.StackInuse; now > base && now-base > peak.Load() {
				peak.Store(now - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-stopped
	return peak.Load()
}

// hostileDocs are 16 MB documents (the size cap) shaped to hurt a parser,
// and the costliest documents the shape limits let through.
func hostileDocs() []struct {
	name string
	src  store.Source
	body []byte
} {
	const size = 16 << 20
	fill := func(head, unit, tail string) []byte {
		n := (size - len(head) - len(tail)) / len(unit)
		return []byte(head + strings.Repeat(unit, n) + tail)
	}
	return []struct {
		name string
		src  store.Source
		body []byte
	}{
		{"nested-rss", feedSrc, nestedRSS(3_300_000)},
		{"nested-json", feedSrc, fill(`{"version":"https://jsonfeed.org/version/1.1","items":[{"title":`, "[", "")},
		{"wide-extension", feedSrc, fill(`<rss version="2.0" xmlns:x="u:x"><channel><item><title>t</title>`, `<x:a/>`, `</item></channel></rss>`)},
		{"many-items", feedSrc, fill(`<rss version="2.0"><channel>`, `<item><title>t</title></item>`, `</channel></rss>`)},
		{"wide-page", pageSrc, fill(`<html><body><ul>`, `<li>x</li>`, `</ul></body></html>`)},
		{"escaped-html", feedSrc, fill(`<rss version="2.0"><channel><item><title>t</title><description>`, `&lt;p&gt;x&lt;/p&gt;`, `</description></item></channel></rss>`)},
		{"cdata-html", feedSrc, fill(`<rss version="2.0"><channel><item><title>t</title><description><![CDATA[`, `<div><b>x</b>`, `]]></description></item></channel></rss>`)},
		// The most a document may cost: just inside the limits.
		{"extensions-at-limit", feedSrc, []byte(`<rss version="2.0" xmlns:x="u:x"><channel><item><title>t</title>` +
			strings.Repeat(`<x:a/>`, MaxElements-10) + `</item></channel></rss>`)},
		{"items-at-limit", feedSrc, []byte(`<rss version="2.0"><channel>` + strings.Repeat(`<item><title>t</title><link>https://example.org/a</link><description>&lt;p&gt;text&lt;/p&gt;</description></item>`, MaxEntries-10) + `</channel></rss>`)},
		{"fields-at-limit", feedSrc, []byte(`<rss version="2.0"><channel>` + strings.Repeat(`<item><title>t</title><description>`+
			strings.Repeat(`&lt;p&gt;x&lt;/p&gt;`, (MaxFieldBytes-64)/20)+`</description></item>`, 15) + `</channel></rss>`)},
		{"page-at-limit", pageSrc, []byte(`<html><body><ul>` + strings.Repeat(`<li>x</li>`, MaxEntries-10) + `</ul></body></html>`)},
	}
}

// BenchmarkHostilePoll measures one poll (HTTP fetch, depth check, parse)
// of each 16 MB hostile document: the peak of heap and stacks in use, and
// the time until its source error (or its alerts).
func BenchmarkHostilePoll(b *testing.B) {
	for _, doc := range hostileDocs() {
		b.Run(doc.name, func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write(doc.body)
			}))
			defer srv.Close()
			src := doc.src
			src.URL = srv.URL + "/doc"
			p := &Poller{Log: quietLog()}
			var peak uint64
			var outcome string
			for b.Loop() {
				peak = max(peak, peakInUse(func() {
					alerts, err := p.Fetch(context.Background(), src)
					outcome = fmt.Sprintf("%d alerts, err %v", len(alerts), err)
				}))
			}
			b.Logf("%s (%d bytes): %.120s", doc.name, len(doc.body), outcome)
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		})
	}
}

// BenchmarkSlowSources measures how long a good source's items take to
// arrive while five sources trickle one byte every 20 ms under the default
// 60 s deadline (they used to hold every poll slot for the whole minute).
func BenchmarkSlowSources(b *testing.B) {
	fs := &feedServer{}
	fs.items.Store(1)
	mux := http.NewServeMux()
	mux.Handle("/good", fs)
	mux.HandleFunc("/slow/", trickle)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var worst time.Duration
	for b.Loop() {
		var srcs []store.Source
		for i := range 5 {
			srcs = append(srcs, store.Source{Name: fmt.Sprintf("slow%d", i), URL: fmt.Sprintf("%s/slow/%d", srv.URL, i)})
		}
		srcs = append(srcs, store.Source{Name: "good", URL: srv.URL + "/good"})
		sink := newRecSink()
		p := &Poller{Sources: staticSources(srcs...), Sink: sink, Interval: time.Hour, Log: quietLog()}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- p.Run(ctx) }()
		for len(sink.ingestsOf("good")) == 0 {
			if time.Since(start) > time.Minute {
				b.Fatal("the good source waited a minute")
			}
			time.Sleep(time.Millisecond)
		}
		worst = max(worst, time.Since(start))
		cancel()
		<-done
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-delay-ms")
}
