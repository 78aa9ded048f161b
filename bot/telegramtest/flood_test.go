package telegramtest

import (
	"testing"
	"time"
)

// TestFloodControlEnforcesTelegramsLimits: one message a second per chat,
// 20 a minute per group (not per private chat), N a second overall, each
// refused with the retry_after Telegram would give and counted.
func TestFloodControlEnforcesTelegramsLimits(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	type send struct {
		chat  string
		at    time.Duration
		after int // the retry_after of the 429, 0 when accepted
	}
	var group, private []send
	for i := range 20 {
		group = append(group, send{"-4001", time.Duration(i) * time.Second, 0})
		private = append(private, send{"1001", time.Duration(i) * time.Second, 0})
	}
	tests := map[string]struct {
		perSecond int
		sends     []send
	}{
		"one a second per chat": {0, []send{{"-4001", 0, 0}, {"-4001", 500 * time.Millisecond, 1}, {"-4001", time.Second, 0}}},
		"20 a minute per group": {0, append(group, send{"-4001", 20 * time.Second, 40}, send{"-4001", 60 * time.Second, 0})},
		"none per private chat": {0, append(private, send{"1001", 20 * time.Second, 0})},
		"overall":               {3, []send{{"-1", 0, 0}, {"-2", 0, 0}, {"-3", 0, 0}, {"-4", 100 * time.Millisecond, 1}, {"-4", time.Second, 0}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := New(t, WithFloodControl(tc.perSecond))
			refused := 0
			for i, m := range tc.sends {
				s.mu.Lock()
				f := s.floodLocked("sendMessage", m.chat, t0.Add(m.at))
				s.mu.Unlock()
				got := 0
				if f != nil {
					got = f.RetryAfter
					refused++
					if f.Code != 429 {
						t.Fatalf("send %d: code %d", i, f.Code)
					}
				}
				if got != m.after {
					t.Fatalf("send %d to %s at %v: retry_after %d, want %d", i, m.chat, m.at, got, m.after)
				}
			}
			if s.FloodRefusals() != refused {
				t.Fatalf("FloodRefusals = %d, want %d", s.FloodRefusals(), refused)
			}
		})
	}
}
