package store

import (
	"maps"
	"slices"
	"testing"
	"time"
)

// putChats stores chats with distinct agency names.
func putChats(t *testing.T, s *Store, chats ...Chat) {
	t.Helper()
	must(t, s.Update(func(tx *Tx) error {
		for _, c := range chats {
			if err := tx.PutChat(c); err != nil {
				return err
			}
		}
		return nil
	}))
}

func setStatus(t *testing.T, s *Store, chat int64, status ChatStatus) {
	t.Helper()
	must(t, s.Update(func(tx *Tx) error {
		c, _, err := tx.Chat(chat)
		if err != nil {
			return err
		}
		c.Status = status
		return tx.PutChat(c)
	}))
}

// sendAt settles the queued card of alert for chat as sent at `at`.
func sendAt(t *testing.T, s *Store, alert uint64, chat int64, at time.Time) {
	t.Helper()
	for _, o := range outbox(t, s) {
		if o.ChatID == chat && o.Kind.Delivers() && slices.Contains(o.AlertIDs, alert) {
			must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Sent, At: at, MessageID: int(alert)*100 + int(-chat)}}))
			return
		}
	}
	t.Fatalf("no card of #%d queued for %d", alert, chat)
}

func ofKind(t *testing.T, s *Store, kind Kind, event string) []Outgoing {
	t.Helper()
	var out []Outgoing
	for _, o := range outbox(t, s) {
		if o.Kind == kind && (event == "" || o.Notice != nil && o.Notice.Event == event) {
			out = append(out, o)
		}
	}
	return out
}

// TestAwayChatsSpendTheirDeadlines: a chat that is not approved when its
// deadlines pass gets neither reminder nor escalation, then or after it is
// restored; its open entries stay for /overdue once it is back.
func TestAwayChatsSpendTheirDeadlines(t *testing.T) {
	dl := Deadlines{UrgentAfter: 4 * time.Hour, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour}
	for _, status := range []ChatStatus{ChatUnsubscribed, ChatRejected, ChatGone, ChatPending} {
		t.Run(string(status), func(t *testing.T) {
			s := openTest(t)
			putChats(t, s,
				Chat{ID: -1, Agency: "Sở Y tế", Status: ChatApproved},
				Chat{ID: -2, Agency: "UBND huyện Sóc Sơn", Status: ChatApproved})
			markPolled(t, s, "src")
			_, err := s.Ingest("src", []Alert{{Key: "k", Title: "T", Severity: SeverityCritical, Published: t0}}, IngestOptions{Now: t0})
			must(t, err)
			sendAll(t, s, t0)
			setStatus(t, s, -2, status)

			for _, h := range []time.Duration{5, 73} {
				_, err := s.QueueReminders(t0.Add(h*time.Hour), dl, dept)
				must(t, err)
			}
			rem, esc := ofKind(t, s, OutReminder, ""), ofKind(t, s, OutNotice, EventEscalation)
			if len(rem) != 1 || rem[0].ChatID != -1 {
				t.Fatalf("reminders: %+v", rem)
			}
			if len(esc) != 1 || !slices.Equal(escalatedAgencies(esc[0].Notice)[1], []string{"Sở Y tế"}) {
				t.Fatalf("escalations: %+v", esc)
			}
			must(t, s.View(func(tx *Tx) error {
				od, err := tx.OverdueChats(t0.Add(100*time.Hour), dl)
				if len(od) != 1 || od[0].Chat.ID != -1 {
					t.Errorf("overdue while away: %+v", od)
				}
				return err
			}))

			// Weeks later the chat is approved again.
			setStatus(t, s, -2, ChatApproved)
			for _, h := range []time.Duration{500, 501, 1000} {
				_, err := s.QueueReminders(t0.Add(h*time.Hour), dl, dept)
				must(t, err)
			}
			if rem := ofKind(t, s, OutReminder, ""); len(rem) != 1 {
				t.Errorf("reminders after restore: %+v", rem)
			}
			if esc := ofKind(t, s, OutNotice, EventEscalation); len(esc) != 1 {
				t.Errorf("escalations after restore: %+v", esc)
			}
			must(t, s.View(func(tx *Tx) error {
				od, err := tx.OverdueChats(t0.Add(1000*time.Hour), dl)
				if len(od) != 2 {
					t.Errorf("overdue after restore: %+v", od)
				}
				return err
			}))
		})
	}
}

// TestEscalationOncePerAlert: a paced fan-out puts an alert's deliveries
// minutes apart; the first to pass the deadline escalates the alert for
// every approved agency that has not acknowledged, and later scans add
// nothing.
func TestEscalationOncePerAlert(t *testing.T) {
	dl := Deadlines{UrgentAfter: 4 * time.Hour, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour}
	s := openTest(t)
	putChats(t, s,
		Chat{ID: -1, Agency: "Sở Y tế", Status: ChatApproved},
		Chat{ID: -2, Agency: "UBND huyện Sóc Sơn", Status: ChatApproved},
		Chat{ID: -3, Agency: "Sở Tài chính", Status: ChatApproved},
		Chat{ID: -4, Agency: "Sở Xây dựng", Status: ChatApproved},
		Chat{ID: -5, Agency: "Sở Nội vụ", Status: ChatApproved})
	markPolled(t, s, "src")
	_, err := s.Ingest("src", []Alert{{Key: "k1", Title: "Lỗ hổng FortiOS", Severity: SeverityHigh, Published: t0}}, IngestOptions{Now: t0})
	must(t, err)
	for i, chat := range []int64{-1, -2, -3, -4, -5} {
		sendAt(t, s, 1, chat, t0.Add(time.Duration(i)*time.Minute))
	}
	// A second alert, sent a day later, is not due yet.
	_, err = s.Ingest("src", []Alert{{Key: "k2", Title: "Later", Severity: SeverityHigh, Published: t0}}, IngestOptions{Now: t0.Add(24 * time.Hour)})
	must(t, err)
	sendAll(t, s, t0.Add(24*time.Hour))
	must(t, s.Update(func(tx *Tx) error {
		_, err := tx.AddAck(Ack{AlertID: 1, ChatID: -4, UserID: 9, Name: "Lê", At: t0.Add(time.Hour)})
		return err
	}))
	setStatus(t, s, -5, ChatUnsubscribed)

	for _, m := range []time.Duration{0, 1, 2, 3, 4, 10} {
		_, err := s.QueueReminders(t0.Add(72*time.Hour+m*time.Minute), dl, dept)
		must(t, err)
	}
	// Chat -5 comes back after its own deadline passed while away.
	setStatus(t, s, -5, ChatApproved)
	_, err = s.QueueReminders(t0.Add(80*time.Hour), dl, dept)
	must(t, err)

	esc := ofKind(t, s, OutNotice, EventEscalation)
	if len(esc) != 1 {
		t.Fatalf("%d escalations, want 1: %+v", len(esc), esc)
	}
	n := esc[0].Notice
	if got, want := escalatedAgencies(n), map[uint64][]string{1: {"Sở Tài chính", "Sở Y tế", "UBND huyện Sóc Sơn"}}; !maps.EqualFunc(got, want, slices.Equal) ||
		n.Escalations[0].Title != "Lỗ hổng FortiOS" || n.After != 72*time.Hour || !n.At.Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("escalation: %+v", *n)
	}

	// The second alert escalates once in its turn, without -5: that
	// chat was away when its reminder fell due.
	_, err = s.QueueReminders(t0.Add(96*time.Hour), dl, dept)
	must(t, err)
	esc = ofKind(t, s, OutNotice, EventEscalation)
	if len(esc) != 2 || len(esc[1].Notice.Escalations) != 1 {
		t.Fatalf("escalations: %+v", esc)
	}
	if got, want := escalatedAgencies(esc[1].Notice)[2], []string{"Sở Tài chính", "Sở Xây dựng", "Sở Y tế", "UBND huyện Sóc Sơn"}; !slices.Equal(got, want) {
		t.Fatalf("second escalation names %v, want %v", got, want)
	}
}

// escalatedAgencies reads an escalation round: alert → agencies named.
func escalatedAgencies(n *Notice) map[uint64][]string {
	out := make(map[uint64][]string)
	for _, e := range n.Escalations {
		for _, c := range e.Agencies {
			out[e.AlertID] = append(out[e.AlertID], c.Agency)
		}
	}
	return out
}
