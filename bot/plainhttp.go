package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// plainHTTP speaks HTTP/1.1 to a Bot API reached over plain HTTP (a local
// telegram-bot-api server next to the service) on the caller's goroutine,
// over a pool of kept-alive connections. Requests and answers are written
// and read by net/http's own code (Request.Write, ReadResponse); only the
// pool is canhbao's.
//
// net/http's Transport gives every connection a reading and a writing
// goroutine, so each request passes between three goroutines; at a
// thousand paced messages a second, waking them cost about 6 % of the
// service's CPU. HTTPS (TLS, HTTP/2) and proxies stay with net/http:
// transportFor picks plainHTTP only for an http:// endpoint that no proxy
// applies to, and any other request goes to fallback.
type plainHTTP struct {
	dialer   net.Dialer
	fallback http.RoundTripper
	// maxIdle connections are kept per host. One idle for checkAfter or
	// longer is first checked for a close by the server (aliveAfterIdle),
	// and one idle for idleFor or longer is closed rather than reused.
	maxIdle    int
	checkAfter time.Duration
	idleFor    time.Duration
	// awaitFor bounds the wait for an answer's first bytes (see
	// awaitAfter); past it, the answer is read as usual.
	awaitFor time.Duration

	mu   sync.Mutex
	idle map[string][]*plainConn
}

// newPlainHTTP keeps up to maxIdle idle connections per host.
func newPlainHTTP(fallback http.RoundTripper, maxIdle int) *plainHTTP {
	return &plainHTTP{
		dialer:     net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		fallback:   fallback,
		maxIdle:    maxIdle,
		checkAfter: 50 * time.Millisecond,
		idleFor:    30 * time.Second,
		awaitFor:   time.Second,
		idle:       make(map[string][]*plainConn),
	}
}

// transportFor is tr, or plainHTTP in front of it for a Bot API behind
// plain HTTP that no proxy applies to.
func transportFor(endpoint string, tr *http.Transport) http.RoundTripper {
	u, err := url.Parse(fmt.Sprintf(endpoint, "token", "getMe"))
	if err != nil || u.Scheme != "http" {
		return tr
	}
	if tr.Proxy != nil {
		if proxy, err := tr.Proxy(&http.Request{URL: u}); err != nil || proxy != nil {
			return tr
		}
	}
	return newPlainHTTP(tr, tr.MaxIdleConnsPerHost)
}

// plainConn is one kept-alive connection and its buffers.
type plainConn struct {
	net.Conn
	host   string
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
	reused bool
}

func (t *plainHTTP) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return t.fallback.RoundTrip(req)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	host := req.URL.Host
	if req.URL.Port() == "" {
		host = net.JoinHostPort(req.URL.Hostname(), "80")
	}
	c, err := t.conn(ctx, host)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, wrote, err := t.exchange(c, req)
	if err != nil && !wrote && c.reused && ctx.Err() == nil && rewindable(req) {
		// The server closed the connection while it sat idle; nothing of
		// the request reached it. Once more, on a new connection.
		var again *http.Request
		if again, err = rewound(req); err == nil {
			if c, err = t.dial(ctx, host); err == nil {
				resp, _, err = t.exchange(c, again)
			}
		}
	}
	if err != nil {
		closeBody(req)
		return nil, contextCause(ctx, err)
	}
	return resp, nil
}

// exchange sends req on c and reads the answer; wrote reports whether
// the whole request was written. On an error c is closed.
func (t *plainHTTP) exchange(c *plainConn, req *http.Request) (resp *http.Response, wrote bool, err error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if err != nil {
			stop()
			c.Close()
		}
	}()
	if wrote, err = send(c, req, t.awaitFor); !wrote {
		if resp, ok := answerAfterFailedWrite(c, req); ok {
			// The server answered before taking the whole request (a file
			// over its upload limit) and closed the connection.
			resp.Body = &plainBody{body: resp.Body, ctx: ctx, t: t, c: c, stop: stop}
			return resp, false, nil
		}
		return nil, false, err
	}
	if err != nil {
		return nil, true, err
	}
	if resp, err = readAnswer(c, req); err != nil {
		return nil, true, err
	}
	resp.Body = &plainBody{body: resp.Body, ctx: ctx, t: t, c: c, stop: stop, keep: !resp.Close && !req.Close}
	return resp, true, nil
}

// send writes req on c, with c's deadlines those of the request's
// context, and waits up to awaitFor until the answer can be read (see
// awaitAfter); wrote reports whether the whole request was written.
//
// The wait is bounded because arming it forgets what the connection saw
// before: a server that closed its side while the connection sat idle,
// and then kept reading, would otherwise be heard only at the deadline.
// Past awaitFor the answer is read as usual, which finds that close.
func send(c *plainConn, req *http.Request, awaitFor time.Duration) (wrote bool, err error) {
	ctx := req.Context()
	dl, _ := ctx.Deadline()
	wait := time.Now().Add(awaitFor)
	if !dl.IsZero() && dl.Before(wait) {
		wait = dl
	}
	if err := c.SetWriteDeadline(dl); err != nil {
		return false, err
	}
	if err := c.SetReadDeadline(wait); err != nil {
		return false, err
	}
	// Had the context ended before that, setting the deadlines would
	// have undone its cut.
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var werr error
	err = awaitAfter(c, func() error {
		if werr = req.Write(c.bw); werr == nil {
			werr = c.bw.Flush()
		}
		return werr
	})
	if werr != nil {
		return false, werr
	}
	bounded := !wait.Equal(dl) // by awaitFor, before the request's own deadline
	if err != nil && !(bounded && errors.Is(err, os.ErrDeadlineExceeded)) {
		return true, err
	}
	if bounded {
		return true, readUntilDeadline(c, ctx)
	}
	return true, nil
}

// readUntilDeadline gives c's reads the deadline of ctx again after a
// shorter one, and reports whether ctx has ended: setting the deadline
// would have undone the cut made at its end.
func readUntilDeadline(c *plainConn, ctx context.Context) error {
	dl, _ := ctx.Deadline()
	if err := c.SetReadDeadline(dl); err != nil {
		return err
	}
	return ctx.Err()
}

// readAnswer reads the answer to req from c, skipping informational
// (1xx) answers that come before it.
func readAnswer(c *plainConn, req *http.Request) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, err
		}
	}
}

// answerAfterFailedWrite looks, for a moment, for an answer the server
// sent before it stopped reading the request.
func answerAfterFailedWrite(c *plainConn, req *http.Request) (*http.Response, bool) {
	ctx := req.Context()
	if ctx.Err() != nil || c.SetReadDeadline(time.Now().Add(answerWait)) != nil {
		return nil, false
	}
	resp, err := readAnswer(c, req)
	if err != nil || readUntilDeadline(c, ctx) != nil {
		return nil, false
	}
	return resp, true
}

// answerWait is how long an answer is looked for after a failed write.
const answerWait = 50 * time.Millisecond

// contextCause is ctx's error when the end of ctx made err: the
// connection's deadline, set from ctx's, can pass a moment before ctx
// itself says it is done.
func contextCause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return err
}

// conn returns a kept-alive connection to host, or dials one.
func (t *plainHTTP) conn(ctx context.Context, host string) (*plainConn, error) {
	now := time.Now()
	for {
		t.mu.Lock()
		pool := t.idle[host]
		if len(pool) == 0 {
			t.mu.Unlock()
			return t.dial(ctx, host)
		}
		c := pool[len(pool)-1] // the most recently used: least likely closed
		t.idle[host] = pool[:len(pool)-1]
		t.mu.Unlock()
		idle := now.Sub(c.idleAt)
		// The last request's deadline, passed, would fail the check.
		if idle < t.checkAfter || idle < t.idleFor && c.SetReadDeadline(time.Time{}) == nil && aliveAfterIdle(c.Conn) {
			c.reused = true
			return c, nil
		}
		c.Close()
	}
}

func (t *plainHTTP) dial(ctx context.Context, host string) (*plainConn, error) {
	nc, err := t.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	rw := socketIO(nc)
	return &plainConn{Conn: nc, host: host, br: bufio.NewReaderSize(rw, 4<<10), bw: bufio.NewWriterSize(rw, 4<<10)}, nil
}

// put keeps c for a later request, or closes it when the pool is full.
func (t *plainHTTP) put(c *plainConn) {
	c.idleAt = time.Now()
	t.mu.Lock()
	if pool := t.idle[c.host]; len(pool) < t.maxIdle {
		t.idle[c.host] = append(pool, c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// CloseIdleConnections closes the kept-alive connections, and the
// fallback's (http.Client.CloseIdleConnections calls it).
func (t *plainHTTP) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*plainConn)
	t.mu.Unlock()
	for _, pool := range idle {
		for _, c := range pool {
			c.Close()
		}
	}
	if ci, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// plainBody hands its connection back once the answer has been read to
// the end. An answer closed early is read on for up to drainLimit bytes
// first (the library's JSON decoder stops at the end of the value, before
// the body has said EOF); past that, the connection is closed.
type plainBody struct {
	body io.ReadCloser
	ctx  context.Context
	t    *plainHTTP
	c    *plainConn
	stop func() bool
	keep bool
	eof  bool
}

const drainLimit = 64 << 10

func (b *plainBody) Read(p []byte) (int, error) {
	if b.c == nil {
		return 0, errors.New("read on a closed answer")
	}
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		err = contextCause(b.ctx, err)
	}
	return n, err
}

func (b *plainBody) Close() error {
	c := b.c
	if c == nil {
		return nil
	}
	b.c = nil
	if !b.eof && b.keep {
		n, err := io.CopyN(io.Discard, b.body, drainLimit)
		b.eof = err == io.EOF && n < drainLimit
	}
	// Bytes after the answer would be read as the next one's.
	reuse := b.stop() && b.eof && b.keep && c.br.Buffered() == 0
	if !reuse {
		c.Close() // first: closing the body would otherwise read the rest
	}
	b.body.Close()
	if reuse {
		b.t.put(c)
	}
	return nil
}

// rewindable reports whether req can be sent again: it has no body or can
// make a new one.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewound is req with a fresh copy of its body.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = body
	return &r, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
