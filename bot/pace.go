package bot

import (
	"time"
)

// Telegram's documented pacing: about one message a second to a chat, and
// no more than 20 a minute to a group
// (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
const (
	chatInterval = time.Second
	groupPerMin  = 20
)

// window is an exact sliding window: at most `most` events in any span of
// length `span`. A token bucket would let a full burst through at the end
// of one span and another at the start of the next, twice the limit.
type window struct {
	span  time.Duration
	most  int
	times []time.Time // the last `most` events, oldest first
}

// readyAt is the earliest time another event fits, now or later, when at
// most `limit` (≤ most) events may be in any span.
func (w *window) readyAt(now time.Time, limit int) time.Time {
	if len(w.times) < limit {
		return now
	}
	if free := w.times[len(w.times)-limit].Add(w.span); free.After(now) {
		return free
	}
	return now
}

func (w *window) add(t time.Time) {
	w.times = append(w.times, t)
	if len(w.times) > w.most {
		w.times = w.times[len(w.times)-w.most:]
	}
}

// pace tracks how soon a chat may receive its next message.
//
// It counts from when Telegram answered, not from when the request left:
// Telegram takes a message somewhere between the two, so timing from the
// answer keeps the gap between two arrivals at least the interval however
// the network delays vary. The sender has one request in flight per chat,
// so every earlier send has been answered when the next is paced.
type pace struct {
	every time.Duration
	// last is when Telegram answered the last request to the chat.
	last time.Time
	// minute holds the answer times of a group's last requests; nil for
	// private chats.
	minute *window
	// pausedUntil is set from a 429's retry_after.
	pausedUntil time.Time
}

// newPace returns the pace of a chat; zero knobs mean Telegram's values.
func newPace(chatID int64, every, span time.Duration, most int) *pace {
	if every <= 0 {
		every = chatInterval
	}
	if span <= 0 {
		span = time.Minute
	}
	if most <= 0 {
		most = groupPerMin
	}
	p := &pace{every: every}
	if chatID < 0 {
		p.minute = &window{span: span, most: most}
	}
	return p
}

// routineShare: routine messages (command answers, edits, reminders,
// routine notices) leave one in routineShare of a group's messages a
// minute (5 of Telegram's 20) to alerts and answers to department staff,
// so that noise in a group never makes its next warning wait for the
// minute to turn.
const routineShare = 4

// readyAt returns the earliest time the chat may be sent a message of
// the given class; a time not after now means it may be sent to now.
func (p *pace) readyAt(now time.Time, c class) time.Time {
	at := now
	later := func(t time.Time) {
		if t.After(at) {
			at = t
		}
	}
	later(p.pausedUntil)
	if !p.last.IsZero() {
		later(p.last.Add(p.every))
	}
	if p.minute != nil {
		limit := p.minute.most
		if c == classRoutine {
			limit -= limit / routineShare
		}
		later(p.minute.readyAt(now, limit))
	}
	return at
}

// done records that Telegram answered a request to the chat at t. Every
// answered request counts, failed ones too: Telegram counts what it
// receives.
func (p *pace) done(t time.Time) {
	if t.After(p.last) {
		p.last = t
	}
	if p.minute != nil {
		p.minute.add(t)
	}
}

// idle reports whether forgetting the pace changes nothing: no pause, no
// interval and no window still running at now.
func (p *pace) idle(now time.Time) bool {
	if p.pausedUntil.After(now) || p.last.Add(p.every).After(now) {
		return false
	}
	return p.minute == nil || len(p.minute.times) == 0 || !p.minute.times[len(p.minute.times)-1].Add(p.minute.span).After(now)
}
