package bot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/canhbao/canhbao/store"
)

// Sender is the only way a message leaves canhbao: it sends the outbox's
// due entries to Telegram, paced per chat and overall, and records each
// outcome in the store. A chat that is throttled or failing never holds up
// the others.
//
// Crash safety: an entry leaves the outbox only in the transaction that
// records its outcome. At most Workers requests are in flight, and at most
// CrashBound messages are between "handed to a worker" and "outcome
// recorded" at any moment; a kill -9 can therefore repeat at most
// CrashBound messages after the restart.
type Sender struct {
	API    Telegram
	Store  *store.Store
	Render *Renderer
	Log    *slog.Logger
	// DeptChat is told of failures; its own messages are paced like any
	// chat's.
	DeptChat int64
	// Rate caps messages per second overall; 0 means no cap.
	Rate float64
	// GiveUp is how long transient failures are retried before a message
	// is marked failed.
	GiveUp time.Duration
	// Workers is how many requests may be in flight at once; see
	// CrashBound.
	Workers int
	// Exporter builds the CSV of OutDocument entries.
	Exporter func(store.ExportQuery) (name string, data []byte, err error)
	// Summary draws the weekly summary of OutPhoto entries: a PNG chart
	// and its caption (Telegram HTML).
	Summary func(store.ExportQuery) (png []byte, caption string, err error)

	// Pacing knobs, zero for Telegram's values; tests shorten them.
	chatEvery   time.Duration // between two messages to one chat
	groupWindow time.Duration // a group gets at most groupMax messages in any window this long
	groupMax    int
	retryBase   time.Duration // first backoff after a transient failure
	sendTimeout time.Duration // how long one request may take
	// complete records outcomes: Store.Complete, unless a test slows the
	// disk down or breaks it.
	complete func(deptChat int64, results []store.Result) error

	once sync.Once
	wake chan struct{}

	// alerts and cards spare a fan-out decoding the alert and rendering
	// its card for every group (see card).
	alerts  store.AlertCache
	cardsMu sync.Mutex
	cards   map[*store.Alert]renderedCard

	// batches and recorded count store.Complete calls and the results
	// they wrote, so that tests can see that disk syncs are batched.
	batches, recorded atomic.Int64
	// out counts jobs handed to workers whose outcome the recorder has
	// not received yet; handedAt is when the last one was handed out (Unix
	// nanoseconds).
	out      atomic.Int64
	handedAt atomic.Int64
	// answering counts jobs handed to workers and not yet answered by
	// Telegram. A worker that frees a place tells the dispatcher only when
	// it asked (roomWanted), and tells the recorder only when a batch is
	// due (recordNow): waking them for every message cost more CPU than
	// the message.
	answering  atomic.Int64
	roomWanted atomic.Bool
	recordNow  chan struct{}

	// recording holds, per chat, a channel closed once the message about
	// alerts on its way there is recorded (recording.go).
	recMu     sync.Mutex
	recording map[int64]chan struct{}
}

// CrashBound is the most messages a kill -9 can make arrive twice: those
// in flight and those answered whose outcome is not yet on disk.
func (s *Sender) CrashBound() int { return (1 + unrecordedPerWorker) * max(s.Workers, 1) }

// resync is how often the sender re-reads the whole outbox even when
// nobody woke it, in case something queued a message and forgot to.
const resync = time.Minute

// recordLinger and lingerUntil bound how long and for how many outcomes
// the recorder waits before it writes a batch while requests are out;
// at low overall rates it waits up to maxLinger (see linger).
const (
	recordLinger = 32 * time.Millisecond
	maxLinger    = 120 * time.Millisecond
	lingerUntil  = 32
)

// linger is how long the recorder waits for more outcomes: the time the
// overall rate takes for three messages, from recordLinger at high rates
// to maxLinger at Telegram's usual 25/s, so that even then a disk sync
// records a few messages rather than each one (a chat's pace holds it for
// a second anyway).
func (s *Sender) linger() time.Duration {
	if s.Rate <= 0 {
		return recordLinger
	}
	return min(max(recordLinger, time.Duration(3/s.Rate*float64(time.Second))), maxLinger)
}

// unrecordedPerWorker: while outcomes wait for their disk write, each
// worker may already send the next message, up to this many per worker.
// A request no longer waits for the disk, and a kill -9 repeats at most
// (1 + unrecordedPerWorker) · Workers messages. Five (72 with twelve
// workers) lets a batch reach about 30 outcomes at a thousand messages a
// second and still leaves the dispatcher room for some 28 ms of sending
// while that batch is written: at three (48), batches of 17 made the
// disk's commit a fifth of the sender's CPU.
const unrecordedPerWorker = 5

// Telegram refuses inline keyboards much beyond a hundred buttons; merged
// subscription requests carry two each.
const maxMergedRequests = 20

// job is what a worker sends: one entry, or several notices for the same
// chat merged into one message.
type job struct {
	entries []store.Outgoing
	gen     uint64 // the store's OutboxGeneration when they were read
}

// outcome is what a worker learned from Telegram about one job.
type outcome struct {
	chat    int64 // the chat the job was dispatched for
	ids     []uint64
	results []store.Result
	// at is when Telegram answered; zero when the job never reached it
	// (the entry had been settled meanwhile, or the sender is stopping).
	at         time.Time
	retryAfter time.Time // set when Telegram answered 429
}

// settled is an outcome the recorder has written (or failed to write).
type settled struct {
	outcome
	recorded bool
}

// Wake tells the sender that new entries are in the outbox.
func (s *Sender) Wake() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sender) init() {
	s.once.Do(func() {
		s.wake = make(chan struct{}, 1)
		s.recordNow = make(chan struct{}, 1)
	})
}

// drainTime is how long requests in flight may still finish once the
// sender is told to stop, so that a clean stop repeats nothing after the
// restart. The service's whole stop must fit in five seconds.
const drainTime = 2 * time.Second

// Run sends until ctx ends. Requests in flight then get drainTime to
// finish and be recorded; entries not sent stay in the outbox and go after
// the next start.
func (s *Sender) Run(ctx context.Context) error {
	s.init()
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(drainTime, cancelReqs) })
	defer stopDrain()
	workers := max(s.Workers, 1)
	jobs := make(chan job, workers)
	// freed tells the dispatcher, when it waits for a free worker, that
	// one has Telegram's answer: it may start another request while the
	// outcome waits to be recorded.
	freed := make(chan struct{}, 1)
	outcomes := make(chan outcome, unrecordedPerWorker*workers)
	settledCh := make(chan []settled, workers)

	done := make(chan struct{})
	go func() {
		s.record(outcomes, settledCh)
		close(done)
	}()
	workersDone := make(chan struct{})
	go func() {
		defer close(workersDone)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for j := range jobs {
					o := outcome{chat: j.entries[0].ChatID}
					if ctx.Err() == nil { // stopping: start nothing new
						o = s.deliver(reqCtx, j)
					}
					s.answering.Add(-1)
					if s.roomWanted.CompareAndSwap(true, false) {
						signal(freed)
					}
					outcomes <- o
					s.mayRecord(len(outcomes))
				}
			})
		}
		wg.Wait()
	}()

	d := s.newDispatcher(workers)
	err := d.run(ctx, jobs, freed, settledCh)
	close(jobs)
	// Drain settled reports while workers finish, so nobody blocks.
	go func() {
		for range settledCh {
		}
	}()
	go func() {
		for range freed {
		}
	}()
	<-workersDone
	close(freed)
	close(outcomes)
	<-done
	close(settledCh)
	return err
}

// dispatcher owns the pacing state and an in-memory view of the outbox:
// it picks due entries whose chat may receive now and hands them to
// workers. It re-reads the outbox only when woken, when an outcome other
// than "sent" may have changed it, and once a minute; a thousand-group
// fan-out is not a thousand full reads.
type dispatcher struct {
	s        *Sender
	capacity int // requests in flight at once: the workers
	global   *rate.Limiter
	paces    map[int64]*pace
	busy     map[int64]bool  // chats with a message in flight or not yet recorded
	inflight map[uint64]bool // outbox ids in flight, or whose outcome could not be recorded
	// unsettled counts jobs handed to workers and not yet recorded, at
	// most maxUnsettled (Sender.answering counts those not yet answered).
	unsettled, maxUnsettled int

	// queues is the outbox as last read, less what settled since: each
	// chat's entries in the order they go (class, then age).
	queues map[int64][]store.Outgoing
	stale  bool // re-read before the next pass
	readAt time.Time
	gen    uint64 // the store's OutboxGeneration before the read

	// reserved tokens of the overall rate may be used from reservedAt on
	// (see tokensFor).
	reserved   int
	reservedAt time.Time

	// plan is the order in which chats that may receive go (makePlan);
	// passes take from planPos on.
	plan      []candidate
	planPos   int
	planAt    time.Time
	planUntil time.Time // replan after this
	planWake  time.Time // a chat not in the plan may receive from then
	replan    bool      // replan at the next pass
	wakeAt    time.Time // when to look again if nothing happens

	pause   time.Time // flood control: nothing is sent before it
	last429 map[int64]time.Time
}

func (s *Sender) newDispatcher(capacity int) *dispatcher {
	d := &dispatcher{s: s, capacity: capacity, maxUnsettled: (1 + unrecordedPerWorker) * capacity, global: rate.NewLimiter(rate.Inf, 1),
		paces: make(map[int64]*pace), busy: make(map[int64]bool), inflight: make(map[uint64]bool),
		stale: true, last429: make(map[int64]time.Time)}
	if s.Rate > 0 {
		d.global = globalLimiter(s.Rate)
	}
	return d
}

// globalLimiter paces all sends so that any one second of Telegram's
// clock sees at most `perSecond` requests. A limiter with burst B and rate
// r lets at most B + r·T requests go in any span T. B is one at
// Telegram's usual rates and perSecond/125 at high ones (8 at 1,000/s;
// the dispatcher sends a whole burst at a time, see tokensFor), and r is
// chosen so that even a second stretched by jitterMargin on our side (the
// network delaying the first request of a second more than the last)
// holds no more than perSecond: 25/s run at 24.75/s (0.99 of the rate),
// 1,000/s at 983/s.
func globalLimiter(perSecond float64) *rate.Limiter {
	burst := max(1, int(perSecond/125))
	if perSecond < 2 {
		return rate.NewLimiter(rate.Limit(perSecond), 1)
	}
	r := (perSecond + 1 - float64(burst)) / (1 + jitterMargin.Seconds())
	return rate.NewLimiter(rate.Limit(r), burst)
}

// jitterMargin is how much more one request may be delayed on its way to
// Telegram than another without Telegram counting more than the rate in
// a second.
const jitterMargin = 10 * time.Millisecond

func (d *dispatcher) run(ctx context.Context, jobs chan<- job, freed <-chan struct{}, settledCh <-chan []settled) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if d.stale || time.Since(d.readAt) >= resync || d.s.Store.OutboxGeneration() != d.gen {
			d.read()
		}
		wakeAt := d.pass(jobs)
		if ctx.Err() != nil {
			return nil
		}
		timer.Reset(max(time.Until(wakeAt), time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-d.s.wake:
			d.stale = true
		case <-timer.C:
		case <-freed:
		case batch := <-settledCh:
			d.settle(batch)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// class says which messages go first, to a chat and overall.
type class int

const (
	// classFirst: alerts, answers to department staff and urgent
	// notices (failures).
	classFirst class = iota
	// classRoutine: card edits, reminders, routine notices and answers to
	// everyone else. They may use only part of a group's minute (see
	// routineReserve), so that noise never delays a warning by more than
	// Telegram's second between two messages.
	classRoutine
)

func classOf(o *store.Outgoing) class {
	if o.Kind.Delivers() || o.Staff || o.Urgent {
		return classFirst
	}
	return classRoutine
}

// inOrder orders one chat's entries as they are sent: first class first,
// then oldest first.
func inOrder(a, b store.Outgoing) int {
	if c := cmp.Compare(classOf(&a), classOf(&b)); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// read loads the outbox into one queue per chat.
func (d *dispatcher) read() {
	queues := make(map[int64][]store.Outgoing, len(d.queues))
	gen := d.s.Store.OutboxGeneration()
	err := d.s.Store.View(func(tx *store.Tx) (err error) {
		return tx.EachOutgoing(func(o *store.Outgoing) error {
			queues[o.ChatID] = append(queues[o.ChatID], *o)
			return nil
		})
	})
	d.readAt = time.Now()
	if err != nil {
		d.s.Log.Error("read outbox", slog.String("error", err.Error()))
		d.readAt = d.readAt.Add(time.Second - resync) // try again in a second
		return
	}
	for _, q := range queues {
		slices.SortFunc(q, inOrder)
	}
	d.queues, d.stale, d.replan, d.gen = queues, false, true, gen
	// Forget the pace of chats that could receive now anyway, so that the
	// map does not grow with every chat ever written to.
	for chat, p := range d.paces {
		if !d.busy[chat] && p.idle(d.readAt) {
			delete(d.paces, chat)
		}
	}
}

// candidate is a chat that may be sent its next entry now.
type candidate struct {
	chat    int64
	class   class
	backlog int
	id      uint64
}

// pass hands workers what may be sent now and returns when to look
// again if nothing else happens first.
//
// It schedules for the makespan: among the chats that may receive now,
// first-class entries go before routine ones, and then the chats with the
// longest queue go first. A fan-out of ten alerts to a hundred groups
// under the overall rate then ends with every group's queue emptying
// together at the rate, not with a tail of groups that can take only one
// message a second.
func (d *dispatcher) pass(jobs chan<- job) time.Time {
	now := time.Now()
	if d.pause.After(now) {
		return d.pause
	}
	if d.reserved > 0 && now.Before(d.reservedAt) {
		return d.reservedAt // nothing may go before (see tokensFor)
	}
	if !d.room() {
		return d.nextLook() // or an answer, or a settled job
	}
	replanned, first := false, true
	for d.room() {
		if d.planPos >= len(d.plan) || d.replan || !now.Before(d.planUntil) ||
			!now.Before(d.planWake) && now.Sub(d.planAt) >= replanMin {
			if replanned {
				break // nothing else may go now
			}
			d.makePlan(now)
			replanned = true
		}
		if d.planPos >= len(d.plan) {
			break
		}
		c := d.plan[d.planPos]
		d.planPos++
		q := d.queues[c.chat]
		i := slices.IndexFunc(q, func(o store.Outgoing) bool { return o.ID == c.id })
		if i < 0 || d.busy[c.chat] || d.inflight[c.id] {
			continue // settled, merged or sent since the plan
		}
		if p := d.paces[c.chat]; p != nil && p.readyAt(now, c.class).After(now) {
			continue // a 429 since the plan; the next plan sees when
		}
		if at := d.tokensFor(now, first); at.After(now) {
			d.planPos-- // it goes first when the tokens are there
			return at
		}
		first = false
		o := q[i]
		j := job{entries: []store.Outgoing{o}, gen: d.gen}
		if o.Kind == store.OutNotice || o.Kind == store.OutText {
			j.entries = d.mergeable(q[i:], now)
		}
		for _, e := range j.entries {
			d.inflight[e.ID] = true
		}
		d.busy[o.ChatID] = true
		d.s.startRecording(o.ChatID, j.entries)
		d.s.answering.Add(1)
		d.unsettled++
		d.s.out.Add(1)
		d.s.handedAt.Store(now.UnixNano())
		jobs <- j // never blocks: jobs holds capacity entries
	}
	return d.nextLook()
}

// tokensFor takes a token of the overall rate for the next message and
// returns the zero time, or returns when to come back for it. When the
// first message of a pass finds fewer than the limiter's burst, it
// reserves a whole burst at once, so that at high rates the dispatcher,
// the workers and the connections wake for a handful of messages at a
// time (eight every 8 ms at 1,000/s) rather than for each one: waking
// threads on idle cores, not the messages themselves, was most of the CPU
// a paced fan-out cost, and eight messages a wake share it where four
// did. A reservation, unlike waiting for tokens to pile up, does not
// lose the time by which a timer fires late (at 25/s, with a burst of
// one, that was 2 % of the rate). Reserved tokens are used at most
// staleAfter late or dropped.
func (d *dispatcher) tokensFor(now time.Time, first bool) time.Time {
	lim := d.global
	if lim.Limit() == rate.Inf {
		return time.Time{}
	}
	batch := lim.Burst()
	if d.reserved > 0 {
		if now.Before(d.reservedAt) {
			return d.reservedAt
		}
		// Tokens used long after their time could add to a full burst
		// and exceed the rate in some second: drop them.
		if now.Sub(d.reservedAt) <= staleAfter(lim) {
			d.reserved--
			return time.Time{}
		}
		d.reserved = 0
		// Take what piled up meanwhile: waiting for a whole burst
		// again would, with every timer this late, never send.
		first = false
	}
	want := 1
	if first {
		want = batch
	}
	if lim.TokensAt(now) >= float64(want) {
		lim.AllowN(now, 1)
		return time.Time{}
	}
	r := lim.ReserveN(now, batch)
	d.reserved, d.reservedAt = batch, now.Add(r.DelayFrom(now))
	return d.tokensFor(now, false)
}

// staleAfter is how late reserved tokens may still be used: the time of
// half a burst (4 ms at 1,000/s, 40 ms at 25/s). Lateness on our side adds
// to the network's within jitterMargin, so a whole burst's time (8 ms)
// left the network 2 ms and let 301 through in a second at 300/s.
func staleAfter(lim *rate.Limiter) time.Duration {
	return time.Duration(float64(max(1, lim.Burst()/2)) / float64(lim.Limit()) * float64(time.Second))
}

// nextLook is when the dispatcher must look again if nothing happens.
func (d *dispatcher) nextLook() time.Time {
	w := d.planWake
	if min := d.planAt.Add(replanMin); w.Before(min) {
		w = min
	}
	if w.Before(d.wakeAt) {
		return w
	}
	return d.wakeAt
}

// replanEvery bounds how long a plan is followed; replanMin is the least
// time between two plans made because a chat's pace let it receive again
// (which at a thousand messages a second happens all the time).
const (
	replanEvery = 250 * time.Millisecond
	replanMin   = 20 * time.Millisecond
)

// makePlan orders the chats that may receive now: first-class entries
// before routine ones, then the longest queue first. Passes follow the
// plan until it is used up, is older than replanEvery, or something
// changed (a read of the outbox, an outcome other than "sent"), so that a
// fan-out to thousands of groups does not scan them all for every message.
// It also sets when the dispatcher must look again by itself.
func (d *dispatcher) makePlan(now time.Time) {
	d.replan = false
	d.planAt, d.planUntil = now, now.Add(replanEvery)
	d.wakeAt = d.readAt.Add(resync)
	d.planWake = d.wakeAt
	later := func(t time.Time) {
		if t.Before(d.planWake) {
			d.planWake = t
		}
	}
	cands := d.plan[:0]
	for chat, q := range d.queues {
		if d.busy[chat] {
			continue
		}
		p := d.paces[chat]
		for i := range q {
			o := &q[i]
			if d.inflight[o.ID] {
				continue
			}
			if o.NotBefore.After(now) {
				later(o.NotBefore)
				continue
			}
			c := classOf(o)
			if p != nil {
				if at := p.readyAt(now, c); at.After(now) {
					// Entries are in class order: what follows may not
					// go either.
					later(at)
					break
				}
			}
			cands = append(cands, candidate{chat: chat, class: c, backlog: len(q), id: o.ID})
			break
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if c := cmp.Compare(a.class, b.class); c != 0 {
			return c
		}
		if c := cmp.Compare(b.backlog, a.backlog); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	d.plan, d.planPos = cands, 0
	if len(cands) > 0 {
		if d.planUntil.Before(d.wakeAt) {
			d.wakeAt = d.planUntil
		}
	}
}

// room reports whether another job may start: a worker is free, and the
// messages not yet recorded stay within the crash bound.
func (d *dispatcher) room() bool {
	if d.unsettled >= d.maxUnsettled {
		return false // a settled batch wakes the dispatcher
	}
	if d.s.answering.Load() < int64(d.capacity) {
		return true
	}
	// Ask to be told, then look again: a worker that freed its place
	// between the two looks sees the request.
	d.s.roomWanted.Store(true)
	return d.s.answering.Load() < int64(d.capacity)
}

// signal wakes whoever waits on c, at most once until it has looked.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (d *dispatcher) pace(chat int64) *pace {
	p := d.paces[chat]
	if p == nil {
		p = newPace(chat, d.s.chatEvery, d.s.groupWindow, d.s.groupMax)
		d.paces[chat] = p
	}
	return p
}

// mergeable gathers, for the chat of rest[0], the due notices (when
// rest[0] is a notice) or the due answers to the same person (when it is
// an answer) into one message, so that sixty subscription requests on the
// first morning, or a member's burst of commands, make a few messages,
// not sixty. It stops before the text would pass Telegram's limit, so
// that nothing is cut off.
func (d *dispatcher) mergeable(rest []store.Outgoing, now time.Time) []store.Outgoing {
	first := rest[0]
	out := []store.Outgoing{first}
	if first.Plain || !mergesWith(&first, &first) {
		return out
	}
	size := VisibleLen(d.s.mergedText(&first))
	requests := 0
	if first.Notice != nil && first.Notice.Event == store.EventSubscribeRequest {
		requests++
	}
	for i := 1; i < len(rest); i++ {
		o := &rest[i]
		if !mergesWith(&first, o) || o.Plain || d.inflight[o.ID] || o.NotBefore.After(now) {
			continue
		}
		req := 0
		if o.Notice != nil && o.Notice.Event == store.EventSubscribeRequest {
			req = 1
		}
		n := VisibleLen(d.s.mergedText(o)) + 2 // "\n\n" between notices
		if o.Kind == store.OutText {
			n += VisibleLen(answerSeparator) - 2
		}
		if size+n > MaxMessage || requests+req > maxMergedRequests {
			break
		}
		size, requests = size+n, requests+req
		out = append(out, *o)
	}
	return out
}

// mergesWith reports whether o can share one message with first: notices
// with notices, answers to one person (without buttons) with each other.
func mergesWith(first, o *store.Outgoing) bool {
	switch {
	case o.ChatID != first.ChatID || o.Kind != first.Kind:
		return false
	case o.Kind == store.OutNotice:
		return o.Notice != nil
	case o.Kind == store.OutText:
		return o.User != 0 && o.User == first.User && len(o.Buttons) == 0 && len(first.Buttons) == 0
	}
	return false
}

// mergedText is the part an entry adds to a merged message.
func (s *Sender) mergedText(o *store.Outgoing) string {
	if o.Kind == store.OutNotice {
		return s.Render.Notice(o.Notice)
	}
	return o.Text
}

// settle takes back what the recorder wrote: the chats are free again,
// their pace advances, and the in-memory outbox follows the store.
func (d *dispatcher) settle(batch []settled) {
	now := time.Now()
	gone := make(map[uint64]bool)
	for _, st := range batch {
		d.unsettled--
		delete(d.busy, st.chat)
		p := d.pace(st.chat)
		if !st.at.IsZero() {
			p.done(st.at)
		}
		// The chat may receive again once its pace allows: the plan
		// must look at it then.
		if at := p.readyAt(now, classFirst); at.Before(d.planWake) {
			d.planWake = at
		}
		if !st.recorded {
			// Still in the outbox, but whether Telegram took it is
			// unknown here: leave it for the next start rather than
			// risk sending it again and again.
			continue
		}
		for _, id := range st.ids {
			delete(d.inflight, id)
		}
		if len(st.results) < len(st.ids) {
			d.stale = true // some had left the outbox before they were sent
		}
		q := d.queues[st.chat]
		for _, r := range st.results {
			switch r.Status {
			case store.Sent:
				gone[r.ID] = true
			case store.Retry:
				d.replan = true
				for i := range q {
					if e := &q[i]; e.ID == r.ID {
						e.Attempts++
						e.NotBefore, e.LastError, e.Plain = r.RetryAt, r.Error, e.Plain || r.Plain
					}
				}
			default:
				// Failed, Gone and Migrated change other entries and
				// queue notices.
				d.stale = true
			}
		}
		if st.retryAfter.IsZero() {
			continue
		}
		if st.retryAfter.After(p.pausedUntil) {
			p.pausedUntil = st.retryAfter
		}
		// Telegram's flood control is per bot and does not say which
		// limit fired: 429s from two chats at once mean the whole bot
		// must wait.
		for chat, at := range d.last429 {
			if chat != st.chat && now.Sub(at) < 2*time.Second && st.retryAfter.After(d.pause) {
				d.pause = st.retryAfter
				d.s.Log.Warn("flood control: pausing all sends", slog.Time("until", d.pause))
			}
		}
		d.last429[st.chat] = now
	}
	for chat, at := range d.last429 {
		if now.Sub(at) > time.Minute {
			delete(d.last429, chat)
		}
	}
	if len(gone) == 0 {
		return
	}
	for _, st := range batch {
		q := slices.DeleteFunc(d.queues[st.chat], func(o store.Outgoing) bool { return gone[o.ID] })
		if len(q) == 0 {
			delete(d.queues, st.chat)
		} else {
			d.queues[st.chat] = q
		}
	}
}

// record writes outcomes in batches: whatever arrived while the last
// batch was being written goes into the next transaction, so that a
// fan-out costs one disk sync per handful of messages.
//
// While requests are out or one was handed out within the last linger,
// it waits up to linger for more outcomes to join the batch: at a thousand
// messages a second this makes a disk sync (two fdatasyncs and the page
// writes) per 30 messages instead of per four, and at 25 a second one per
// three, for a little longer before a chat is free (its pace holds it for
// a second anyway). Requests answered within a millisecond leave
// none out most of the time, so "none out now" alone would end every batch
// at once. An outcome that arrives when nothing is out and nothing was
// handed out within the linger is recorded at once, and so is a batch
// that, with the requests out, reaches half the crash bound (the
// dispatcher stops sending at the bound until outcomes are recorded).
func (s *Sender) record(in <-chan outcome, out chan<- []settled) {
	linger := time.NewTimer(time.Hour)
	defer linger.Stop()
	for first := range in {
		s.out.Add(-1)
		batch := []outcome{first}
		if s.busy(0) && !s.batchDue(len(in)) {
			// Workers add to the channel meanwhile without waking the
			// recorder; mayRecord ends the wait early when the batch is
			// due.
			linger.Reset(s.linger())
			select {
			case <-linger.C:
			case <-s.recordNow:
			}
		}
	drain:
		for len(batch) < 512 {
			select {
			case o, ok := <-in:
				if !ok {
					break drain
				}
				s.out.Add(-1)
				batch = append(batch, o)
			default:
				break drain
			}
		}
		linger.Stop()
		var results []store.Result
		for _, o := range batch {
			results = append(results, o.results...)
		}
		lost := s.commit(results)
		s.endRecording(batch)
		st := make([]settled, len(batch))
		for i, o := range batch {
			st[i] = settled{outcome: o, recorded: true}
			for _, r := range o.results {
				st[i].recorded = st[i].recorded && !lost[r.ID]
			}
		}
		out <- st
	}
}

// busy reports whether more outcomes are about to arrive: more than
// queued jobs are out (handed to workers, outcome not taken by the
// recorder), or one was handed out within the last linger.
func (s *Sender) busy(queued int) bool {
	return s.out.Load() > int64(queued) || time.Since(time.Unix(0, s.handedAt.Load())) < s.linger()
}

// batchDue reports whether the recorder should write now, queued outcomes
// waiting besides the one it holds: the batch has lingerUntil outcomes,
// or with the requests out it reaches half the crash bound (the
// dispatcher stops sending at the bound until outcomes are recorded).
func (s *Sender) batchDue(queued int) bool {
	return queued+1 >= lingerUntil || 1+int(s.out.Load()) >= s.CrashBound()/2
}

// mayRecord is called by a worker after it queued an outcome, queued
// being how many wait in the channel: it ends the recorder's wait when the
// batch is due or nothing else is coming. A stale signal only makes a
// batch smaller.
func (s *Sender) mayRecord(queued int) {
	if s.batchDue(queued) || !s.busy(queued) {
		signal(s.recordNow)
	}
}

// commit writes results in one transaction, retrying a few times. If the
// batch keeps failing it writes the results one by one, so that one record
// the store refuses cannot hold up the others. It returns the ids it could
// not write: they stay in the outbox and are sent again after a restart.
func (s *Sender) commit(results []store.Result) (lost map[uint64]bool) {
	if len(results) == 0 {
		return nil
	}
	complete := s.complete
	if complete == nil {
		complete = s.Store.Complete
	}
	// Recording an outcome may queue messages of its own (the edit that
	// shows an acknowledgement made while the card was in flight, a
	// failure notice): look at the outbox again when it did.
	before := s.Store.OutboxSeq()
	defer func() {
		if s.Store.OutboxSeq() != before {
			s.Wake()
		}
	}()
	const attempts = 3
	for attempt := range attempts {
		err := complete(s.DeptChat, results)
		if err == nil {
			s.batches.Add(1)
			s.recorded.Add(int64(len(results)))
			return nil
		}
		s.Log.Error("record deliveries", slog.String("error", err.Error()), slog.Int("results", len(results)), slog.Int("attempt", attempt))
		if attempt < attempts-1 {
			time.Sleep(backoff(attempt, 100*time.Millisecond, time.Second))
		}
	}
	lost = make(map[uint64]bool)
	for _, r := range results {
		if len(results) > 1 {
			err := complete(s.DeptChat, []store.Result{r})
			if err == nil {
				s.batches.Add(1)
				s.recorded.Add(1)
				continue
			}
			s.Log.Error("record delivery", slog.Uint64("outbox", r.ID), slog.String("error", err.Error()))
		}
		s.Log.Error("record delivery: left in the outbox until the next start", slog.Uint64("outbox", r.ID))
		lost[r.ID] = true
	}
	return lost
}

// deliver sends one job and classifies Telegram's answer.
// buildContained is build with a panic turned into an error: a message
// that cannot be rendered fails alone instead of ending the process and
// being met again, first in the outbox, at every restart.
func (s *Sender) buildContained(o store.Outgoing, merged []store.Outgoing) (req tgbotapi.Chattable, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("render message: panic", slog.Uint64("outbox", o.ID), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			req, err = nil, fmt.Errorf("render message %d: internal error", o.ID)
		}
	}()
	return s.build(o, merged)
}

func (s *Sender) deliver(ctx context.Context, j job) outcome {
	out := outcome{chat: j.entries[0].ChatID}
	for _, e := range j.entries {
		out.ids = append(out.ids, e.ID)
	}
	entries, err := s.fresh(j)
	if err != nil {
		s.Log.Error("read outbox entry", slog.Uint64("outbox", j.entries[0].ID), slog.String("error", err.Error()))
		entries = j.entries
	}
	if len(entries) == 0 {
		return out
	}
	o := entries[0]
	now := time.Now()
	all := func(r store.Result) outcome {
		for _, e := range entries {
			r.ID = e.ID
			out.results = append(out.results, r)
		}
		return out
	}
	req, err := s.buildContained(o, entries)
	if err != nil {
		s.Log.Error("render message", slog.Uint64("outbox", o.ID), slog.String("error", err.Error()))
		return all(store.Result{Status: store.Failed, At: now, Error: err.Error()})
	}
	// A chat whose requests hang holds a worker only this long.
	timeout := cmp.Or(s.sendTimeout, 30*time.Second)
	if o.Kind == store.OutDocument || o.Kind == store.OutPhoto {
		timeout = max(timeout, 2*time.Minute) // an upload on a slow line
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	raw, err := s.API.Call(withMessageIDOnly(callCtx), req)
	cancel()
	now = time.Now()
	if err != nil && ctx.Err() != nil {
		// Stopping: the entry stays as it was and goes after the restart.
		return out
	}
	out.at = now
	if err == nil {
		id := messageID(raw) // editMessageText may answer true
		if id == 0 {
			id = o.EditMessageID
		}
		return all(store.Result{Status: store.Sent, At: now, MessageID: id})
	}
	r := s.classify(o, err, now)
	if r.Status == store.Retry && strings.HasPrefix(r.Error, "429") {
		out.retryAfter = r.RetryAt
	}
	level := slog.LevelWarn
	if r.Status == store.Sent || r.Status == store.Retry && o.Attempts < 3 {
		level = slog.LevelInfo
	}
	s.Log.Log(ctx, level, "send", slog.Int64("chat", o.ChatID), slog.Uint64("outbox", o.ID),
		slog.String("kind", string(o.Kind)), slog.String("error", r.Error), slog.Int("status", int(r.Status)))
	if r.Status == store.Migrated && o.ChatID == s.DeptChat {
		s.Log.Warn("the department chat became a supergroup: set CANHBAO_ADMIN_CHAT_ID to its new id",
			slog.Int64("old", o.ChatID), slog.Int64("new", r.MigrateTo))
	}
	return all(r)
}

// fresh returns a job's entries as they are now: one may have been
// settled since the dispatcher read it (the chat unsubscribed, went away,
// migrated). Unless the store says queued entries were rewritten or
// removed since that read, they are the dispatcher's copies.
func (s *Sender) fresh(j job) ([]store.Outgoing, error) {
	if s.Store.OutboxGeneration() == j.gen {
		return j.entries, nil
	}
	entries := make([]store.Outgoing, 0, len(j.entries))
	err := s.Store.View(func(tx *store.Tx) error {
		for _, e := range j.entries {
			fresh, ok, err := tx.Outgoing(e.ID)
			if err != nil {
				return err
			}
			if ok {
				entries = append(entries, fresh)
			}
		}
		return nil
	})
	return entries, err
}

// messageID reads the message_id of the Message Telegram answers a send
// with, 0 when the answer is not a message. Telegram writes it first, so
// the common answer is read from its first bytes; decoding the whole
// message (which echoes the text, entities and buttons) is left for any
// other layout.
func messageID(raw json.RawMessage) int {
	if digits, ok := leadingMessageID(raw); ok {
		if id, err := strconv.Atoi(string(digits)); err == nil {
			return id
		}
	}
	var m struct {
		MessageID int `json:"message_id"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.MessageID
}

// leadingMessageID returns the digits of message when it starts with its
// message_id, as Telegram writes a Message: {"message_id":N, or
// {"message_id":N}. Both the sender and shortAnswer read it there.
func leadingMessageID(message []byte) (digits []byte, ok bool) {
	rest, ok := bytes.CutPrefix(message, []byte(`{"message_id":`))
	if !ok {
		return nil, false
	}
	n := 0
	for n < len(rest) && n < 19 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n == 19 || n == len(rest) || rest[n] != ',' && rest[n] != '}' {
		return nil, false
	}
	return rest[:n], true
}

// classify turns a Bot API error into what the store should do. Telegram
// says exactly what went wrong: flood limits wait retry_after, a migrated
// group moves, a kicked bot retires the chat, a malformed message is sent
// once as plain text, and anything else is retried with backoff until
// GiveUp.
func (s *Sender) classify(o store.Outgoing, err error, now time.Time) store.Result {
	r := store.Result{ID: o.ID, At: now}
	var tg *tgbotapi.Error
	if !errors.As(err, &tg) {
		return s.transient(o, err.Error(), now)
	}
	desc := fmt.Sprintf("%d %s", tg.Code, tg.Message)
	r.Error = desc
	lower := strings.ToLower(tg.Message)
	switch {
	case tg.Code == 429 || tg.RetryAfter > 0:
		// Never given up on: Telegram will take it once the wait is over.
		r.Status = store.Retry
		r.RetryAt = now.Add(time.Duration(max(tg.RetryAfter, 1)) * time.Second)
		r.Error = "429 " + tg.Message
	case tg.MigrateToChatID != 0:
		r.Status, r.MigrateTo = store.Migrated, tg.MigrateToChatID
	case tg.Code == 403 || tg.Code == 400 && (strings.Contains(lower, "chat not found") ||
		strings.Contains(lower, "group chat was deactivated") || strings.Contains(lower, "peer_id_invalid")):
		if o.ChatID == s.DeptChat {
			r.Status = store.Failed // never retire the department's own chat
		} else {
			r.Status = store.Gone
		}
	case o.Kind == store.OutEdit && strings.Contains(lower, "message is not modified"):
		r.Status, r.MessageID, r.Error = store.Sent, o.EditMessageID, ""
	case tg.Code == 400 && !o.Plain && o.Kind != store.OutCopy && o.Kind != store.OutDocument &&
		(strings.Contains(lower, "can't parse entities") || strings.Contains(lower, "too long") ||
			strings.Contains(lower, "text is empty") || strings.Contains(lower, "text must be non-empty")):
		r.Status, r.RetryAt, r.Plain = store.Retry, now, true
	case tg.Code == 400, tg.Code == 413: // 413: a file over Telegram's upload limit
		r.Status = store.Failed
	default: // 401 (token revoked), 5xx, 420…: keep trying
		return s.transient(o, desc, now)
	}
	return r
}

// transient schedules another attempt with exponential backoff, the last
// one exactly at GiveUp, and fails the entry after it.
func (s *Sender) transient(o store.Outgoing, reason string, now time.Time) store.Result {
	r := store.Result{ID: o.ID, At: now, Error: reason}
	deadline := o.Created.Add(s.GiveUp)
	if s.GiveUp > 0 && !now.Before(deadline) {
		r.Status = store.Failed
		r.Error = fmt.Sprintf("gave up after %s: %s", s.GiveUp, reason)
		return r
	}
	r.Status = store.Retry
	base := s.retryBase
	if base <= 0 {
		base = 2 * time.Second
	}
	r.RetryAt = now.Add(backoff(o.Attempts, base, 10*time.Minute))
	if s.GiveUp > 0 && r.RetryAt.After(deadline) {
		r.RetryAt = deadline
	}
	return r
}
