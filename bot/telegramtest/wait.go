package telegramtest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recheck is how often WaitFor re-evaluates a condition with no change in the fake, for
// conditions that also depend on state outside it (a store, a clock).
const recheck = 50 * time.Millisecond

// WaitMessages waits until the bot has sent at least n messages to chatID (0: to all
// chats together) and returns them all. On timeout it fails the test with what the chat
// holds and the last requests, so a failure explains itself.
func (s *Server) WaitMessages(t testing.TB, chatID int64, n int, timeout time.Duration) []Sent {
	t.Helper()
	var out []Sent
	where := fmt.Sprintf("chat %d", chatID)
	if chatID == 0 {
		where = "all chats"
	}
	s.waitLocked(t, timeout, fmt.Sprintf("%d messages in %s", n, where), func() bool {
		have := len(s.allSent)
		if chatID != 0 {
			have = 0
			if c := s.chats[chatID]; c != nil {
				have = len(c.sent)
			}
		}
		if have < n {
			return false
		}
		out = s.messagesLocked(chatID)
		return true
	}, chatID)
	return out
}

// WaitRequests waits until the fake has received at least n requests for method and
// returns them all; a test uses it to know the bot is polling before it acts.
func (s *Server) WaitRequests(t testing.TB, method string, n int, timeout time.Duration) []Request {
	t.Helper()
	s.waitLocked(t, timeout, fmt.Sprintf("%d %s requests", n, method), func() bool {
		return len(s.byMethod[strings.ToLower(method)]) >= n
	}, 0)
	return s.Requests(method)
}

// WaitFor waits until cond holds, re-evaluating it whenever the fake's state changes (and
// every 50ms for state elsewhere), and fails the test naming what after timeout. cond
// runs without the fake's lock, so it may call the accessors.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("telegramtest: timed out after %v waiting for %s\n%s", timeout, what, s.dump(0))
			return
		}
		timer := time.NewTimer(left)
		select {
		case <-changed:
		case <-tick.C:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// waitLocked waits until cond, evaluated under the lock, holds.
func (s *Server) waitLocked(t testing.TB, timeout time.Duration, what string, cond func() bool, chatID int64) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		ok, changed := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("telegramtest: timed out after %v waiting for %s\n%s", timeout, what, s.dump(chatID))
			return
		}
		timer := time.NewTimer(left)
		select {
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// dump describes the fake's state for a failure message: the chat's messages (every
// chat's when chatID is 0) and the last requests with their answers.
func (s *Server) dump(chatID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	sent := s.messagesLocked(chatID)
	fmt.Fprintf(&b, "messages sent (%d):\n", len(sent))
	for _, m := range sent[max(len(sent)-20, 0):] {
		fmt.Fprintf(&b, "  chat %d #%d %s %q", m.ChatID, m.MessageID, m.Method, clip(m.Plain, 100))
		if m.Edits > 0 {
			fmt.Fprintf(&b, " (edited %d×)", m.Edits)
		}
		if m.Deleted {
			b.WriteString(" (deleted)")
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "requests (%d), last ones:\n", len(s.requests))
	for _, r := range s.requests[max(len(s.requests)-20, 0):] {
		fmt.Fprintf(&b, "  %s %s chat_id=%s → %d %s\n", r.Time.Format("15:04:05.000"), r.Method,
			r.Params.Get("chat_id"), r.Status, r.Description)
	}
	fmt.Fprintf(&b, "updates not yet confirmed: %d; pending faults: %d FailNext, %d FloodWait, %d hooks; down: %v",
		len(s.updates), len(s.failures), len(s.floods), len(s.hooks), s.down)
	return b.String()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
