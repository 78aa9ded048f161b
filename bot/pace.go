package bot

import (
	"time"

	"golang.org/x/time/rate"
)

// Telegram's documented pacing: about one message a second to a chat, and
// no more than 20 a minute to a group.
const (
	chatInterval = time.Second
	groupPerMin  = 20
)

// pace tracks how soon a chat may receive its next message.
type pace struct {
	perSecond *rate.Limiter
	// lastMinute holds the send times of the last groupPerMin messages to
	// a group. A token bucket would let a full burst through at the end
	// of one minute and another at the start of the next, twice
	// Telegram's limit, so groups get an exact sliding window instead.
	lastMinute []time.Time
	group      bool
	// pausedUntil is set from a 429's retry_after.
	pausedUntil time.Time
}

func newPace(chatID int64) *pace {
	return &pace{perSecond: rate.NewLimiter(rate.Every(chatInterval), 1), group: chatID < 0}
}

// readyAt returns the earliest time the chat may be sent to; a time not
// after now means it may be sent to now.
func (p *pace) readyAt(now time.Time) time.Time {
	at := now
	if p.pausedUntil.After(at) {
		at = p.pausedUntil
	}
	r := p.perSecond.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 && now.Add(d).After(at) {
		at = now.Add(d)
	}
	r.CancelAt(now)
	if p.group && len(p.lastMinute) >= groupPerMin {
		if free := p.lastMinute[0].Add(time.Minute); free.After(at) {
			at = free
		}
	}
	return at
}

// take records a send at now.
func (p *pace) take(now time.Time) {
	p.perSecond.AllowN(now, 1)
	if p.group {
		p.lastMinute = append(p.lastMinute, now)
		if len(p.lastMinute) > groupPerMin {
			p.lastMinute = p.lastMinute[1:]
		}
	}
}
