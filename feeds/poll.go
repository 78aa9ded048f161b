package feeds

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Sink is where a poll's results go; cmd wires it to the store.
type Sink interface {
	// Ingest stores one successful poll's alerts (all of them: the store
	// skips keys it has seen).
	Ingest(ctx context.Context, src store.Source, alerts []store.Alert) error
	// RecordPoll records the outcome of every poll, for source health.
	RecordPoll(ctx context.Context, name string, res PollResult) error
}

// PollResult is the outcome of one poll of one source.
type PollResult struct {
	// At is when the poll started.
	At time.Time
	// Err is why the poll failed (fetch, parse or ingest), nil on success.
	Err error
	// Items is how many items the document had; for NotModified, the
	// count of the last full poll; 0 when Err is set.
	Items int
	// NotModified is set when the server answered 304, or sent the same
	// document again: nothing was parsed.
	NotModified bool
	// Next is when the source will be polled again, backoff included.
	Next time.Time
	// Keep is set when Validators and ContentHash are to be stored with
	// the source (a successful poll), so that a restart costs no full
	// download and no parsing of an unchanged document.
	Keep        bool
	Validators  Validators
	ContentHash string
}

// Defaults of a zero Poller.
const (
	// DefaultInterval keeps warnings timely without hammering sources;
	// with conditional GET an unchanged feed costs a 304.
	DefaultInterval = 15 * time.Minute
	// DefaultConcurrency bounds documents parsed and stored at once: that
	// is where a poll costs CPU and memory.
	DefaultConcurrency = 4
	// DefaultDownloads bounds fetches in flight. A fetch mostly waits on
	// the network, so many may run: a source that answers slowly (one byte
	// a second, until its deadline) holds a download slot, never a parsing
	// slot, and delays no other source unless more than this many are slow
	// at once.
	DefaultDownloads = 32
	// DefaultMaxBackoff is the longest wait after repeated failures, so a
	// source that comes back is noticed within the hour.
	DefaultMaxBackoff = time.Hour
)

// Poller polls every non-paused source at start and then every Interval,
// each poll in its own goroutine so that one slow or broken source never
// delays another. After failures a source backs off exponentially
// (Interval·2^n, at most MaxBackoff, never less than Interval) and is
// polled at its normal pace again after a success. Conditional-GET
// validators and a digest of the last document are kept per source and
// reported with each poll (the store keeps them, and a restarted poller
// starts from them), so an unchanged document costs a 304, or from a server
// without validators a download and no parsing.
//
// At start, sources wait for the KEV catalogue's first poll (at most 20 s,
// and not at all when the Classifier was seeded), so that their first
// alerts are already cross-referenced with it.
type Poller struct {
	// Fetcher downloads documents; nil uses a zero Fetcher.
	Fetcher *Fetcher
	// Sources is read before every round, so /source add, pause and remove
	// take effect without a restart.
	Sources func(ctx context.Context) ([]store.Source, error)
	// Sink receives alerts and poll results.
	Sink Sink
	// Interval between polls of one source (CANHBAO_POLL_INTERVAL); 0
	// means DefaultInterval.
	Interval time.Duration
	// Log receives errors and poll summaries; nil uses slog.Default().
	Log *slog.Logger
	// Classifier cross-references alerts with the CISA KEV catalogue; nil
	// uses one of the Poller's own.
	Classifier *Classifier
	// Concurrency bounds documents parsed and stored at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// Downloads bounds fetches in flight; 0 means DefaultDownloads.
	Downloads int
	// Timeout bounds one fetch and parse; 0 means the Fetcher's timeout
	// plus a margin for parsing.
	Timeout time.Duration
	// MaxBackoff caps the delay after repeated failures; 0 means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration

	once    sync.Once
	wake    chan struct{}
	started time.Time
	mu      sync.Mutex
	state   map[string]*sourceState
}

// kevWait is how long, at start, sources wait for the KEV catalogue's first
// poll, so that their first alerts are already cross-referenced: the store
// keeps an alert as first ingested.
const kevWait = 20 * time.Second

// sourceState is what the poller remembers of a source between polls.
type sourceState struct {
	url        string
	kind       store.SourceKind
	validators Validators
	hash       string // digest of the last document read in full
	failures   int
	due        time.Time
	running    bool
	items      int
	polls      int // finished polls, successful or not
}

func (p *Poller) init() {
	p.once.Do(func() {
		p.wake = make(chan struct{}, 1)
		p.state = make(map[string]*sourceState)
		if p.Classifier == nil {
			p.Classifier = &Classifier{}
		}
		if p.Fetcher == nil {
			p.Fetcher = &Fetcher{}
		}
		if p.Log == nil {
			p.Log = slog.Default()
		}
	})
}

func (p *Poller) interval() time.Duration {
	if p.Interval > 0 {
		return p.Interval
	}
	return DefaultInterval
}

func (p *Poller) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	t := p.Fetcher.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return t + 30*time.Second
}

// Wake makes Run re-read the sources now, so that a source added with
// /source add is polled at once. It never blocks.
func (p *Poller) Wake() {
	p.init()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run polls until ctx is done, then waits for polls in flight (which stop
// with ctx) and returns nil. Call it once per Poller. It returns an error at once only when the
// Poller lacks Sources or Sink.
func (p *Poller) Run(ctx context.Context) error {
	if p.Sources == nil || p.Sink == nil {
		return errors.New("feeds: poller needs Sources and Sink")
	}
	p.init()
	sem := slots{
		fetch: make(chan struct{}, cmp.Or(max(p.Downloads, 0), DefaultDownloads)),
		work:  make(chan struct{}, cmp.Or(max(p.Concurrency, 0), DefaultConcurrency)),
	}
	done := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()

	p.mu.Lock()
	p.started = time.Now()
	p.mu.Unlock()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last []store.Source
	for {
		srcs, err := p.Sources(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.Log.Error("feeds: read sources", slog.Any("err", err))
			srcs = last // keep polling what we knew
		}
		last = srcs
		next := p.launch(ctx, srcs, sem, done, &wg)

		// Since Go 1.23 Reset needs no draining of the timer's channel.
		timer.Reset(max(time.Until(next), 0))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-p.wake:
		case <-done:
		}
	}
}

// launch starts a poll of every due, idle, non-paused source and returns
// when the next one falls due. KEV sources go first, so that the first
// round can already cross-reference other sources' CVEs.
func (p *Poller) launch(ctx context.Context, srcs []store.Source, sem slots, done chan struct{}, wg *sync.WaitGroup) time.Time {
	now := time.Now()
	next := now.Add(p.interval())
	ordered := slices.Clone(srcs)
	slices.SortStableFunc(ordered, func(a, b store.Source) int {
		return boolRank(a.Kind != store.KindKEV) - boolRank(b.Kind != store.KindKEV)
	})

	p.mu.Lock()
	defer p.mu.Unlock()
	// Until the KEV catalogue has been read once (or kevWait has passed,
	// or the caller seeded the Classifier), sources never polled wait.
	waitKEV := false
	if now.Sub(p.started) < kevWait && p.Classifier.KEVSize() == 0 {
		for _, src := range ordered {
			if st := p.state[src.Name]; src.Kind == store.KindKEV && !src.Paused && (st == nil || st.polls == 0 || st.url != src.URL) {
				waitKEV = true
				next = minTime(next, p.started.Add(kevWait))
			}
		}
	}
	live := make(map[string]bool, len(ordered))
	for _, src := range ordered {
		live[src.Name] = true
		if src.Paused {
			continue
		}
		st := p.state[src.Name]
		if st == nil {
			st = &sourceState{}
			p.state[src.Name] = st
		}
		if st.url != src.URL || st.kind != src.Kind {
			// New, or changed by /source: start afresh. A poll of the
			// old URL still running finishes first.
			*st = sourceState{url: src.URL, kind: src.Kind, running: st.running}
			if !src.LastSuccess.IsZero() {
				// What the store kept from before a restart.
				st.validators = Validators{ETag: src.ETag, LastModified: src.LastModified}
				st.hash, st.items = src.ContentHash, src.Items
			}
		}
		if st.running || waitKEV && src.Kind != store.KindKEV && st.polls == 0 {
			continue
		}
		if st.due.After(now) {
			if st.due.Before(next) {
				next = st.due
			}
			continue
		}
		st.running = true
		wg.Add(1)
		go func(src store.Source, known memo) {
			defer wg.Done()
			p.pollOne(ctx, src, known, sem)
			select {
			case done <- struct{}{}:
			default:
			}
		}(src, memo{st.validators, st.hash})
	}
	for name, st := range p.state {
		if !live[name] && !st.running {
			delete(p.state, name) // removed: forget its validators
		}
	}
	return next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// slots bound the polls in flight: fetch for downloads, work for parsing
// and storing. A nil channel is no bound.
type slots struct{ fetch, work chan struct{} }

// take waits for a slot of ch; false when ctx ended first.
func take(ctx context.Context, ch chan struct{}) bool {
	if ch == nil {
		return true
	}
	select {
	case ch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func give(ch chan struct{}) {
	if ch != nil {
		<-ch
	}
}

// pollOne fetches, parses and ingests one source and records the result.
func (p *Poller) pollOne(ctx context.Context, src store.Source, known memo, sem slots) {
	start := time.Now()
	log := p.Log.With(slog.String("source", src.Name))
	resp, alerts, hash, err := p.fetchParse(ctx, src, known, sem)
	if ctx.Err() != nil {
		p.finish(src, nil, 0, "", nil) // shutting down: not the source's fault
		return
	}
	if err == nil && !resp.NotModified {
		err = p.ingest(ctx, src, alerts, sem)
	}
	res := p.finish(src, resp, len(alerts), hash, err)
	res.At = start
	took := slog.Duration("took", time.Since(start).Round(time.Millisecond))
	switch {
	case err != nil:
		log.Warn("feeds: poll failed", slog.Any("err", err), slog.Time("next", res.Next))
	case res.NotModified:
		log.Debug("feeds: not modified", took)
	default:
		log.Info("feeds: polled", slog.Int("items", res.Items), took)
	}
	if ctx.Err() != nil {
		return
	}
	if rerr := p.Sink.RecordPoll(ctx, src.Name, res); rerr != nil {
		log.Error("feeds: record poll", slog.Any("err", rerr))
	}
}

// finish updates the source's state after a poll of items items (resp and
// err both nil for a poll cut short by shutdown) and returns the result.
func (p *Poller) finish(src store.Source, resp *Response, items int, hash string, err error) PollResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state[src.Name]
	if st != nil {
		st.running = false
	}
	if resp == nil && err == nil {
		return PollResult{}
	}
	if st == nil || st.url != src.URL || st.kind != src.Kind {
		st = &sourceState{} // removed or changed meanwhile: report, forget
	}
	st.polls++
	now := time.Now()
	var res PollResult
	switch {
	case err != nil:
		res.Err = err
		st.failures++
		delay := p.backoff(st.failures)
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > delay {
			delay = min(se.RetryAfter, 24*time.Hour) // as the server asked
		}
		st.due = now.Add(delay)
	case resp.NotModified:
		res.NotModified = true
		res.Items = st.items
		st.failures = 0
		st.due = now.Add(p.interval())
		st.validators = resp.Validators
	default:
		res.Items = items
		st.items = items
		st.failures = 0
		st.due = now.Add(p.interval())
		// Validators are kept only once the alerts are safely ingested:
		// a 304 must never hide items the store did not take.
		st.validators, st.hash = resp.Validators, hash
	}
	if err == nil {
		res.Keep, res.Validators, res.ContentHash = true, st.validators, st.hash
	}
	res.Next = st.due
	return res
}

// memo is what the poller knows of a source's last full read: the
// conditional-GET validators and the document's digest.
type memo struct {
	validators Validators
	hash       string
}

// documentHash is the digest of a document as read with a source's
// options: the same bytes read another way (new selectors, a new default
// severity) are parsed again.
func documentHash(src store.Source, body []byte) string {
	h := sha256.New()
	h.Write([]byte(FormatSource(src)))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ingest hands a poll's alerts to the Sink, in a work slot.
func (p *Poller) ingest(ctx context.Context, src store.Source, alerts []store.Alert, sem slots) error {
	if !take(ctx, sem.work) {
		return ctx.Err()
	}
	defer give(sem.work)
	if err := p.Sink.Ingest(ctx, src, alerts); err != nil {
		return fmt.Errorf("feeds: ingest %s: %w", src.Name, err)
	}
	return nil
}

// backoff is Interval·2^failures, capped at MaxBackoff but never below
// Interval.
func (p *Poller) backoff(failures int) time.Duration {
	iv := p.interval()
	limit := p.MaxBackoff
	if limit <= 0 {
		limit = DefaultMaxBackoff
	}
	limit = max(limit, iv)
	d := iv
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// fetchParse is one conditional fetch and parse, bounded by the timeout. A
// panic on the way (a library's bug met by a hostile document) becomes this
// source's error, so that the other sources keep flowing.
func (p *Poller) fetchParse(ctx context.Context, src store.Source, known memo, sem slots) (resp *Response, alerts []store.Alert, hash string, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.Log.Error("feeds: panic while reading a source", slog.String("source", src.Name),
				slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			resp, alerts, err = nil, nil, fmt.Errorf("feeds: poll %s: failed: %v", src.Name, r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	if !take(ctx, sem.fetch) {
		return nil, nil, "", ctx.Err()
	}
	resp, err = p.Fetcher.Fetch(ctx, src.URL, known.validators)
	give(sem.fetch)
	if err != nil {
		return nil, nil, "", err
	}
	if resp.NotModified {
		return resp, nil, known.hash, nil
	}
	hash = documentHash(src, resp.Body)
	if known.hash != "" && hash == known.hash {
		// The same document again (a server without validators): as
		// good as a 304, nothing to parse.
		resp.NotModified, resp.Body = true, nil
		return resp, nil, hash, nil
	}
	if !take(ctx, sem.work) {
		return nil, nil, "", ctx.Err()
	}
	defer give(sem.work)
	doc := src
	doc.URL = resp.URL // relative links resolve against the final URL
	// The document (up to MaxBody) is handed to the parser alone, so that
	// it can be collected once read, while a large poll's items are
	// cleaned and classified and its alerts stored.
	body := resp.Body
	resp.Body = nil
	alerts, err = Parse(doc, body, resp.ContentType, time.Now())
	if err != nil {
		return nil, nil, "", err
	}
	for i := range alerts {
		alerts[i].Source = src.Name
	}
	p.Classifier.Apply(src, alerts)
	if n := len(alerts); n > 0 && src.Kind == store.KindKEV {
		p.Log.Debug("feeds: KEV catalogue loaded", slog.String("source", src.Name), slog.Int("cves", p.Classifier.KEVSize()))
	}
	return resp, alerts, hash, nil
}

// Fetch fetches and parses one source once, unconditionally and without
// the Sink, cross-referenced with the KEV ids seen so far: what `canhbao
// preview` shows.
func (p *Poller) Fetch(ctx context.Context, src store.Source) ([]store.Alert, error) {
	p.init()
	_, alerts, _, err := p.fetchParse(ctx, src, memo{}, slots{})
	return alerts, err
}
