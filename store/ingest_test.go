package store

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestIngestCapPushesTheMostSevereAndTellsTheDepartment: a poll with more
// new alerts than MaxNew pushes the most severe (then the newest), stores
// the rest unpushed and tells the department once, urgently.
func TestIngestCapPushesTheMostSevereAndTellsTheDepartment(t *testing.T) {
	const dept = int64(-900)
	s := openTest(t)
	approve(t, s, -1, -2)
	markPolled(t, s, "msrc")
	sev := []Severity{SeverityLow, SeverityCritical, SeverityMedium, SeverityHigh, SeverityLow,
		SeverityCritical, SeverityUnknown, SeverityHigh, SeverityMedium, SeverityLow}
	var items []Alert
	for i, v := range sev {
		items = append(items, Alert{Key: fmt.Sprint(i), Title: fmt.Sprintf("item %d", i), Severity: v,
			Published: t0.Add(time.Duration(i) * time.Minute)})
	}
	res, err := s.Ingest("msrc", items, IngestOptions{Now: t0, MaxNew: 3, DeptChat: dept})
	must(t, err)
	if len(res.New) != 10 || res.Pushed != 3 || res.Held != 7 {
		t.Fatalf("result: new %d pushed %d held %d", len(res.New), res.Pushed, res.Held)
	}
	var pushed []string
	for _, a := range res.New {
		if a.Pushed {
			pushed = append(pushed, a.Key)
		}
	}
	// Both criticals, then the newer of the two highs.
	if want := []string{"1", "5", "7"}; !slices.Equal(pushed, want) {
		t.Fatalf("pushed %v, want %v", pushed, want)
	}
	var cards, notices int
	for _, o := range outbox(t, s) {
		switch {
		case o.Kind == OutAlert:
			cards++
		case o.Kind == OutNotice && o.ChatID == dept:
			notices++
			n := o.Notice
			if n.Event != EventIngestHeld || n.Source != "msrc" || n.Count != 7 || n.Pushed != 3 || !o.Urgent {
				t.Errorf("notice %+v urgent=%v", n, o.Urgent)
			}
		}
	}
	if cards != 6 || notices != 1 {
		t.Fatalf("%d cards (want 3 alerts × 2 chats), %d notices (want 1)", cards, notices)
	}
	// Every item is known now: the next poll brings nothing new.
	res, err = s.Ingest("msrc", items, IngestOptions{Now: t0, MaxNew: 3, DeptChat: dept})
	must(t, err)
	if len(res.New) != 0 || res.Held != 0 {
		t.Fatalf("second poll: %+v", res)
	}
}

// TestIngestUnderTheCapTellsNobody: a poll within the cap pushes all and
// queues no notice.
func TestIngestUnderTheCapTellsNobody(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "src")
	res, err := s.Ingest("src", []Alert{{Key: "a", Title: "A"}, {Key: "b", Title: "B"}, {Key: "a", Title: "A again"}},
		IngestOptions{Now: t0, MaxNew: 2, DeptChat: -900})
	must(t, err)
	if len(res.New) != 2 || res.Pushed != 2 || res.Held != 0 || len(outbox(t, s)) != 2 {
		t.Fatalf("result %+v, outbox %d", res, len(outbox(t, s)))
	}
}

// TestLargePollLetsOtherWritersIn: while a poll of thousands of items is
// stored, another writer (a command, an acknowledgement) gets the
// database between two chunks instead of after the whole poll.
func TestLargePollLetsOtherWritersIn(t *testing.T) {
	const n = 1500
	s := openTest(t)
	approve(t, s, -1, -2, -3)
	markPolled(t, s, "rekeyed")
	items := make([]Alert, n)
	for i := range items {
		items[i] = Alert{Key: fmt.Sprintf("new-guid-%d", i), Title: "Old advisory, new key", Published: t0}
	}
	var wg sync.WaitGroup
	var res IngestResult
	var ingestErr error
	wg.Go(func() {
		res, ingestErr = s.Ingest("rekeyed", items, IngestOptions{Now: t0, MaxNew: 10, DeptChat: -900, Chunk: 50})
	})
	deadline := time.Now().Add(30 * time.Second)
	var seen uint64
	for seen == 0 && time.Now().Before(deadline) {
		must(t, s.View(func(tx *Tx) error { seen = tx.LastAlertID(); return nil }))
	}
	var during uint64
	must(t, s.Update(func(tx *Tx) error {
		during = tx.LastAlertID()
		return tx.SetOffset(42, t0)
	}))
	wg.Wait()
	must(t, ingestErr)
	if during == 0 || during >= n {
		t.Fatalf("another writer got in after %d of %d alerts, want in between", during, n)
	}
	if len(res.New) != n || res.Pushed != 10 || res.Held != n-10 {
		t.Fatalf("new %d pushed %d held %d", len(res.New), res.Pushed, res.Held)
	}
	var unpushed int
	must(t, s.View(func(tx *Tx) error {
		for id := uint64(1); id <= n; id++ {
			a, err := tx.Alert(id)
			if err != nil {
				return err
			}
			if !a.Pushed {
				unpushed++
			}
		}
		return nil
	}))
	if unpushed != n-10 {
		t.Fatalf("%d stored unpushed, want %d", unpushed, n-10)
	}
}

// TestFanOutIsChunkedAndFinishedAfterAStop: pushing 100 alerts to 60
// chats is written in chunks of about fanOutWork deliveries; a fan-out
// the process left half done (here: only its first chunk written) is
// finished by the next ingest, every chat getting every alert once.
func TestFanOutIsChunkedAndFinishedAfterAStop(t *testing.T) {
	const chats, alerts = 60, 100
	s := openTest(t)
	ids := make([]int64, chats)
	for i := range ids {
		ids[i] = int64(-1 - i)
	}
	approve(t, s, ids...)
	markPolled(t, s, "src")
	items := make([]Alert, alerts)
	idx := make([]int, alerts)
	for i := range items {
		items[i], idx[i] = Alert{Key: fmt.Sprint(i), Title: "T", Published: t0}, i
	}
	must(t, s.Update(func(tx *Tx) error {
		stored, err := tx.storeItems("src", items, idx, true, false, IngestOptions{Now: t0}, nil)
		if err != nil {
			return err
		}
		f := fanOut{Now: t0}
		for _, a := range stored {
			f.Alerts = append(f.Alerts, a.ID)
		}
		_, err = tx.fanOutChunk(f) // and then the process stops
		return err
	}))
	if n := len(outbox(t, s)); n != fanOutWork {
		t.Fatalf("first chunk queued %d messages, want %d", n, fanOutWork)
	}
	res, err := s.Ingest("other", nil, IngestOptions{Now: t0})
	must(t, err)
	if len(res.New) != 0 {
		t.Fatalf("%+v", res)
	}
	got := make(map[int64]int)
	for _, o := range outbox(t, s) {
		got[o.ChatID]++
	}
	for _, id := range ids {
		if got[id] != alerts {
			t.Fatalf("chat %d has %d messages, want %d", id, got[id], alerts)
		}
	}
	must(t, s.View(func(tx *Tx) error {
		if k, _ := tx.bucket(bucketMeta).Cursor().Seek(fanOutPrefix); k != nil && hasPrefix(k, fanOutPrefix) {
			t.Error("the finished fan-out is still stored")
		}
		return nil
	}))
}

// TestIngestLooksItemsUpAgainOnlyAfterAnotherWriter: the items a plan
// found new are stored without a second look-up while every write since
// the plan was the ingest's own; once another writer committed (it may
// have stored one of them), each is looked up again and one already
// stored is not stored twice.
func TestIngestLooksItemsUpAgainOnlyAfterAnotherWriter(t *testing.T) {
	s := openTest(t)
	markPolled(t, s, "src")
	var since sincePlan
	must(t, s.View(func(tx *Tx) error { since.last = uint64(tx.tx.ID()); return nil }))
	var untouched []bool
	own := func() {
		must(t, s.Update(func(tx *Tx) error { untouched = append(untouched, since.untouched(tx)); return nil }))
	}
	own()
	own()
	must(t, s.Update(func(tx *Tx) error { return tx.SetOffset(1, t0) })) // another writer
	own()
	own()
	if want := []bool{true, true, false, false}; !slices.Equal(untouched, want) {
		t.Fatalf("untouched %v, want %v", untouched, want)
	}

	items := []Alert{{Key: "b", Title: "B"}, {Key: "a", Title: "A"}, {Key: "c", Title: "C"}}
	_, err := s.Ingest("src", items[1:2], IngestOptions{Now: t0}) // "a" stored meanwhile
	must(t, err)
	must(t, s.Update(func(tx *Tx) error {
		stored, err := tx.storeItems("src", items, []int{0, 1, 2}, true, true, IngestOptions{Now: t0}, nil)
		if len(stored) != 2 || stored[0].Key != "b" || stored[1].Key != "c" {
			t.Errorf("stored %+v, want b and c", stored)
		}
		return err
	}))
	must(t, s.View(func(tx *Tx) error {
		if n := tx.LastAlertID(); n != 3 {
			t.Errorf("%d alerts stored, want 3", n)
		}
		return nil
	}))
}
