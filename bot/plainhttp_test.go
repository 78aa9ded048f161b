package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer answers every request with a small JSON object echoing
// its body, and counts the connections made to it.
func countingServer(t *testing.T, configure func(*http.Server)) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"result":%q}`, body)
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush() // the end of the body comes later
			time.Sleep(10 * time.Millisecond)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if configure != nil {
		configure(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestPlainHTTPConnections(t *testing.T) {
	readAll := func(r io.Reader) error { _, err := io.ReadAll(r); return err }
	decode := func(r io.Reader) error { var v any; return json.NewDecoder(r).Decode(&v) }
	for _, tc := range []struct {
		name      string
		configure func(*http.Server)
		read      func(io.Reader) error
		chunked   bool
		pause     time.Duration // between two requests
		conns     int64         // made for ten requests
	}{
		{"answers read to the end", nil, readAll, false, 0, 1},
		// The library's JSON decoder stops at the end of the value,
		// before the chunked body's last chunk.
		{"answers decoded", nil, decode, true, 0, 1},
		{"server closes after each answer", func(s *http.Server) { s.SetKeepAlivesEnabled(false) }, readAll, false, 0, 10},
		// Checked before reuse, found closed, dialled anew.
		{"server closes idle connections", func(s *http.Server) { s.IdleTimeout = 20 * time.Millisecond }, decode, false, 100 * time.Millisecond, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, conns := countingServer(t, tc.configure)
			tr := newPlainHTTP(http.DefaultTransport, 4)
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			path := "/sendMessage"
			if tc.chunked {
				path += "?chunked"
			}
			for i := range 10 {
				time.Sleep(tc.pause)
				resp, err := client.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(fmt.Sprintf("text=%d", i)))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if err := tc.read(resp.Body); err != nil {
					t.Fatalf("answer %d: %v", i, err)
				}
				resp.Body.Close()
			}
			if got := conns.Load(); got != tc.conns {
				t.Errorf("%d connections for 10 requests, want %d", got, tc.conns)
			}
		})
	}
}

func TestPlainHTTPAnswersCutShortByTheContext(t *testing.T) {
	release := make(chan struct{})
	srv, conns := countingServer(t, func(s *http.Server) {
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
			io.WriteString(w, `{"ok":true}`)
		})
	})
	defer close(release)
	client := &http.Client{Transport: newPlainHTTP(http.DefaultTransport, 4)}
	get := func(ctx context.Context, path string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := get(context.Background(), "/fast"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"past its deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			if err := get(ctx, "/slow"); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			// The connection the answer was cut on is not used again.
			before := conns.Load()
			if err := get(context.Background(), "/fast"); err != nil {
				t.Fatal(err)
			}
			if conns.Load() != before+1 {
				t.Errorf("the next request went on an old connection")
			}
		})
	}
}

func TestAliveAfterIdle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(net.Conn)
		alive  bool
	}{
		{"open and quiet", func(net.Conn) {}, true},
		{"closed by the server", func(c net.Conn) { c.Close() }, false},
		{"an answer nobody asked for", func(c net.Conn) { io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\n\r\n") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				tc.server(c)
				time.Sleep(200 * time.Millisecond)
				c.Close()
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			time.Sleep(50 * time.Millisecond) // the server has acted
			if got := aliveAfterIdle(c); got != tc.alive {
				t.Errorf("alive %v, want %v", got, tc.alive)
			}
			<-done
		})
	}
}

func TestTransportFor(t *testing.T) {
	proxy, _ := url.Parse("http://proxy.example:3128")
	for _, tc := range []struct {
		name, endpoint string
		proxied        bool
		plain          bool
	}{
		{"Telegram over HTTPS", "https://api.telegram.org/bot%s/%s", false, false},
		{"a local Bot API server", "http://127.0.0.1:8081/bot%s/%s", false, true},
		{"a plain endpoint behind a proxy", "http://botapi.internal/bot%s/%s", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.Proxy = func(*http.Request) (*url.URL, error) {
				if tc.proxied {
					return proxy, nil
				}
				return nil, nil
			}
			_, plain := transportFor(tc.endpoint, tr).(*plainHTTP)
			if plain != tc.plain {
				t.Errorf("plain HTTP client %v, want %v", plain, tc.plain)
			}
		})
	}
}

// A server that answers before it has read the whole request (a file over
// its upload limit) and closes the connection is heard, not reported as a
// broken connection.
func TestPlainHTTPHearsAnAnswerBeforeTheWholeRequest(t *testing.T) {
	srv, _ := countingServer(t, func(s *http.Server) {
		s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.CopyN(io.Discard, r.Body, 1<<10)
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			io.WriteString(w, `{"ok":false,"error_code":413,"description":"Request Entity Too Large"}`)
		})
	})
	client := &http.Client{Transport: newPlainHTTP(http.DefaultTransport, 4)}
	resp, err := client.Post(srv.URL+"/sendDocument", "application/octet-stream", strings.NewReader(strings.Repeat("x", 32<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "413") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}
