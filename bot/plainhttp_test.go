package bot

import (
	"bufio"
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
		requests  int
		pause     time.Duration // between two requests
		deadline  time.Duration // of each request; 0 for none
		conns     int64         // made for the requests
	}{
		{"answers read to the end", nil, readAll, false, 10, 0, 0, 1},
		// The library's JSON decoder stops at the end of the value,
		// before the chunked body's last chunk.
		{"answers decoded", nil, decode, true, 10, 0, 0, 1},
		{"server closes after each answer", func(s *http.Server) { s.SetKeepAlivesEnabled(false) }, readAll, false, 10, 0, 0, 10},
		// Checked before reuse, found closed, dialled anew.
		{"server closes idle connections", func(s *http.Server) { s.IdleTimeout = 20 * time.Millisecond }, decode, false, 10, 100 * time.Millisecond, 0, 10},
		// Checked before reuse and found open, although the deadline of
		// the request before has passed meanwhile.
		{"idle connections still open", nil, decode, false, 4, 600 * time.Millisecond, 500 * time.Millisecond, 1},
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
			for i := range tc.requests {
				time.Sleep(tc.pause)
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tc.deadline > 0 {
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				}
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, strings.NewReader(fmt.Sprintf("text=%d", i)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if err := tc.read(resp.Body); err != nil {
					t.Fatalf("answer %d: %v", i, err)
				}
				resp.Body.Close()
			}
			if got := conns.Load(); got != tc.conns {
				t.Errorf("%d connections for %d requests, want %d", got, tc.requests, tc.conns)
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
			// The connection the answer was cut on is not used again (it
			// would wait behind the slow answer).
			before := conns.Load()
			fast, cancelFast := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancelFast()
			if err := get(fast, "/fast"); err != nil {
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
			acted, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					close(acted)
					return
				}
				tc.server(c)
				close(acted)
				<-release
				c.Close()
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			<-acted
			// What the server did reaches this end of the connection.
			time.Sleep(20 * time.Millisecond)
			if got := aliveAfterIdle(c); got != tc.alive {
				t.Errorf("alive %v, want %v", got, tc.alive)
			}
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

// A kept-alive connection the server reset while it sat idle (too briefly
// for the idle check) fails the write of the next request, which is then
// made again on a new connection.
func TestPlainHTTPRetriesAWriteOnAResetConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			first := conns.Add(1) == 1
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, _ := io.ReadAll(req.Body)
					answer := fmt.Sprintf(`{"ok":true,"result":%q}`, body)
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(answer), answer)
					if first {
						c.(*net.TCPConn).SetLinger(0) // close with a reset
						return
					}
				}
			}()
		}
	}()
	tr := newPlainHTTP(http.DefaultTransport, 4)
	tr.checkAfter = time.Hour // no idle check: the write must find the reset
	client := &http.Client{Transport: tr}
	for i := range 2 {
		resp, err := client.Post("http://"+ln.Addr().String()+"/sendMessage", "text/plain", strings.NewReader(fmt.Sprintf("text=%d", i)))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("text=%d", i); !strings.Contains(string(body), want) {
			t.Errorf("answer %d: %s", i, body)
		}
		time.Sleep(50 * time.Millisecond) // the reset arrives
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("%d connections, want 2", got)
	}
}

// A server may close its side of a kept-alive connection and go on
// reading. Waiting for the answer forgets what the connection saw before,
// so the wait is bounded and the close is still heard long before the
// request's deadline.
func TestPlainHTTPHearsACloseWhileTheConnectionSatIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c) // reads on, answers nothing
			}()
		}
	}()
	tr := newPlainHTTP(http.DefaultTransport, 4)
	tr.checkAfter = time.Hour // no idle check: the close must be heard otherwise
	tr.awaitFor = 100 * time.Millisecond
	client := &http.Client{Transport: tr}
	post := func() (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+"/sendMessage", strings.NewReader("text=1"))
		start := time.Now()
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		return time.Since(start), err
	}
	if _, err := post(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the close arrives while the connection is idle
	took, err := post()
	if err == nil {
		t.Fatal("an answer from a connection the server had closed")
	}
	if errors.Is(err, context.DeadlineExceeded) || took > 5*time.Second {
		t.Errorf("the close was heard only after %v: %v", took, err)
	}
}
