package store

import (
	"strings"
	"testing"
	"time"
)

// queueOne ingests one alert for the approved chats and returns the
// outbox entry of chat.
func queueOne(t *testing.T, s *Store, key string, chat int64) Outgoing {
	t.Helper()
	_, err := s.Ingest("src", []Alert{{Key: key, Title: "T " + key, Published: t0, Severity: SeverityHigh}}, IngestOptions{Now: t0})
	must(t, err)
	var found Outgoing
	for _, o := range outbox(t, s) {
		if o.ChatID == chat && o.Kind == OutAlert {
			found = o
		}
	}
	if found.ID == 0 {
		t.Fatalf("nothing queued for %d", chat)
	}
	return found
}

func TestGoneIsToldOnceWhoeverNoticesIt(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1, -2)
	markPolled(t, s, "src")
	o1 := queueOne(t, s, "k1", -1)
	o2 := queueOne(t, s, "k2", -1)
	// A reply queued for the chat goes with its alerts, without a
	// delivery-failed notice of its own.
	must(t, s.Update(func(tx *Tx) error { return tx.Reply(-1, 0, "ok") }))

	// Two sends in one batch both come back 403; then the
	// my_chat_member update reports the same.
	must(t, s.Complete(dept, []Result{
		{ID: o1.ID, Status: Gone, At: t0, Error: "403 Forbidden: bot was kicked from the group chat"},
		{ID: o2.ID, Status: Gone, At: t0, Error: "403 Forbidden: bot was kicked from the group chat"},
	}))
	must(t, s.Update(func(tx *Tx) error { return tx.ChatGone(dept, -1, "bot kicked by Lê", t0.Add(time.Second)) }))

	if n := noticesFor(t, s); len(n) != 1 || n[0].Event != EventChatGone || !strings.Contains(n[0].Detail, "403") {
		t.Fatalf("notices: %+v", n)
	}
	for _, o := range outbox(t, s) {
		if o.ChatID == -1 {
			t.Errorf("left for the gone chat: %+v", o)
		}
		if o.Kind == OutNotice && !o.Urgent {
			t.Errorf("the gone notice is not urgent")
		}
	}
	must(t, s.View(func(tx *Tx) error {
		c, _, _ := tx.Chat(-1)
		if c.Status != ChatGone || c.GoneFrom != ChatApproved || c.GoneReason != "403 Forbidden: bot was kicked from the group chat" {
			t.Errorf("chat: %+v", c)
		}
		ds, err := tx.ChatDeliveries(-1)
		if len(ds) != 2 {
			t.Errorf("history: %+v", ds)
		}
		for _, d := range ds {
			if d.State != DeliveryFailed || d.Error != c.GoneReason || !d.FailedAt.Equal(t0) {
				t.Errorf("delivery: %+v", d)
			}
		}
		return err
	}))
	// The other chat is untouched.
	if o := queueOne(t, s, "k3", -2); o.ID == 0 {
		t.Fatal("the other chat lost its subscription")
	}
	// A gone chat gets no new alerts.
	for _, o := range outbox(t, s) {
		if o.ChatID == -1 {
			t.Errorf("an alert was queued for a gone chat: %+v", o)
		}
	}
}

func TestGoneForUnknownChatIsQuiet(t *testing.T) {
	s := openTest(t)
	// A reply to an admin's private chat, whose user then blocked the bot.
	must(t, s.Update(func(tx *Tx) error { return tx.Reply(301, 0, "báo cáo") }))
	o := outbox(t, s)[0]
	must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Gone, At: t0, Error: "403 Forbidden: bot was blocked by the user"}}))
	if n := len(outbox(t, s)); n != 0 {
		t.Errorf("%d entries left", n)
	}
	must(t, s.View(func(tx *Tx) error {
		if _, ok, _ := tx.Chat(301); ok {
			t.Error("an unknown chat was stored")
		}
		return nil
	}))
}

func TestRetryKeepsPlainAndCounts(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "src")
	o := queueOne(t, s, "k1", -1)
	must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Retry, At: t0, RetryAt: t0, Plain: true, Error: "400 Bad Request: can't parse entities"}}))
	must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Retry, At: t0, RetryAt: t0.Add(time.Minute), Error: "502"}}))
	got, ok := outboxByID(t, s, o.ID)
	if !ok || !got.Plain || got.Attempts != 2 || got.LastError != "502" || !got.NotBefore.Equal(t0.Add(time.Minute)) {
		t.Errorf("entry: %+v", got)
	}
	if n := noticesFor(t, s); len(n) != 0 {
		t.Errorf("a retry told the department: %+v", n)
	}
}

func TestFailedEditClearsTheFlagQuietly(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "src")
	o := queueOne(t, s, "k1", -1)
	must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Sent, At: t0, MessageID: 7}}))
	must(t, s.Update(func(tx *Tx) error {
		d, _, _ := tx.Delivery(o.AlertIDs[0], -1)
		d.EditQueued = true
		if err := tx.PutDelivery(d); err != nil {
			return err
		}
		_, err := tx.Enqueue(Outgoing{Kind: OutEdit, ChatID: -1, AlertIDs: o.AlertIDs, EditMessageID: 7})
		return err
	}))
	edit := outbox(t, s)[0]
	must(t, s.Complete(dept, []Result{{ID: edit.ID, Status: Failed, At: t0, Error: "400 Bad Request: message to edit not found"}}))
	must(t, s.View(func(tx *Tx) error {
		d, _, _ := tx.Delivery(o.AlertIDs[0], -1)
		if d.EditQueued || d.State != DeliverySent {
			t.Errorf("delivery: %+v", d)
		}
		return nil
	}))
	if n := noticesFor(t, s); len(n) != 0 {
		t.Errorf("a failed edit told the department: %+v", n)
	}
}

func TestMigrationMovesAcksOpenAndQueue(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "src")
	o1 := queueOne(t, s, "k1", -1)
	must(t, s.Complete(dept, []Result{{ID: o1.ID, Status: Sent, At: t0, MessageID: 5}}))
	o2 := queueOne(t, s, "k2", -1)
	o3 := queueOne(t, s, "k3", -1)
	must(t, s.Update(func(tx *Tx) error {
		_, err := tx.AddAck(Ack{AlertID: o1.AlertIDs[0], ChatID: -1, UserID: 9, Name: "Bình", At: t0})
		return err
	}))
	const super = int64(-1001)
	// The service message first, then the send that Telegram refused.
	must(t, s.Update(func(tx *Tx) error { return tx.MigrateChat(dept, -1, super, t0) }))
	must(t, s.Complete(dept, []Result{{ID: o2.ID, Status: Migrated, At: t0, MigrateTo: super, Error: "400 Bad Request: group chat was upgraded to a supergroup chat"}}))
	for _, o := range outbox(t, s) {
		if o.ChatID == -1 {
			t.Errorf("left under the old id: %+v", o)
		}
	}
	for _, id := range []uint64{o2.ID, o3.ID} {
		if got, ok := outboxByID(t, s, id); !ok || got.ChatID != super {
			t.Errorf("entry %d: %+v", id, got)
		}
	}
	must(t, s.View(func(tx *Tx) error {
		acks, err := tx.Acks(o1.AlertIDs[0], super)
		if err != nil || len(acks) != 1 || acks[0].ChatID != super {
			t.Errorf("acks: %+v %v", acks, err)
		}
		d, ok, _ := tx.Delivery(o1.AlertIDs[0], super)
		if !ok || d.MessageID != 5 || d.State != DeliverySent {
			t.Errorf("history: %+v", d)
		}
		if ds, _ := tx.DeliveryByMessage(super, 5); len(ds) != 1 {
			t.Errorf("by message: %+v", ds)
		}
		return nil
	}))
	if n := noticesFor(t, s); len(n) != 1 || n[0].Event != EventMigrated {
		t.Errorf("notices: %+v", n)
	}
	// New alerts go to the new id only.
	queueOne(t, s, "k4", super)
}

func TestCompleteIsAllOrNothing(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1, -2)
	markPolled(t, s, "src")
	o := queueOne(t, s, "k1", -1)
	var other Outgoing
	for _, e := range outbox(t, s) {
		if e.ChatID == -2 {
			other = e
		}
	}
	err := s.Complete(dept, []Result{{ID: o.ID, Status: Sent, At: t0, MessageID: 1}, {ID: other.ID, Status: Status(99)}})
	if err == nil {
		t.Fatal("an unknown status was accepted")
	}
	if _, ok := outboxByID(t, s, o.ID); !ok {
		t.Error("half a batch was written")
	}
	// Results for entries that are gone already are ignored.
	must(t, s.Complete(dept, []Result{{ID: 9999, Status: Sent, At: t0}}))
}
