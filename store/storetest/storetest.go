// Package storetest is the conformance suite of the store's behaviour:
// the same tests run on the embedded bbolt store and on the clustered
// store (etcd), so that an operator who moves to a cluster gets the same
// service.
package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Backend opens stores for the suite.
type Backend struct {
	// Open gives a writable store, empty, that the test may use until it
	// ends (the active node).
	Open func(t *testing.T) *store.Store
	// Copy gives another store holding what s holds now, as another
	// process would find it (a restart on bbolt; a standby that followed
	// etcd, or a new node that read it, on a cluster).
	Copy func(t *testing.T, s *store.Store) *store.Store
}

var t0 = time.Date(2026, 9, 1, 18, 0, 0, 0, time.UTC)

const dept = int64(-1009000000001)

// Run runs every conformance test on b.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"IngestQueuesEveryApprovedGroupOnce", ingestQueuesOnce},
		{"OutcomesAndAcknowledgementsPersist", outcomesPersist},
		{"NumberingNeverRepeats", numberingNeverRepeats},
		{"DeletesReachTheCopy", deletesReachTheCopy},
		{"LargeTransactionIsAllOrNothing", largeTransaction},
		{"UpdateOffsetPersists", offsetPersists},
		{"CopyEqualsRecordForRecord", copyEqualsRecordForRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func approve(t *testing.T, s *store.Store, ids ...int64) {
	t.Helper()
	must(t, s.Update(func(tx *store.Tx) error {
		for _, id := range ids {
			if err := tx.PutChat(store.Chat{ID: id, Agency: fmt.Sprintf("Đơn vị %d", -id), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func alerts(n int, from int) []store.Alert {
	out := make([]store.Alert, n)
	for i := range out {
		out[i] = store.Alert{Key: fmt.Sprintf("k%d", from+i), Title: fmt.Sprintf("Lỗ hổng %d", from+i),
			Severity: store.SeverityHigh, Published: t0.Add(time.Duration(i) * time.Minute)}
	}
	return out
}

func ingest(t *testing.T, s *store.Store, items []store.Alert) store.IngestResult {
	t.Helper()
	must(t, s.Update(func(tx *store.Tx) error { return tx.PutSource(store.Source{Name: "vncert", LastSuccess: t0}) }))
	res, err := s.Ingest("vncert", items, store.IngestOptions{Now: t0, Backfill: 1 << 62, DigestOver: 1000, DeptChat: dept})
	must(t, err)
	return res
}

func outbox(t *testing.T, s *store.Store) []store.Outgoing {
	t.Helper()
	var out []store.Outgoing
	must(t, s.View(func(tx *store.Tx) (err error) { out, err = tx.Outbox(); return err }))
	return out
}

func ingestQueuesOnce(t *testing.T, b Backend) {
	s := b.Open(t)
	approve(t, s, -1, -2, -3)
	res := ingest(t, s, alerts(2, 0))
	if len(res.New) != 2 || res.Messages != 6 {
		t.Fatalf("ingest: %d new, %d messages; want 2 and 6", len(res.New), res.Messages)
	}
	again := ingest(t, s, alerts(2, 0))
	if len(again.New) != 0 {
		t.Errorf("the same items ingested again made %d new alerts", len(again.New))
	}
	c := b.Copy(t, s)
	if got := outbox(t, c); len(got) != 6 {
		t.Errorf("the copy's outbox has %d entries, want 6", len(got))
	}
	var n int
	must(t, c.View(func(tx *store.Tx) error {
		for _, a := range res.New {
			d, err := tx.Deliveries(a.ID)
			if err != nil {
				return err
			}
			n += len(d)
		}
		return nil
	}))
	if n != 6 {
		t.Errorf("the copy has %d deliveries, want 6", n)
	}
}

func outcomesPersist(t *testing.T, b Backend) {
	s := b.Open(t)
	approve(t, s, -1, -2)
	res := ingest(t, s, alerts(1, 0))
	var results []store.Result
	for i, o := range outbox(t, s) {
		results = append(results, store.Result{ID: o.ID, Status: store.Sent, At: t0, MessageID: 100 + i})
	}
	must(t, s.Complete(dept, results))
	id := res.New[0].ID
	must(t, s.Update(func(tx *store.Tx) error {
		_, err := tx.AddAck(store.Ack{AlertID: id, ChatID: -1, UserID: 7, Name: "Nguyễn Văn A", At: t0.Add(time.Hour)})
		return err
	}))
	c := b.Copy(t, s)
	if got := outbox(t, c); len(got) != 0 {
		t.Errorf("sent entries are still in the copy's outbox: %+v", got)
	}
	must(t, c.View(func(tx *store.Tx) error {
		rep, err := tx.Report(id)
		if err != nil {
			return err
		}
		acked := 0
		for _, row := range rep.Rows {
			if row.Delivery.State != store.DeliverySent || row.Delivery.MessageID < 100 {
				t.Errorf("chat %d: delivery %+v, want sent with its message id", row.Chat.ID, row.Delivery)
			}
			if len(row.Acks) > 0 {
				acked++
			}
		}
		if acked != 1 {
			t.Errorf("%d chats acknowledged in the copy, want 1", acked)
		}
		return nil
	}))
}

func numberingNeverRepeats(t *testing.T, b Backend) {
	s := b.Open(t)
	first := ingest(t, s, alerts(3, 0))
	c := b.Copy(t, s)
	var last uint64
	must(t, c.View(func(tx *store.Tx) error { last = tx.LastAlertID(); return nil }))
	if last != first.New[2].ID {
		t.Errorf("the copy's last alert is %d, want %d", last, first.New[2].ID)
	}
	// Numbering follows the bucket's sequence, not the last key: an
	// alert removed at the end must not give its number to the next.
	second := ingest(t, s, alerts(1, 3))
	if second.New[0].ID <= first.New[2].ID {
		t.Errorf("a new alert got number %d after %d", second.New[0].ID, first.New[2].ID)
	}
	if a, b := s.OutboxSeq(), b.Copy(t, s).OutboxSeq(); a != b {
		t.Errorf("outbox sequence: store %d, copy %d", a, b)
	}
}

func deletesReachTheCopy(t *testing.T, b Backend) {
	s := b.Open(t)
	approve(t, s, -1)
	res := ingest(t, s, alerts(1, 0))
	id := res.New[0].ID
	must(t, s.Update(func(tx *store.Tx) error {
		_, err := tx.AddAck(store.Ack{AlertID: id, ChatID: -1, UserID: 42, Name: "Trần Thị B", At: t0})
		return err
	}))
	must(t, s.Update(func(tx *store.Tx) error {
		_, err := tx.Forget(42, store.Erasure{Name: "người đã xoá dữ liệu"})
		return err
	}))
	c := b.Copy(t, s)
	must(t, c.View(func(tx *store.Tx) error {
		acks, err := tx.Acks(id, -1)
		if err != nil {
			return err
		}
		for _, a := range acks {
			if a.UserID == 42 || a.Name == "Trần Thị B" {
				t.Errorf("the copy still names the forgotten person: %+v", a)
			}
		}
		return nil
	}))
}

func largeTransaction(t *testing.T, b Backend) {
	s := b.Open(t)
	ids := make([]int64, 1500) // far over etcd's 128 operations per transaction
	for i := range ids {
		ids[i] = -int64(1000 + i)
	}
	approve(t, s, ids...)
	res := ingest(t, s, alerts(1, 0))
	if res.Messages != len(ids) {
		t.Fatalf("%d messages queued, want %d", res.Messages, len(ids))
	}
	c := b.Copy(t, s)
	var chats []store.Chat
	must(t, c.View(func(tx *store.Tx) (err error) { chats, err = tx.Chats(); return err }))
	if len(chats) != len(ids) {
		t.Errorf("the copy has %d chats, want %d", len(chats), len(ids))
	}
	if got := outbox(t, c); len(got) != len(ids) {
		t.Errorf("the copy's outbox has %d entries, want %d", len(got), len(ids))
	}
}

func offsetPersists(t *testing.T, b Backend) {
	s := b.Open(t)
	must(t, s.Update(func(tx *store.Tx) error { return tx.SetOffset(987654, t0) }))
	var id int
	var at time.Time
	must(t, b.Copy(t, s).View(func(tx *store.Tx) error { id, at = tx.Offset(); return nil }))
	if id != 987654 || !at.Equal(t0) {
		t.Errorf("the copy's update offset is %d at %v", id, at)
	}
}

func copyEqualsRecordForRecord(t *testing.T, b Backend) {
	s := b.Open(t)
	approve(t, s, -1, -2, -3)
	ingest(t, s, alerts(20, 0))
	var results []store.Result
	for i, o := range outbox(t, s) {
		st := store.Sent
		if i%7 == 3 {
			st = store.Retry
		}
		results = append(results, store.Result{ID: o.ID, Status: st, At: t0, MessageID: i + 1, RetryAt: t0.Add(time.Minute), Error: "429"})
	}
	must(t, s.Complete(dept, results))
	want, got := Records(t, s), Records(t, b.Copy(t, s))
	if !slices.Equal(want, got) {
		t.Errorf("the copy differs: %d records against %d", len(got), len(want))
	}
}

// Records lists every record and sequence of s, for comparing copies.
func Records(t testing.TB, s *store.Store) []string {
	t.Helper()
	var out []string
	err := s.Dump(func(c store.Change) error {
		if c.IsSeq() {
			out = append(out, fmt.Sprintf("%s#%d", c.Bucket, c.Seq))
		} else {
			out = append(out, fmt.Sprintf("%s/%x=%x", c.Bucket, c.Key, c.Value))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
