package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
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

// TestSettlingQueuesPendingEdits covers acknowledgements that arrive while
// a card or its edit is in flight (Delivery.EditDirty): once the send
// settles, exactly one more edit shows them.
func TestSettlingQueuesPendingEdits(t *testing.T) {
	const msg = 7
	t1 := t0.Add(time.Minute)
	tests := map[string]struct {
		alerts  int    // alerts the message carries (more than one: a digest)
		edit    bool   // settle an edit of the sent card, not the card itself
		dirty   []int  // indexes of the alerts acknowledged while in flight
		missing bool   // the entry also names an alert with no delivery
		status  Status // of the settled entry
		// wantEdit: one more edit is queued and the deliveries say so.
		wantEdit    bool
		wantNotices int
	}{
		"card, nothing pending":                  {alerts: 1, status: Sent},
		"card acknowledged in flight":            {alerts: 1, dirty: []int{0}, status: Sent, wantEdit: true},
		"digest, one alert acknowledged":         {alerts: 3, dirty: []int{1}, status: Sent, wantEdit: true},
		"card with an alert missing":             {alerts: 1, dirty: []int{0}, missing: true, status: Sent, wantEdit: true},
		"card failed with an ack pending":        {alerts: 1, dirty: []int{0}, status: Failed, wantNotices: 1},
		"edit, nothing since":                    {alerts: 1, edit: true, status: Sent},
		"edit, acknowledged meanwhile":           {alerts: 1, edit: true, dirty: []int{0}, status: Sent, wantEdit: true},
		"digest edit, two acknowledged":          {alerts: 3, edit: true, dirty: []int{0, 2}, status: Sent, wantEdit: true},
		"digest edit with an alert missing":      {alerts: 2, edit: true, dirty: []int{1}, missing: true, status: Sent, wantEdit: true},
		"edit failed with an ack pending":        {alerts: 1, edit: true, dirty: []int{0}, status: Failed},
		"digest edit failed with an ack pending": {alerts: 3, edit: true, dirty: []int{2}, status: Failed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := openTest(t)
			approve(t, s, -1)
			markPolled(t, s, "src")
			var items []Alert
			for i := range tc.alerts {
				items = append(items, Alert{Key: fmt.Sprint(i), Title: "T", Published: t0})
			}
			_, err := s.Ingest("src", items, IngestOptions{Now: t0, DigestOver: 1})
			must(t, err)
			target := outbox(t, s)[0]
			ids := target.AlertIDs
			if len(ids) != tc.alerts {
				t.Fatalf("entry carries %v", ids)
			}
			if tc.edit {
				must(t, s.Complete(dept, []Result{{ID: target.ID, Status: Sent, At: t0, MessageID: msg}}))
				must(t, s.Update(func(tx *Tx) error {
					for _, id := range ids {
						d, _, _ := tx.Delivery(id, -1)
						d.EditQueued = true
						if err := tx.PutDelivery(d); err != nil {
							return err
						}
					}
					target = Outgoing{Kind: OutEdit, ChatID: -1, AlertIDs: ids, EditMessageID: msg}
					target.ID, err = tx.Enqueue(target)
					return err
				}))
			}
			must(t, s.Update(func(tx *Tx) error {
				for _, i := range tc.dirty {
					d, _, _ := tx.Delivery(ids[i], -1)
					d.EditDirty = true
					if err := tx.PutDelivery(d); err != nil {
						return err
					}
				}
				if tc.missing {
					target.AlertIDs = append([]uint64{999}, ids...)
					return tx.putOutgoing(target)
				}
				return nil
			}))

			must(t, s.Complete(dept, []Result{{ID: target.ID, Status: tc.status, At: t1, MessageID: msg, Error: "400 Bad Request"}}))

			var edits []Outgoing
			for _, o := range outbox(t, s) {
				if o.Kind == OutEdit {
					edits = append(edits, o)
				}
			}
			if !tc.wantEdit && len(edits) != 0 {
				t.Fatalf("edits queued: %+v", edits)
			}
			if tc.wantEdit {
				if len(edits) != 1 {
					t.Fatalf("%d edits queued, want 1: %+v", len(edits), edits)
				}
				e := edits[0]
				if e.ID == target.ID || e.ChatID != -1 || e.EditMessageID != msg || !slices.Equal(e.AlertIDs, target.AlertIDs) ||
					!e.NotBefore.Equal(t1.Add(2*time.Second)) {
					t.Errorf("edit: %+v", e)
				}
			}
			must(t, s.View(func(tx *Tx) error {
				for _, id := range ids {
					d, _, _ := tx.Delivery(id, -1)
					if d.EditDirty || d.EditQueued != tc.wantEdit {
						t.Errorf("delivery %d: dirty %v, edit queued %v", id, d.EditDirty, d.EditQueued)
					}
					wantState := DeliverySent
					if tc.status == Failed && !tc.edit {
						wantState = DeliveryFailed
					}
					if d.State != wantState || d.State == DeliverySent && d.MessageID != msg {
						t.Errorf("delivery %d: %+v", id, d)
					}
				}
				return nil
			}))
			if n := noticesFor(t, s); len(n) != tc.wantNotices {
				t.Errorf("notices: %+v", n)
			}
		})
	}
}

// TestCancelledQueueTellsOnlyOfRealFailures: /unsubscribe and reject
// cancel the chat's queue on purpose, and a gone chat was reported once;
// only a chat that still wants alerts makes a delivery-failed notice.
func TestCancelledQueueTellsOnlyOfRealFailures(t *testing.T) {
	tests := map[ChatStatus]int{ // status when the queue is cancelled → notices
		ChatApproved:     2,
		ChatUnsubscribed: 0,
		ChatRejected:     0,
		ChatGone:         0,
		ChatPending:      0,
	}
	for status, want := range tests {
		t.Run(string(status), func(t *testing.T) {
			s := openTest(t)
			approve(t, s, -1)
			markPolled(t, s, "src")
			queueOne(t, s, "k1", -1)
			queueOne(t, s, "k2", -1)
			must(t, s.Update(func(tx *Tx) error {
				c, _, _ := tx.Chat(-1)
				c.Status = status
				if err := tx.PutChat(c); err != nil {
					return err
				}
				n, err := tx.CancelQueued(dept, -1, "unsubscribed", t0)
				if n != 2 {
					t.Errorf("cancelled %d entries, want 2", n)
				}
				return err
			}))
			notices := noticesFor(t, s)
			if len(notices) != want {
				t.Fatalf("notices: %+v", notices)
			}
			for _, n := range notices {
				if n.Event != EventDeliveryFailed || n.ChatID != -1 {
					t.Errorf("notice: %+v", n)
				}
			}
			must(t, s.View(func(tx *Tx) error {
				ds, err := tx.ChatDeliveries(-1)
				for _, d := range ds {
					if d.State != DeliveryFailed || d.Error != "unsubscribed" {
						t.Errorf("delivery: %+v", d)
					}
				}
				return err
			}))
		})
	}
}

// The sender trusts the entries it read while OutboxGeneration stays put:
// it must move for every change to queued entries but the sender's own
// outcomes, and not for new entries.
func TestOutboxGenerationMovesWhenQueuedEntriesChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		moves bool
		do    func(t *testing.T, s *Store, o Outgoing)
	}{
		{"new entries", false, func(t *testing.T, s *Store, o Outgoing) {
			must(t, s.Update(func(tx *Tx) error { return tx.Reply(o.ChatID, 0, "ok") }))
		}},
		{"the sender's outcomes", false, func(t *testing.T, s *Store, o Outgoing) {
			must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Retry, At: t0, RetryAt: t0.Add(time.Minute), Error: "429"}}))
		}},
		{"queue cancelled", true, func(t *testing.T, s *Store, o Outgoing) {
			must(t, s.Update(func(tx *Tx) error {
				_, err := tx.CancelQueued(dept, o.ChatID, "unsubscribed", t0)
				return err
			}))
		}},
		{"chat migrated", true, func(t *testing.T, s *Store, o Outgoing) {
			must(t, s.Update(func(tx *Tx) error { return tx.MigrateChat(dept, o.ChatID, -1009, t0) }))
		}},
		{"failed write", false, func(t *testing.T, s *Store, o Outgoing) {
			_ = s.Update(func(tx *Tx) error { return errors.New("refused") })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			approve(t, s, -1, -2)
			markPolled(t, s, "src")
			_, err := s.Ingest("src", []Alert{{Key: "k", Title: "T", Published: t0}}, IngestOptions{Now: t0})
			must(t, err)
			before := s.OutboxGeneration()
			tc.do(t, s, outbox(t, s)[0])
			if moved := s.OutboxGeneration() != before; moved != tc.moves {
				t.Errorf("generation moved: %v, want %v", moved, tc.moves)
			}
		})
	}
}

// The sender reads the queue through EachOutgoing, keeping a copy of each
// entry: a copy must not share anything with the next entry decoded into
// the same value, in the compact form or the JSON of older databases.
func TestEachOutgoingGivesEntriesThatCanBeKept(t *testing.T) {
	s := openTest(t)
	want := []Outgoing{
		{Kind: OutDigest, ChatID: -1, AlertIDs: []uint64{1, 2, 3}, Created: time.Unix(100, 0).UTC()},
		{Kind: OutAlert, ChatID: -2, AlertIDs: []uint64{4}, Created: time.Unix(200, 0).UTC()},
		{Kind: OutDigest, ChatID: -1, AlertIDs: []uint64{5, 6, 7}, Created: time.Unix(300, 0).UTC()},
		{Kind: OutAlert, ChatID: -2, AlertIDs: []uint64{8}, Created: time.Unix(400, 0).UTC()},
		{Kind: OutText, ChatID: -3, Text: "Đề nghị Quý đơn vị xác nhận.", Buttons: [][]Button{{{Text: "Đã nhận", Data: "ack:0"}}}, Created: time.Unix(500, 0).UTC()},
		{Kind: OutDigest, ChatID: -1, AlertIDs: []uint64{9, 10}, Created: time.Unix(600, 0).UTC()},
	}
	const jsonEntries = 3 // written as older databases hold them
	must(t, s.Update(func(tx *Tx) error {
		for i := range want {
			if i < jsonEntries {
				b := tx.bucket(bucketOutbox)
				id, err := b.NextSequence()
				if err != nil {
					return err
				}
				want[i].ID, want[i].V = id, 1
				data, err := json.Marshal(want[i])
				if err != nil {
					return err
				}
				if err := b.Put(u64(id), data); err != nil {
					return err
				}
				continue
			}
			id, err := tx.Enqueue(want[i])
			want[i].ID, want[i].V = id, schemaVersion
			if err != nil {
				return err
			}
		}
		return nil
	}))
	var got []Outgoing
	must(t, s.View(func(tx *Tx) error {
		return tx.EachOutgoing(func(o *Outgoing) error {
			got = append(got, *o)
			return nil
		})
	}))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("kept entries:\n%+v\nwant\n%+v", got, want)
	}
}
