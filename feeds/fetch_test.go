package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

const tinyFeed = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>Cảnh báo lỗ hổng</title><link>/a/1</link><guid>1</guid></item></channel></rss>`

func TestFetchConditionalGET(t *testing.T) {
	const etag, lastMod = `"v1"`, "Wed, 25 Nov 2026 10:00:00 GMT"
	tests := map[string]struct {
		headers   map[string]string // validators the server issues
		notModify func(r *http.Request) bool
	}{
		"ETag": {
			headers:   map[string]string{"ETag": etag},
			notModify: func(r *http.Request) bool { return r.Header.Get("If-None-Match") == etag },
		},
		"Last-Modified": {
			headers:   map[string]string{"Last-Modified": lastMod},
			notModify: func(r *http.Request) bool { return r.Header.Get("If-Modified-Since") == lastMod },
		},
		"both": {
			headers: map[string]string{"ETag": etag, "Last-Modified": lastMod},
			notModify: func(r *http.Request) bool {
				return r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var full atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				if tc.notModify(r) {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				full.Add(1)
				w.Header().Set("Content-Type", "application/rss+xml")
				io.WriteString(w, tinyFeed)
			}))
			defer srv.Close()

			f := &Fetcher{}
			r1, err := f.Fetch(context.Background(), srv.URL, Validators{})
			if err != nil {
				t.Fatal(err)
			}
			if r1.NotModified || string(r1.Body) != tinyFeed || r1.ContentType != "application/rss+xml" {
				t.Fatalf("first fetch: %+v", r1)
			}
			r2, err := f.Fetch(context.Background(), srv.URL, r1.Validators)
			if err != nil {
				t.Fatal(err)
			}
			if !r2.NotModified || r2.Body != nil || r2.Validators != r1.Validators || r2.Status != 304 {
				t.Fatalf("second fetch: %+v", r2)
			}
			if full.Load() != 1 {
				t.Errorf("server sent the body %d times", full.Load())
			}
		})
	}
}

func TestFetchUserAgent(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("User-Agent"))
		mu.Unlock()
		io.WriteString(w, tinyFeed)
	}))
	defer srv.Close()
	for _, f := range []*Fetcher{{}, {UserAgent: UserAgent("1.2.3")}} {
		if _, err := f.Fetch(context.Background(), srv.URL, Validators{}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"canhbao/dev (+cybersecurity warning relay)", "canhbao/1.2.3 (+cybersecurity warning relay)"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("User-Agent %q, want %q", got, want)
	}
}

// TestFetchSizeCap: a server streaming 60 MB must fail fast, after reading
// little more than the cap.
func TestFetchSizeCap(t *testing.T) {
	const total = 60 << 20
	const limit = 1 << 20
	var written atomic.Int64
	handlerDone := make(chan struct{}, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { handlerDone <- struct{}{} }()
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", fmt.Sprint(total))
		}
		chunk := []byte(strings.Repeat("<item>x</item>", 4096))
		for written.Load() < total {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return // the client hung up
			}
		}
	}))
	defer srv.Close()

	for _, path := range []string{"/streamed", "/declared"} {
		t.Run(path, func(t *testing.T) {
			written.Store(0)
			start := time.Now()
			_, err := (&Fetcher{MaxBytes: limit}).Fetch(context.Background(), srv.URL+path, Validators{})
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB limit") {
				t.Fatalf("err = %v, want ErrTooLarge naming the limit", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			select {
			case <-handlerDone:
			case <-time.After(5 * time.Second):
				t.Fatal("server still writing: the client did not hang up")
			}
			if w := written.Load(); w >= total/2 {
				t.Errorf("server wrote %d MB before the client gave up", w>>20)
			}
		})
	}
}

func TestFetchDefaultCapIs16MiB(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(17<<20))
		w.WriteHeader(200)
	}))
	defer srv.Close()
	_, err := (&Fetcher{}).Fetch(context.Background(), srv.URL, Validators{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16 MiB") {
		t.Fatalf("err = %v", err)
	}
}

// TestFetchTimeout: a server that never finishes must not hang a poll.
func TestFetchTimeout(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			io.WriteString(w, "<rss><channel>")
			w.(http.Flusher).Flush()
		}
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stop)

	for _, path := range []string{"/headers", "/body"} {
		t.Run(path, func(t *testing.T) {
			start := time.Now()
			_, err := (&Fetcher{Timeout: 200 * time.Millisecond}).Fetch(context.Background(), srv.URL+path, Validators{})
			if err == nil || !strings.Contains(err.Error(), "no complete answer within 200ms") {
				t.Fatalf("err = %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
	t.Run("caller's context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := (&Fetcher{}).Fetch(ctx, srv.URL+"/headers", Validators{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop/a", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			io.WriteString(w, tinyFeed)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := &Fetcher{}

	_, err := f.Fetch(context.Background(), srv.URL+"/loop/a", Validators{})
	if err == nil || !strings.Contains(err.Error(), "redirect loop") {
		t.Errorf("loop: err = %v", err)
	}
	r, err := f.Fetch(context.Background(), srv.URL+"/hop/5", Validators{})
	if err != nil || r.URL != srv.URL+"/hop/0" {
		t.Errorf("5 redirects: %v, final URL %v", err, r)
	}
	_, err = f.Fetch(context.Background(), srv.URL+"/hop/6", Validators{})
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Errorf("6 redirects: err = %v", err)
	}
}

func TestFetchStatusErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			http.NotFound(w, r)
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/forbidden":
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer srv.Close()
	tests := map[string]struct {
		path  string
		code  int
		retry time.Duration
		msg   string
	}{
		"404": {"/gone", 404, 0, "HTTP 404 Not Found"},
		"503": {"/busy", 503, 2 * time.Minute, "HTTP 503 Service Unavailable (retry after 2m0s)"},
		"403": {"/forbidden", 403, 0, "HTTP 403 Forbidden"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := (&Fetcher{}).Fetch(context.Background(), srv.URL+tc.path, Validators{})
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tc.code || se.RetryAfter != tc.retry {
				t.Fatalf("err = %#v", err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "feeds: fetch "+srv.URL) {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestFetchBadURL(t *testing.T) {
	for _, u := range []string{"ftp://x.example/", "://nope", "https://user:secret@127.0.0.1:1/feed"} {
		_, err := (&Fetcher{Timeout: time.Second}).Fetch(context.Background(), u, Validators{})
		if err == nil {
			t.Errorf("%s: no error", u)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("password in error: %v", err)
		}
	}
}

// TestFetchHTMLPage: a 200 HTML page is an error for a feed or KEV source
// but exactly what a page source wants.
func TestFetchHTMLPage(t *testing.T) {
	page := readFixture(t, "khonggianmang-canh-bao.html")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()
	p := &Poller{}
	for _, kind := range []store.SourceKind{store.KindFeed, store.KindKEV} {
		_, err := p.Fetch(context.Background(), store.Source{Name: "x", URL: srv.URL, Kind: kind})
		if !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), `not a feed: got text/html page "Cảnh báo an toàn thông tin`) {
			t.Errorf("%s: err = %v", kind, err)
		}
	}
	as, err := p.Fetch(context.Background(), store.Source{Name: "x", URL: srv.URL, Kind: store.KindPage,
		Selectors: &store.PageSelectors{Item: "li.news-item", Title: ".title"}})
	if err != nil || len(as) != 3 {
		t.Fatalf("page source: %d alerts, %v", len(as), err)
	}
}

// TestFetchCharset: a windows-1252 feed declared only in the Content-Type
// header, and one declared only in the XML prolog.
func TestFetchCharset(t *testing.T) {
	body := func(decl string) string {
		return decl + "<rss version=\"2.0\"><channel><item><title>Vuln\xe9rabilit\xe9 \x96 \x93Exchange\x94</title><link>https://x.example/1</link></item></channel></rss>"
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/header":
			w.Header().Set("Content-Type", "application/rss+xml; charset=windows-1252")
			io.WriteString(w, body(`<?xml version="1.0"?>`))
		case "/prolog":
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, body(`<?xml version="1.0" encoding="windows-1252"?>`))
		case "/latin1":
			w.Header().Set("Content-Type", "text/xml; charset=iso-8859-1")
			io.WriteString(w, body(""))
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/header", "/prolog", "/latin1"} {
		t.Run(path, func(t *testing.T) {
			as, err := (&Poller{}).Fetch(context.Background(), store.Source{Name: "x", URL: srv.URL + path})
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 || as[0].Title != "Vulnérabilité – “Exchange”" {
				t.Fatalf("got %+v", as)
			}
		})
	}
}
