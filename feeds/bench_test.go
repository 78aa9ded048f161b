package feeds

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
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
func benchPool(b *testing.B) []*gofeed.Item {
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

// benchFeed builds an RSS 2.0 document of benchItems real items (titles,
// HTML descriptions, dates from the fixtures) with unique GUIDs.
func benchFeed(pool []*gofeed.Item, k int) []byte {
	var buf bytes.Buffer
	esc := func(s string) { xml.EscapeText(&buf, []byte(s)) }
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bench</title><link>https://example.org/</link>`)
	for i := 0; i < benchItems; i++ {
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
		docs[k] = benchFeed(pool, k)
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
	report := func(b *testing.B, items int64, mallocs uint64) {
		b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
		b.ReportMetric(float64(mallocs)/float64(items), "allocs/item")
		b.ReportMetric(float64(size)/float64(benchFeeds*benchItems), "bytes/item")
	}

	b.Run("fetch+parse", func(b *testing.B) {
		f := &Fetcher{}
		var items int64
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
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
		report(b, items, after.Mallocs-before.Mallocs)
	})

	b.Run("poller", func(b *testing.B) {
		var items int64
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
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
		report(b, items, after.Mallocs-before.Mallocs)
	})
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
				resp, alerts, err := p.fetchParse(context.Background(), src, v)
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
