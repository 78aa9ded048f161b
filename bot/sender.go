package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/canhbao/canhbao/store"
)

// Sender is the only way a message leaves canhbao: it sends the outbox's
// due entries to Telegram, paced per chat and overall, and records each
// outcome in the store. A chat that is throttled or failing never holds up
// the others.
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
	// Workers is how many requests may be in flight at once.
	Workers int
	// Exporter builds the CSV of OutDocument entries.
	Exporter func(store.ExportQuery) (name string, data []byte, err error)

	wake chan struct{}
}

// job is what a worker sends: one entry, or several notices for the same
// chat merged into one message.
type job struct {
	entries []store.Outgoing
}

// settled is a job whose results the store has recorded.
type settled struct {
	chat       int64
	ids        []uint64
	retryAfter time.Time // set when Telegram answered 429
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
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
}

// Run sends until ctx ends. Entries in flight when it ends stay in the
// outbox and are sent after the next start.
func (s *Sender) Run(ctx context.Context) error {
	s.init()
	workers := max(s.Workers, 1)
	jobs := make(chan job, workers)
	outcomes := make(chan outcome, workers)
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
					outcomes <- s.deliver(ctx, j)
				}
			})
		}
		wg.Wait()
	}()

	err := s.dispatch(ctx, workers, jobs, settledCh)
	close(jobs)
	// Drain settled reports while workers finish, so nobody blocks.
	go func() {
		for range settledCh {
		}
	}()
	<-workersDone
	close(outcomes)
	<-done
	close(settledCh)
	return err
}

// dispatch owns the pacing state: it picks due entries whose chat may
// receive now and hands them to workers.
func (s *Sender) dispatch(ctx context.Context, capacity int, jobs chan<- job, settledCh <-chan []settled) error {
	global := rate.NewLimiter(rate.Inf, 1)
	if s.Rate > 0 {
		global = rate.NewLimiter(rate.Limit(s.Rate), 1)
	}
	paces := make(map[int64]*pace)
	busy := make(map[int64]bool)      // chats with a message in flight
	inflight := make(map[uint64]bool) // outbox ids in flight
	running := 0
	var globalPause time.Time
	last429 := make(map[int64]time.Time)
	timer := time.NewTimer(0)
	defer timer.Stop()

	for {
		now := time.Now()
		due, next, err := s.Store.Due(now)
		if err != nil {
			s.Log.Error("read outbox", slog.String("error", err.Error()))
			next = now.Add(time.Second)
		}
		slices.SortStableFunc(due, func(a, b store.Outgoing) int {
			if a.Urgent == b.Urgent {
				return 0
			}
			if a.Urgent {
				return -1
			}
			return 1
		})
		wakeAt := next
		later := func(t time.Time) {
			if wakeAt.IsZero() || t.Before(wakeAt) {
				wakeAt = t
			}
		}
		if globalPause.After(now) {
			later(globalPause)
			due = nil
		}
		for i := 0; i < len(due) && running < capacity; i++ {
			o := due[i]
			if inflight[o.ID] || busy[o.ChatID] {
				continue
			}
			p := paces[o.ChatID]
			if p == nil {
				p = newPace(o.ChatID)
				paces[o.ChatID] = p
			}
			if at := p.readyAt(now); at.After(now) {
				later(at)
				continue
			}
			if err := global.Wait(ctx); err != nil {
				return nil
			}
			now = time.Now()
			j := job{entries: []store.Outgoing{o}}
			if o.Kind == store.OutNotice {
				j.entries = append(j.entries, mergeable(due[i+1:], o, inflight)...)
			}
			for _, e := range j.entries {
				inflight[e.ID] = true
			}
			busy[o.ChatID] = true
			p.take(now)
			running++
			jobs <- j
		}
		if !wakeAt.IsZero() {
			timer.Reset(max(time.Until(wakeAt), time.Millisecond))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-timer.C:
		case batch := <-settledCh:
			now := time.Now()
			for _, st := range batch {
				running--
				delete(busy, st.chat)
				for _, id := range st.ids {
					delete(inflight, id)
				}
				if st.retryAfter.IsZero() {
					continue
				}
				if p := paces[st.chat]; p != nil {
					p.pausedUntil = st.retryAfter
				}
				// Telegram's flood control is per bot and does not say
				// which limit fired: 429s from two chats at once mean
				// the whole bot must wait.
				for chat, at := range last429 {
					if chat != st.chat && now.Sub(at) < 2*time.Second && st.retryAfter.After(globalPause) {
						globalPause = st.retryAfter
						s.Log.Warn("flood control: pausing all sends", slog.Time("until", globalPause))
					}
				}
				last429[st.chat] = now
			}
			for chat, at := range last429 {
				if now.Sub(at) > time.Minute {
					delete(last429, chat)
				}
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// mergeable picks the other due notices for the same chat, so that sixty
// subscription requests on the first morning make a few messages, not
// sixty.
func mergeable(rest []store.Outgoing, first store.Outgoing, inflight map[uint64]bool) []store.Outgoing {
	const most = 15
	var out []store.Outgoing
	for _, o := range rest {
		if len(out) == most-1 {
			break
		}
		if o.Kind == store.OutNotice && o.ChatID == first.ChatID && !inflight[o.ID] && !o.Plain {
			out = append(out, o)
		}
	}
	return out
}

// outcome is what a worker learned from Telegram about one job.
type outcome struct {
	chat       int64
	results    []store.Result
	retryAfter time.Time
}

// record writes outcomes in batches: whatever arrived while the last
// batch was being written goes into the next transaction.
func (s *Sender) record(in <-chan outcome, out chan<- []settled) {
	for first := range in {
		batch := []outcome{first}
	drain:
		for len(batch) < 512 {
			select {
			case o, ok := <-in:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		var results []store.Result
		for _, o := range batch {
			results = append(results, o.results...)
		}
		for attempt := 0; ; attempt++ {
			err := s.Store.Complete(s.DeptChat, results)
			if err == nil {
				break
			}
			s.Log.Error("record deliveries", slog.String("error", err.Error()), slog.Int("attempt", attempt))
			if attempt == 5 {
				break // left in the outbox: sent again after a restart
			}
			time.Sleep(backoff(attempt, 100*time.Millisecond, 5*time.Second))
		}
		st := make([]settled, len(batch))
		for i, o := range batch {
			st[i] = settled{chat: o.chat, retryAfter: o.retryAfter}
			for _, r := range o.results {
				st[i].ids = append(st[i].ids, r.ID)
			}
		}
		out <- st
	}
}

// deliver sends one job and classifies Telegram's answer.
func (s *Sender) deliver(ctx context.Context, j job) outcome {
	o := j.entries[0]
	now := time.Now()
	out := outcome{chat: o.ChatID}
	all := func(r store.Result) outcome {
		for _, e := range j.entries {
			r.ID = e.ID
			out.results = append(out.results, r)
		}
		return out
	}
	req, err := s.build(o, j.entries)
	if err != nil {
		s.Log.Error("render message", slog.Uint64("outbox", o.ID), slog.String("error", err.Error()))
		return all(store.Result{Status: store.Failed, At: now, Error: err.Error()})
	}
	raw, err := s.API.Call(ctx, req)
	now = time.Now()
	if err == nil {
		var m struct {
			MessageID int `json:"message_id"`
		}
		_ = json.Unmarshal(raw, &m) // editMessageText may answer true
		if m.MessageID == 0 {
			m.MessageID = o.EditMessageID
		}
		return all(store.Result{Status: store.Sent, At: now, MessageID: m.MessageID})
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
	return all(r)
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
	case tg.Code == 400:
		r.Status = store.Failed
	default: // 401 (token revoked), 5xx, 420…: keep trying
		return s.transient(o, desc, now)
	}
	return r
}

func (s *Sender) transient(o store.Outgoing, reason string, now time.Time) store.Result {
	r := store.Result{ID: o.ID, At: now, Error: reason}
	if s.GiveUp > 0 && now.Sub(o.Created) >= s.GiveUp {
		r.Status = store.Failed
		r.Error = fmt.Sprintf("gave up after %s: %s", s.GiveUp, reason)
		return r
	}
	r.Status = store.Retry
	r.RetryAt = now.Add(backoff(o.Attempts, 2*time.Second, 10*time.Minute))
	return r
}
