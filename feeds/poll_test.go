package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

// recSink records what the poller hands over.
type recSink struct {
	mu      sync.Mutex
	ingests map[string][][]store.Alert
	polls   map[string][]PollResult
	failing atomic.Int32 // Ingest calls still to fail
}

func newRecSink() *recSink {
	return &recSink{ingests: map[string][][]store.Alert{}, polls: map[string][]PollResult{}}
}

func (s *recSink) Ingest(_ context.Context, src store.Source, alerts []store.Alert) error {
	if s.failing.Load() > 0 {
		s.failing.Add(-1)
		return errors.New("disk full")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ingests[src.Name] = append(s.ingests[src.Name], alerts)
	return nil
}

func (s *recSink) RecordPoll(_ context.Context, name string, res PollResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls[name] = append(s.polls[name], res)
	return nil
}

func (s *recSink) pollsOf(name string) []PollResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PollResult(nil), s.polls[name]...)
}

func (s *recSink) ingestsOf(name string) [][]store.Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]store.Alert(nil), s.ingests[name]...)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// feedServer serves an RSS feed with n items and an ETag per version.
type feedServer struct {
	items atomic.Int32
	full  atomic.Int32 // 200 answers
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.items.Load()
	etag := fmt.Sprintf(`"v%d"`, n)
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.full.Add(1)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title>`)
	for i := int32(1); i <= n; i++ {
		fmt.Fprintf(w, `<item><title>Cảnh báo %d</title><link>/a/%d</link><description>CVE-2026-%04d (CVSS 9,8)</description></item>`, i, i, 1000+i)
	}
	fmt.Fprint(w, `</channel></rss>`)
}

func staticSources(srcs ...store.Source) func(context.Context) ([]store.Source, error) {
	return func(context.Context) ([]store.Source, error) { return srcs, nil }
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runPoller starts p.Run and returns a stop function that cancels it and
// fails the test unless Run returns promptly.
func runPoller(t *testing.T, p *Poller) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
				if d := time.Since(start); d > 500*time.Millisecond {
					t.Errorf("Run took %s to return after cancel", d)
				}
			case <-time.After(2 * time.Second):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestPollerDeliversNewItems(t *testing.T) {
	fs := &feedServer{}
	fs.items.Store(1)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	sink := newRecSink()
	src := store.Source{Name: "a", URL: srv.URL + "/feed", Kind: store.KindFeed}
	p := &Poller{Sources: staticSources(src), Sink: sink, Interval: time.Second, Log: quietLog()}
	start := time.Now()
	stop := runPoller(t, p)

	// Polled at start.
	waitFor(t, 500*time.Millisecond, "the first poll", func() bool { return len(sink.pollsOf("a")) >= 1 })
	ing := sink.ingestsOf("a")
	if len(ing) != 1 || len(ing[0]) != 1 {
		t.Fatalf("first ingest %+v", ing)
	}
	a := ing[0][0]
	if a.Source != "a" || a.Link != srv.URL+"/a/1" || a.Severity != store.SeverityCritical || a.CVEs[0] != "CVE-2026-1001" {
		t.Errorf("alert %+v", a)
	}
	res := sink.pollsOf("a")[0]
	if res.Err != nil || res.Items != 1 || res.NotModified || res.At.Before(start) || res.Next.Sub(res.At) < 900*time.Millisecond {
		t.Errorf("first result %+v", res)
	}

	// Unchanged: the next poll is a 304, nothing is parsed or ingested.
	waitFor(t, 2*time.Second, "a 304 poll", func() bool { return len(sink.pollsOf("a")) >= 2 })
	if r := sink.pollsOf("a")[1]; !r.NotModified || r.Err != nil || r.Items != 1 {
		t.Errorf("second result %+v", r)
	}
	if len(sink.ingestsOf("a")) != 1 || fs.full.Load() != 1 {
		t.Errorf("304 was ingested or refetched: %d ingests, %d full answers", len(sink.ingestsOf("a")), fs.full.Load())
	}

	// A new item arrives with the next poll.
	fs.items.Store(2)
	waitFor(t, 2500*time.Millisecond, "the new item", func() bool { return len(sink.ingestsOf("a")) >= 2 })
	if got := sink.ingestsOf("a")[1]; len(got) != 2 || got[1].Title != "Cảnh báo 2" {
		t.Errorf("second ingest %+v", got)
	}
	stop()
}

// TestPollerSlowSourceDoesNotBlockOthers: a source that hangs, one that
// fails, and a healthy one; the healthy one keeps its pace, the failing one
// backs off.
func TestPollerSlowSourceDoesNotBlockOthers(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	var brokenHits atomic.Int32
	fs := &feedServer{}
	fs.items.Store(1)
	mux := http.NewServeMux()
	mux.Handle("/fast", fs)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		brokenHits.Add(1)
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	sink := newRecSink()
	p := &Poller{
		Sources: staticSources(
			store.Source{Name: "slow", URL: srv.URL + "/slow"},
			store.Source{Name: "broken", URL: srv.URL + "/broken"},
			store.Source{Name: "fast", URL: srv.URL + "/fast"},
		),
		Sink:        sink,
		Interval:    time.Second,
		Downloads:   2, // the slow source holds one download slot for good
		Concurrency: 1,
		Log:         quietLog(),
	}
	stop := runPoller(t, p)
	waitFor(t, 3*time.Second, "three polls of the fast source", func() bool { return len(sink.pollsOf("fast")) >= 3 })
	if n := len(sink.pollsOf("slow")); n != 0 {
		t.Errorf("slow source finished %d polls", n)
	}
	polls := sink.pollsOf("broken")
	if len(polls) == 0 {
		t.Fatal("broken source not polled")
	}
	first := polls[0]
	if first.Err == nil || !strings.Contains(first.Err.Error(), "HTTP 500") {
		t.Errorf("broken result %+v", first)
	}
	// Backoff: Interval·2 after the first failure, not Interval.
	if d := first.Next.Sub(first.At); d < 1900*time.Millisecond || d > 2500*time.Millisecond {
		t.Errorf("next poll after first failure in %s, want ~2s", d)
	}
	if n := brokenHits.Load(); n > 2 {
		t.Errorf("broken source polled %d times in ~3s despite backoff", n)
	}
	stop() // also checks that the hanging fetch does not delay shutdown
}

func TestPollerBackoff(t *testing.T) {
	p := &Poller{Interval: time.Minute, MaxBackoff: 10 * time.Minute}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for n, w := range want {
		if got := p.backoff(n); got != w {
			t.Errorf("backoff(%d) = %s, want %s", n, got, w)
		}
	}
	if got := (&Poller{Interval: 2 * time.Hour}).backoff(3); got != 2*time.Hour {
		t.Errorf("backoff shorter or longer than a 2h interval: %s", got)
	}
	if got := (&Poller{Interval: time.Second}).backoff(1000); got != DefaultMaxBackoff {
		t.Errorf("backoff overflow: %s", got)
	}
}

// TestPollerRecovery: the delay goes back to Interval after a success, and
// a Retry-After longer than the backoff is honoured.
func TestPollerRecovery(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.WriteHeader(http.StatusBadGateway)
		default:
			io.WriteString(w, tinyFeed)
		}
	}))
	defer srv.Close()
	sink := newRecSink()
	p := &Poller{Sources: staticSources(store.Source{Name: "r", URL: srv.URL}), Sink: sink, Interval: 200 * time.Millisecond, Log: quietLog()}
	runPoller(t, p)
	waitFor(t, 3*time.Second, "recovery", func() bool { return len(sink.pollsOf("r")) >= 2 })
	polls := sink.pollsOf("r")
	if polls[0].Err == nil || polls[1].Err != nil {
		t.Fatalf("results %+v", polls)
	}
	if gap := polls[1].At.Sub(polls[0].At); gap < 350*time.Millisecond {
		t.Errorf("retried after %s, want the doubled interval", gap)
	}
	if d := polls[1].Next.Sub(polls[1].At); d > 400*time.Millisecond {
		t.Errorf("after success next poll in %s, want the interval", d)
	}

	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer busy.Close()
	sink2 := newRecSink()
	p2 := &Poller{Sources: staticSources(store.Source{Name: "b", URL: busy.URL}), Sink: sink2, Interval: time.Second, Log: quietLog()}
	runPoller(t, p2)
	waitFor(t, time.Second, "a 429", func() bool { return len(sink2.pollsOf("b")) >= 1 })
	if r := sink2.pollsOf("b")[0]; r.Next.Sub(r.At) < 59*time.Minute {
		t.Errorf("Retry-After ignored: next in %s", r.Next.Sub(r.At))
	}
}

// TestPollerValidatorsAfterFailedIngest: when the store fails to take a
// poll's alerts, the next poll must fetch them again, not get a 304.
func TestPollerValidatorsAfterFailedIngest(t *testing.T) {
	fs := &feedServer{}
	fs.items.Store(1)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	sink := newRecSink()
	sink.failing.Store(1)
	p := &Poller{Sources: staticSources(store.Source{Name: "a", URL: srv.URL}), Sink: sink, Interval: 300 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Log: quietLog()}
	runPoller(t, p)
	waitFor(t, 3*time.Second, "a successful ingest", func() bool { return len(sink.ingestsOf("a")) == 1 })
	polls := sink.pollsOf("a")
	if polls[0].Err == nil || !strings.Contains(polls[0].Err.Error(), "feeds: ingest a: disk full") {
		t.Errorf("first result %+v", polls[0])
	}
	if fs.full.Load() < 2 {
		t.Errorf("only %d full fetches", fs.full.Load())
	}
}

// TestPollerSourcesChange: sources are re-read, Wake polls a new source at
// once, a paused source is skipped.
func TestPollerSourcesChange(t *testing.T) {
	fs := &feedServer{}
	fs.items.Store(1)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	var mu sync.Mutex
	srcs := []store.Source{
		{Name: "a", URL: srv.URL + "/a"},
		{Name: "paused", URL: srv.URL + "/p", Paused: true},
	}
	var reads atomic.Int32
	sink := newRecSink()
	p := &Poller{
		Sources: func(context.Context) ([]store.Source, error) {
			reads.Add(1)
			mu.Lock()
			defer mu.Unlock()
			return append([]store.Source(nil), srcs...), nil
		},
		Sink: sink, Interval: time.Hour, Log: quietLog(),
	}
	runPoller(t, p)
	waitFor(t, time.Second, "the first poll", func() bool { return len(sink.pollsOf("a")) == 1 })

	mu.Lock()
	srcs = append(srcs, store.Source{Name: "b", URL: srv.URL + "/b"})
	mu.Unlock()
	p.Wake()
	waitFor(t, time.Second, "the added source", func() bool { return len(sink.pollsOf("b")) == 1 })
	if len(sink.pollsOf("paused")) != 0 {
		t.Error("paused source polled")
	}
	if len(sink.pollsOf("a")) != 1 {
		t.Error("a polled again before its interval")
	}
	if reads.Load() < 2 {
		t.Error("sources not re-read")
	}
}

// TestPollerSourcesError keeps polling the last known list.
func TestPollerSourcesError(t *testing.T) {
	fs := &feedServer{}
	fs.items.Store(1)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	var n atomic.Int32
	sink := newRecSink()
	p := &Poller{
		Sources: func(context.Context) ([]store.Source, error) {
			if n.Add(1) > 1 {
				return nil, errors.New("store closed")
			}
			return []store.Source{{Name: "a", URL: srv.URL}}, nil
		},
		Sink: sink, Interval: 200 * time.Millisecond, Log: quietLog(),
	}
	runPoller(t, p)
	waitFor(t, 2*time.Second, "polls despite a failing source list", func() bool { return len(sink.pollsOf("a")) >= 3 })
}

// TestPollerKEVFirst: at start, a feed waits for the KEV catalogue so that
// its first alerts are already marked exploited.
func TestPollerKEVFirst(t *testing.T) {
	kev := readFixture(t, "cisa-kev-first25.json")
	mux := http.NewServeMux()
	mux.HandleFunc("/kev.json", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.Write(kev)
	})
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><item><title>Lỗ hổng SharePoint CVE-2025-53770</title><link>https://x.vn/1</link></item></channel></rss>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sink := newRecSink()
	p := &Poller{
		Sources: staticSources(
			store.Source{Name: "feed", URL: srv.URL + "/feed", Severity: store.SeverityLow},
			store.Source{Name: "kev", URL: srv.URL + "/kev.json", Kind: store.KindKEV},
		),
		Sink: sink, Interval: time.Hour, Log: quietLog(),
	}
	runPoller(t, p)
	waitFor(t, 3*time.Second, "the feed's first ingest", func() bool { return len(sink.ingestsOf("feed")) == 1 })
	a := sink.ingestsOf("feed")[0][0]
	if !a.Exploited || a.Severity != store.SeverityHigh {
		t.Errorf("feed alert not cross-referenced with KEV: %+v", a)
	}
	if len(sink.ingestsOf("kev")[0]) != 25 {
		t.Errorf("KEV ingest %d alerts", len(sink.ingestsOf("kev")[0]))
	}
}

func TestPollerNeedsSinkAndSources(t *testing.T) {
	if err := (&Poller{}).Run(context.Background()); err == nil {
		t.Fatal("no error")
	}
}

// TestPollerRemembersAcrossRestarts: the validators and the document's
// digest a poll reports are what the next poller starts from, so that a
// restart costs a 304 (or, from a server without validators, no parsing).
func TestPollerRemembersAcrossRestarts(t *testing.T) {
	fs, withETag := serveItems(t, 2)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No ETag, no Last-Modified: the same bytes each time.
		fmt.Fprint(w, `<rss version="2.0"><channel><title>t</title><item><title>x</title><link>/x</link></item></channel></rss>`)
	}))
	defer plain.Close()
	srcs := []store.Source{
		{Name: "etag", URL: withETag.URL + "/feed", Kind: store.KindFeed},
		{Name: "plain", URL: plain.URL + "/feed", Kind: store.KindFeed},
	}

	// First life: a full read of each, then the plain one unchanged.
	sink := newRecSink()
	stop := runPoller(t, &Poller{Sources: staticSources(srcs...), Sink: sink, Interval: time.Second, Log: quietLog()})
	waitFor(t, 2500*time.Millisecond, "two polls of each", func() bool {
		return len(sink.pollsOf("etag")) >= 2 && len(sink.pollsOf("plain")) >= 2
	})
	stop()
	if r := sink.pollsOf("plain")[1]; !r.NotModified || len(sink.ingestsOf("plain")) != 1 {
		t.Errorf("the same document again was parsed: %+v, %d ingests", r, len(sink.ingestsOf("plain")))
	}
	// What the store keeps of each source.
	for i, src := range srcs {
		polls := sink.pollsOf(src.Name)
		r := polls[len(polls)-1]
		if !r.Keep || r.ContentHash == "" {
			t.Fatalf("%s: nothing to keep: %+v", src.Name, r)
		}
		srcs[i].ETag, srcs[i].LastModified, srcs[i].ContentHash = r.Validators.ETag, r.Validators.LastModified, r.ContentHash
		srcs[i].LastSuccess, srcs[i].Items = r.At, r.Items
	}
	if srcs[0].ETag == "" {
		t.Fatal("no ETag kept")
	}

	// Second life: nothing is downloaded in full or parsed again.
	full := fs.full.Load()
	sink = newRecSink()
	runPoller(t, &Poller{Sources: staticSources(srcs...), Sink: sink, Interval: time.Second, Log: quietLog()})
	waitFor(t, 1500*time.Millisecond, "the first polls", func() bool {
		return len(sink.pollsOf("etag")) >= 1 && len(sink.pollsOf("plain")) >= 1
	})
	for _, name := range []string{"etag", "plain"} {
		if r := sink.pollsOf(name)[0]; !r.NotModified || r.Items == 0 || len(sink.ingestsOf(name)) != 0 {
			t.Errorf("%s after a restart: %+v, %d ingests", name, r, len(sink.ingestsOf(name)))
		}
	}
	if fs.full.Load() != full {
		t.Errorf("the ETag source was downloaded again in full")
	}
}

// serveItems serves a feedServer with n items until the test ends.
func serveItems(t *testing.T, n int32) (*feedServer, *httptest.Server) {
	fs := &feedServer{}
	fs.items.Store(n)
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv
}
