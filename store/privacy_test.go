package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const erased = "người đã xoá dữ liệu"

var erasure = Erasure{Name: erased, Note: "(đã xoá)"}

// TestForgetErasesOnePersonEverywhere: a person's name, id and notes go
// from acknowledgements, subscription requests, decisions, advisories,
// the audit log and pending notices; their acknowledgements still count;
// nobody else's data changes.
func TestForgetErasesOnePersonEverywhere(t *testing.T) {
	const an, binh = int64(7), int64(8)
	s := openTest(t)
	must(t, s.Update(func(tx *Tx) error {
		for _, c := range []Chat{
			{ID: -1, Agency: "Sở Y tế", Status: ChatApproved, RequestedBy: an, RequestedByName: "Nguyễn Văn An", DecidedBy: an},
			{ID: -2, Agency: "Sở Tư pháp", Status: ChatApproved, RequestedBy: binh, RequestedByName: "Trần Thị Bình"},
		} {
			if err := tx.PutChat(c); err != nil {
				return err
			}
		}
		return nil
	}))
	markPolled(t, s, "src")
	_, err := s.Ingest("src", []Alert{{Key: "k", Title: "T", Published: t0}}, IngestOptions{Now: t0})
	must(t, err)
	_, _, err = s.Publish(Alert{Title: "Văn bản", Author: an, AuthorName: "Nguyễn Văn An"}, t0,
		AuditEntry{UserID: an, UserName: "Nguyễn Văn An", Action: "broadcast"})
	must(t, err)
	sendAll(t, s, t0)
	must(t, s.Update(func(tx *Tx) error {
		for _, a := range []Ack{
			{AlertID: 1, ChatID: -1, UserID: an, Name: "Nguyễn Văn An", At: t0, Notes: []Note{{Text: "đã vá, gọi 0912 345 678", At: t0}}},
			{AlertID: 1, ChatID: -1, UserID: binh, Name: "Trần Thị Bình", At: t0, Notes: []Note{{Text: "đã kiểm tra", At: t0}}},
			{AlertID: 2, ChatID: -1, UserID: an, Name: "Nguyễn Văn An", At: t0},
		} {
			if _, err := tx.AddAck(a); err != nil {
				return err
			}
		}
		if _, err := tx.NewIncident(Incident{ChatID: -1, Agency: "Sở Y tế", Status: IncidentOpen, ReporterID: an, ReporterName: "Nguyễn Văn An",
			Phone: "0912 345 678", Description: "Mã độc trên máy chủ", Timeline: []IncidentEvent{
				{At: t0, UserID: an, Name: "Nguyễn Văn An", Kind: "filed"},
				{At: t0, UserID: binh, Name: "Trần Thị Bình", Kind: "update", Text: "đã cô lập"}}}); err != nil {
			return err
		}
		if err := tx.Audit(AuditEntry{UserID: binh, UserName: "Trần Thị Bình", Action: "approve", Detail: "Sở Y tế, yêu cầu của Nguyễn Văn An (7); 17 đơn vị"}); err != nil {
			return err
		}
		return tx.Notify(dept, Notice{Event: EventUnsubscribed, ChatID: -1, UserID: an, UserName: "Nguyễn Văn An"}, false)
	}))

	var rep ForgetReport
	must(t, s.Update(func(tx *Tx) (err error) { rep, err = tx.Forget(an, erasure); return err }))
	if want := (ForgetReport{Acks: 2, Notes: 1, Chats: 1, Alerts: 1, Audit: 1, Notices: 1, Incidents: 1}); rep != want {
		t.Errorf("report %+v, want %+v", rep, want)
	}

	var dump strings.Builder
	must(t, s.View(func(tx *Tx) error {
		for id := uint64(1); id <= 2; id++ {
			r, err := tx.Report(id)
			must(t, err)
			fmt.Fprintf(&dump, "%+v\n", r)
		}
		chats, _ := tx.Chats()
		audit, _ := tx.AuditLog(10)
		out, _ := tx.Outbox()
		incidents, _ := tx.Incidents()
		fmt.Fprintf(&dump, "%+v\n", incidents)
		fmt.Fprintf(&dump, "%+v\n%+v\n", chats, audit)
		for _, o := range out {
			fmt.Fprintf(&dump, "%+v\n", o.Notice)
		}
		acks, err := tx.Acks(1, -1)
		must(t, err)
		if len(acks) != 2 || !tx.Acked(2, -1) || StatusOf(acks) != StatusRemediated {
			t.Errorf("the acknowledgements no longer count: %+v", acks)
		}
		for _, a := range acks {
			if a.Name == erased && (!a.Erased || a.UserID >= 0 || len(a.Notes) != 1 || a.Notes[0].Text != erasure.Note) {
				t.Errorf("erased acknowledgement %+v", a)
			}
			if a.Name == "Trần Thị Bình" && (a.UserID != binh || len(a.Notes) != 1 || a.Notes[0].Text != "đã kiểm tra") {
				t.Errorf("another person's acknowledgement changed: %+v", a)
			}
		}
		return nil
	}))
	for _, gone := range []string{"Nguyễn Văn An", "0912 345 678", "UserID:7 ", "RequestedBy:7 ", "DecidedBy:7 ", "Author:7 ", "(7)"} {
		if strings.Contains(dump.String(), gone) {
			t.Errorf("%q is still stored:\n%s", gone, dump.String())
		}
	}
	for _, kept := range []string{"Trần Thị Bình", "đã kiểm tra", erased, "17 đơn vị", "Mã độc trên máy chủ", "đã cô lập"} {
		if !strings.Contains(dump.String(), kept) {
			t.Errorf("%q was lost:\n%s", kept, dump.String())
		}
	}
	must(t, s.Update(func(tx *Tx) (err error) { rep, err = tx.Forget(an, erasure); return err }))
	if rep.Total() != 0 {
		t.Errorf("a second erasure changed %+v", rep)
	}
}

// TestEraseOldAcks: acknowledgers of alerts older than the cutoff are
// erased over several batches; newer alerts keep theirs; a second run
// changes nothing.
func TestEraseOldAcks(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "src")
	old, recent := t0.AddDate(-3, 0, 0), t0
	nOld := retentionBatch + 50
	for i, at := range []time.Time{old, recent} {
		var items []Alert
		for j := range map[bool]int{true: nOld, false: 3}[i == 0] {
			items = append(items, Alert{Key: fmt.Sprintf("%d-%d", i, j), Title: "T", Published: at})
		}
		_, err := s.Ingest("src", items, IngestOptions{Now: at})
		must(t, err)
	}
	sendAll(t, s, t0)
	must(t, s.Update(func(tx *Tx) error {
		for id := uint64(1); id <= tx.LastAlertID(); id++ {
			if _, err := tx.AddAck(Ack{AlertID: id, ChatID: -1, UserID: 7, Name: "Nguyễn Văn An", At: t0, Notes: []Note{{Text: "0912 345 678", At: t0}}}); err != nil {
				return err
			}
		}
		return nil
	}))
	n, err := s.EraseOldAcks(t0.AddDate(-2, 0, 0), erasure)
	must(t, err)
	if n != nOld {
		t.Errorf("%d acknowledgements erased, want %d", n, nOld)
	}
	must(t, s.View(func(tx *Tx) error {
		for id := uint64(1); id <= tx.LastAlertID(); id++ {
			acks, err := tx.Acks(id, -1)
			must(t, err)
			wantErased := id <= uint64(nOld)
			if len(acks) != 1 || acks[0].Erased != wantErased || len(acks[0].Notes) != 1 || (acks[0].Notes[0].Text == erasure.Note) != wantErased {
				t.Fatalf("alert %d: %+v", id, acks)
			}
		}
		return nil
	}))
	if n, err := s.EraseOldAcks(t0.AddDate(-2, 0, 0), erasure); err != nil || n != 0 {
		t.Errorf("second run: %d, %v", n, err)
	}
}

// TestForgetReachesSentRequests: a subscription request already shown in
// the department's chat keeps its notice, to be drawn again when it is
// decided; erasing its requester erases the name there too.
func TestForgetReachesSentRequests(t *testing.T) {
	const an = int64(7)
	s := openTest(t)
	must(t, s.Update(func(tx *Tx) error {
		return tx.Notify(dept, Notice{Event: EventSubscribeRequest, ChatID: -1, Agency: "Sở Y tế", UserID: an, UserName: "Nguyễn Văn An"}, false)
	}))
	sendAll(t, s, t0)
	must(t, s.Update(func(tx *Tx) error {
		_, err := tx.NewSignInLink(an, "Nguyễn Văn An", t0, time.Hour)
		return err
	}))
	dump := func() string {
		var b strings.Builder
		must(t, s.View(func(tx *Tx) error {
			return each(tx, bucketMessages, nil, func(_ []byte, m *SentMessage) error {
				fmt.Fprintf(&b, "%+v\n", m.Notices)
				return nil
			})
		}))
		return b.String()
	}
	if !strings.Contains(dump(), "Nguyễn Văn An") {
		t.Fatalf("the sent request was not indexed; the test shows nothing:\n%s", dump())
	}
	var rep ForgetReport
	must(t, s.Update(func(tx *Tx) (err error) { rep, err = tx.Forget(an, erasure); return err }))
	if d := dump(); strings.Contains(d, "Nguyễn Văn An") || strings.Contains(d, "UserID:7 ") || rep.Notices != 1 || rep.Sessions != 1 {
		t.Errorf("after erasure (%+v):\n%s", rep, d)
	}
}
