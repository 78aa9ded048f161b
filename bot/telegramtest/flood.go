package telegramtest

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// WithFloodControl makes the fake enforce Telegram's documented limits on the
// messages a bot sends (sendMessage, copyMessage, sendDocument and edits): at most one a
// second to a chat, at most 20 a minute to a group, and, when perSecond > 0, at most
// perSecond a second overall. A message over a limit is refused with 429 and the
// retry_after Telegram would give, and counted (FloodRefusals), so that a benchmark can
// show a sender reaching the ceiling without crossing it.
func WithFloodControl(perSecond int) Option {
	return func(s *Server) {
		s.flood = &floodControl{perSecond: perSecond, chats: make(map[int64]*chatLimits)}
	}
}

// floodControl is the state WithFloodControl keeps: the accept times of recent messages.
type floodControl struct {
	perSecond int
	chats     map[int64]*chatLimits
	second    []time.Time // accepted within the last second, oldest first
	refused   int
}

type chatLimits struct {
	last   time.Time
	minute []time.Time // a group's accepted messages within the last minute, oldest first
}

// paced lists the methods flood control counts.
var paced = map[string]bool{"sendMessage": true, "copyMessage": true, "sendDocument": true,
	"editMessageText": true, "editMessageReplyMarkup": true}

// floodLocked applies flood control to one request and returns the 429 to answer, or
// nil when the message is accepted (and counted).
func (s *Server) floodLocked(method, chatParam string, now time.Time) *Fault {
	f := s.flood
	if f == nil || !paced[method] {
		return nil
	}
	chatID, err := strconv.ParseInt(chatParam, 10, 64)
	if err != nil {
		return nil // @username: the method answers it
	}
	c := f.chats[chatID]
	if c == nil {
		c = &chatLimits{}
		f.chats[chatID] = c
	}
	f.second = dropBefore(f.second, now.Add(-time.Second))
	c.minute = dropBefore(c.minute, now.Add(-time.Minute))
	wait := time.Duration(0)
	if !c.last.IsZero() && now.Sub(c.last) < time.Second {
		wait = max(wait, c.last.Add(time.Second).Sub(now))
	}
	if chatID < 0 && len(c.minute) >= 20 {
		wait = max(wait, c.minute[0].Add(time.Minute).Sub(now))
	}
	if f.perSecond > 0 && len(f.second) >= f.perSecond {
		wait = max(wait, f.second[0].Add(time.Second).Sub(now))
	}
	if wait > 0 {
		f.refused++
		after := int(math.Ceil(wait.Seconds()))
		return &Fault{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", after), RetryAfter: after}
	}
	c.last = now
	if chatID < 0 {
		c.minute = append(c.minute, now)
	}
	f.second = append(f.second, now)
	return nil
}

func dropBefore(times []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(cut) {
		i++
	}
	return times[i:]
}

// FloodRefusals is how many messages flood control refused with 429.
func (s *Server) FloodRefusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flood == nil {
		return 0
	}
	return s.flood.refused
}
