package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a zero Fetcher.
const (
	// DefaultMaxBytes caps a document: MSRC's feed, the largest default,
	// is about 2.4 MB and the full KEV catalogue about 1.3 MB.
	DefaultMaxBytes = 16 << 20
	// DefaultTimeout bounds one whole fetch, body included.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxRedirects is how many redirects a fetch follows.
	DefaultMaxRedirects = 5
)

// ErrTooLarge is wrapped by the error for a body over the size cap.
var ErrTooLarge = errors.New("response body too large")

// UserAgent is the honest User-Agent canhbao sends, so that a site's
// operators can see who polls them and why (CISA has refused anonymous
// fetchers).
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "canhbao/" + version + " (+cybersecurity warning relay)"
}

// Fetcher downloads source documents politely and defensively: conditional
// GET so an unchanged feed costs a 304, a size cap so a hostile or broken
// server cannot exhaust memory, a timeout on the whole answer so it cannot
// hang a poll, a redirect limit so it cannot loop, and for a source
// configured on a public host, no connection or redirect to a loopback,
// private or link-local address (ErrPrivateAddress), checked again at each
// connection against DNS rebinding. The zero value is ready to use and a
// Fetcher is safe for concurrent use; do not copy one after first use.
type Fetcher struct {
	// Client does the requests; nil uses http.DefaultTransport. Its
	// CheckRedirect is replaced by the Fetcher's redirect limit.
	Client *http.Client
	// UserAgent is sent with every request; empty uses UserAgent("dev").
	UserAgent string
	// MaxBytes caps a response body; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds a whole fetch including the body; 0 means
	// DefaultTimeout. The caller's context can end it sooner.
	Timeout time.Duration
	// MaxRedirects is how many redirects to follow; 0 means
	// DefaultMaxRedirects, negative means none.
	MaxRedirects int

	once   sync.Once
	guard  *netGuard       // set before first use by tests
	public *http.Transport // for sources on public hosts, when Client has no Transport
}

// Validators are the conditional-GET validators of the last full response
// (RFC 9110 §8.8): sent back so that an unchanged document costs a 304.
type Validators struct {
	ETag         string
	LastModified string
}

// Response is one fetched document.
type Response struct {
	// URL is where the document was finally read, after redirects:
	// relative links resolve against it.
	URL         string
	Status      int
	ContentType string
	// Body is nil when NotModified.
	Body []byte
	// Validators to send with the next request for the same URL.
	Validators Validators
	// NotModified is set for a 304: the document is unchanged since the
	// validators were issued and nothing was read.
	NotModified bool
}

// StatusError is a non-2xx answer. RetryAfter is the server's Retry-After
// (429, 503), zero when it gave none, so that the poller can back off as
// asked.
type StatusError struct {
	Code       int
	Status     string
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := "HTTP " + e.Status
	if e.Status == "" {
		s = "HTTP " + strconv.Itoa(e.Code)
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Fetch GETs rawURL, sending v's validators. A 304 returns a Response with
// NotModified set and no body read; any other non-2xx status is a
// *StatusError. The body is read through a limit one byte over MaxBytes,
// so that an oversized body fails after reading at most MaxBytes+1 bytes.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	resp, err := f.fetch(ctx, rawURL, v)
	if err != nil {
		return nil, fmt.Errorf("feeds: fetch %s: %w", RedactURL(rawURL), err)
	}
	return resp, nil
}

func (f *Fetcher) fetch(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("unsupported URL scheme %q", req.URL.Scheme)
	}
	req.URL.Fragment, req.URL.RawFragment = "", "" // options, never sent
	req.Header.Set("User-Agent", cmpOr(f.UserAgent, UserAgent("")))
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5")
	// Both validators are sent; a server that knows the ETag ignores
	// If-Modified-Since (RFC 9110 §13.1.3).
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}

	resp, err := f.client(!privateName(req.URL.Hostname(), f.netGuard().isPrivate)).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its "Get <url>" repeats what our prefix says
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("no complete answer within %s: %w", timeout, err)
		}
		return nil, err
	}
	defer resp.Body.Close()

	out := &Response{
		URL:         resp.Request.URL.String(),
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Validators: Validators{
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
		},
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		// A 304 may omit validators it did not change.
		out.Validators.ETag = cmpOr(out.Validators.ETag, v.ETag)
		out.Validators.LastModified = cmpOr(out.Validators.LastModified, v.LastModified)
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		return nil, &StatusError{
			Code:       resp.StatusCode,
			Status:     resp.Status,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}

	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: Content-Length %d bytes is over the %s limit", ErrTooLarge, resp.ContentLength, byteSize(limit))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("read body: no complete answer within %s: %w", timeout, err)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: over the %s limit", ErrTooLarge, byteSize(limit))
	}
	out.Body = body
	return out, nil
}

func (f *Fetcher) netGuard() *netGuard {
	f.once.Do(func() {
		if f.guard == nil {
			f.guard = newNetGuard()
		}
		f.public = http.DefaultTransport.(*http.Transport).Clone()
		f.public.DialContext = f.guard.dial
	})
	return f.guard
}

// client returns a shallow copy of the configured client with the
// Fetcher's redirect policy; for a source on a public host, with its
// connections and redirects kept on public addresses. A Client with its
// own Transport keeps it, and only redirects are checked.
func (f *Fetcher) client(public bool) *http.Client {
	c := http.Client{}
	if f.Client != nil {
		c = *f.Client
	}
	g := f.netGuard()
	if public && c.Transport == nil {
		c.Transport = f.public
	}
	max := f.MaxRedirects
	if max == 0 {
		max = DefaultMaxRedirects
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if max < 0 {
			return errors.New("redirects are not allowed")
		}
		for _, prev := range via {
			if prev.URL.String() == req.URL.String() {
				return fmt.Errorf("redirect loop: back to %s after %d redirects", RedactURL(req.URL.String()), len(via))
			}
		}
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirects", max)
		}
		if public {
			return g.checkRedirect(req.URL)
		}
		return nil
	}
	return &c
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
