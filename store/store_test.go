package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const dept = int64(-100999)

var t0 = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)

// openTest opens a store in a temporary folder. Its writes also go to an
// in-memory mirror, and at the end of the test a copy rebuilt from the
// mirror alone must equal the store: so every store test also checks that
// clustered mode replicates each write.
func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "canhbao.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := newMemMirror()
	s.SetMirror(m)
	t.Cleanup(func() {
		open := s.View(func(*Tx) error { return nil }) == nil // a test may close it itself
		if open && !t.Failed() && s.mirror.Load().m == m {
			checkMirrored(t, s, m)
		}
		s.Close()
	})
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// approve stores approved chats with the given ids.
func approve(t *testing.T, s *Store, ids ...int64) {
	t.Helper()
	must(t, s.Update(func(tx *Tx) error {
		for _, id := range ids {
			if err := tx.PutChat(Chat{ID: id, Agency: "Agency " + string(rune('A'+len(ids))), Status: ChatApproved}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// markPolled makes later ingests of source count as regular polls.
func markPolled(t *testing.T, s *Store, source string) {
	t.Helper()
	must(t, s.Update(func(tx *Tx) error { return tx.PutSource(Source{Name: source, LastSuccess: t0}) }))
}

func outbox(t *testing.T, s *Store) []Outgoing {
	t.Helper()
	var out []Outgoing
	must(t, s.View(func(tx *Tx) (err error) { out, err = tx.Outbox(); return err }))
	return out
}

func TestOpenLockedFileFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(path, Options{})
	must(t, err)
	defer s.Close()
	start := time.Now()
	_, err = Open(path, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("second open hung")
	}
}

func TestIngestDedupesAndQueuesApprovedChats(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1, -2)
	must(t, s.Update(func(tx *Tx) error {
		return tx.PutChat(Chat{ID: -3, Agency: "Pending", Status: ChatPending})
	}))
	markPolled(t, s, "cisa")
	items := []Alert{
		{Key: "a", Title: "A", Published: t0},
		{Key: "b", Title: "B", Published: t0},
	}
	res, err := s.Ingest("cisa", items, IngestOptions{Now: t0})
	must(t, err)
	if len(res.New) != 2 || res.Pushed != 2 || res.Messages != 4 {
		t.Fatalf("first ingest: %+v", res)
	}
	if res.New[0].ID != 1 || res.New[1].ID != 2 {
		t.Fatalf("ids: %d %d", res.New[0].ID, res.New[1].ID)
	}
	res, err = s.Ingest("cisa", append(items, Alert{Key: "c", Title: "C"}), IngestOptions{Now: t0})
	must(t, err)
	if len(res.New) != 1 || res.New[0].Key != "c" || res.Messages != 2 {
		t.Fatalf("second ingest: %+v", res)
	}
	// The same key from another source is another alert.
	markPolled(t, s, "other")
	res, err = s.Ingest("other", items[:1], IngestOptions{Now: t0})
	must(t, err)
	if len(res.New) != 1 {
		t.Fatalf("other source: %+v", res)
	}
	for _, o := range outbox(t, s) {
		if o.ChatID == -3 {
			t.Fatal("pending chat got a delivery")
		}
	}
	must(t, s.View(func(tx *Tx) error {
		d, ok, err := tx.Delivery(1, -1)
		if err != nil || !ok || d.State != DeliveryQueued {
			t.Errorf("delivery 1/-1: %+v %v %v", d, ok, err)
		}
		return nil
	}))
}

func TestIngestBackfillOnFirstPoll(t *testing.T) {
	tests := map[string]struct {
		published time.Time
		polled    bool
		pushed    bool
	}{
		"recent on first poll":    {t0.Add(-time.Hour), false, true},
		"old on first poll":       {t0.Add(-100 * time.Hour), false, false},
		"undated on first poll":   {time.Time{}, false, false},
		"old on a later poll":     {t0.Add(-100 * time.Hour), true, true},
		"undated on a later poll": {time.Time{}, true, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := openTest(t)
			approve(t, s, -1)
			if tc.polled {
				markPolled(t, s, "src")
			}
			res, err := s.Ingest("src", []Alert{{Key: "k", Title: "T", Published: tc.published}}, IngestOptions{Now: t0, Backfill: 72 * time.Hour})
			must(t, err)
			if got := res.Pushed == 1; got != tc.pushed {
				t.Fatalf("pushed = %v, want %v", got, tc.pushed)
			}
			if got := len(outbox(t, s)) == 1; got != tc.pushed {
				t.Fatalf("queued = %v, want %v", got, tc.pushed)
			}
			if res.New[0].FirstSeen != t0 {
				t.Fatalf("first seen %v", res.New[0].FirstSeen)
			}
		})
	}
}

func TestIngestDigestAndFollowUp(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "msrc")
	var burst []Alert
	for i := range 7 {
		burst = append(burst, Alert{Key: string(rune('a' + i)), Title: "x", Published: t0})
	}
	res, err := s.Ingest("msrc", burst, IngestOptions{Now: t0, DigestOver: 5})
	must(t, err)
	if res.Messages != 1 {
		t.Fatalf("burst of 7 over 5: %d messages, want 1 digest", res.Messages)
	}
	ob := outbox(t, s)
	if ob[0].Kind != OutDigest || len(ob[0].AlertIDs) != 7 {
		t.Fatalf("digest entry: %+v", ob[0])
	}

	markPolled(t, s, "cisa")
	markPolled(t, s, "certfr")
	_, err = s.Ingest("cisa", []Alert{{Key: "1", Title: "first", CVEs: []string{"CVE-2026-1"}, Published: t0}}, IngestOptions{Now: t0, FollowUpWindow: 14 * 24 * time.Hour})
	must(t, err)
	res, err = s.Ingest("certfr", []Alert{{Key: "2", Title: "again", CVEs: []string{"CVE-2026-1"}, Published: t0}}, IngestOptions{Now: t0.Add(time.Hour), FollowUpWindow: 14 * 24 * time.Hour})
	must(t, err)
	ob = outbox(t, s)
	last := ob[len(ob)-1]
	if last.Kind != OutFollowUp || last.Ref != res.New[0].ID-1 {
		t.Fatalf("follow-up entry: %+v", last)
	}
	// Outside the window it is a full card again.
	res, err = s.Ingest("certfr", []Alert{{Key: "3", Title: "late", CVEs: []string{"CVE-2026-1"}, Published: t0}}, IngestOptions{Now: t0.Add(15 * 24 * time.Hour), FollowUpWindow: 14 * 24 * time.Hour})
	must(t, err)
	ob = outbox(t, s)
	if k := ob[len(ob)-1].Kind; k != OutAlert {
		t.Fatalf("outside window: %s", k)
	}
}

func TestFilterMatches(t *testing.T) {
	a := &Alert{Source: "cisa", Title: "Critical flaw in FortiOS", Severity: SeverityHigh, Vendors: []string{"Fortinet"}, CVEs: []string{"CVE-2026-24858"}}
	tests := map[string]struct {
		f    Filter
		want bool
	}{
		"zero":                {Filter{}, true},
		"min high":            {Filter{MinSeverity: SeverityHigh}, true},
		"min critical":        {Filter{MinSeverity: SeverityCritical}, false},
		"keyword vendor":      {Filter{Keywords: []string{"fortinet"}}, true},
		"keyword title":       {Filter{Keywords: []string{"FORTIOS"}}, true},
		"keyword cve":         {Filter{Keywords: []string{"cve-2026-24858"}}, true},
		"keyword miss":        {Filter{Keywords: []string{"cisco"}}, false},
		"source hit":          {Filter{Sources: []string{"CISA"}}, true},
		"source miss":         {Filter{Sources: []string{"certfr"}}, false},
		"all must hold":       {Filter{MinSeverity: SeverityMedium, Keywords: []string{"cisco"}}, false},
		"severity and source": {Filter{MinSeverity: SeverityCritical, Sources: []string{"cisa"}}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.f.Matches(a); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
	dep := &Alert{Source: DepartmentSource, Severity: SeverityLow}
	if !(Filter{MinSeverity: SeverityCritical, Sources: []string{"x"}}).Matches(dep) {
		t.Fatal("department advisory filtered out")
	}
}

// TestFilterCriticalExploitedPassesKeywords: an attack in progress on a
// critical flaw reaches a group whatever its keywords; its severity and
// source parts still apply.
func TestFilterCriticalExploitedPassesKeywords(t *testing.T) {
	kw := Filter{Keywords: []string{"cisco"}}
	tests := map[string]struct {
		a    Alert
		f    Filter
		want bool
	}{
		"critical exploited, keyword miss":     {Alert{Source: "kev", Severity: SeverityCritical, Exploited: true, Title: "Ivanti EPMM"}, kw, true},
		"critical not exploited, keyword miss": {Alert{Source: "kev", Severity: SeverityCritical, Title: "Ivanti EPMM"}, kw, false},
		"high exploited, keyword miss":         {Alert{Source: "kev", Severity: SeverityHigh, Exploited: true, Title: "Ivanti EPMM"}, kw, false},
		"critical exploited, source miss":      {Alert{Source: "kev", Severity: SeverityCritical, Exploited: true}, Filter{Keywords: []string{"cisco"}, Sources: []string{"msrc"}}, false},
		"critical exploited, severity and kw":  {Alert{Source: "kev", Severity: SeverityCritical, Exploited: true}, Filter{MinSeverity: SeverityHigh, Keywords: []string{"cisco"}}, true},
		"critical exploited, no filter":        {Alert{Source: "kev", Severity: SeverityCritical, Exploited: true}, Filter{}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.f.Matches(&tc.a); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseSeverity(t *testing.T) {
	tests := map[string]Severity{
		"critical": SeverityCritical, "Nghiêm trọng": SeverityCritical, "nghiem trong": SeverityCritical,
		"cao": SeverityHigh, "Important": SeverityHigh, "trung bình": SeverityMedium, "thấp": SeverityLow,
		"chưa xác định": SeverityUnknown,
	}
	for in, want := range tests {
		if got, ok := ParseSeverity(in); !ok || got != want {
			t.Errorf("ParseSeverity(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseSeverity("urgentish"); ok {
		t.Error("nonsense parsed")
	}
}

// sendAll marks every outbox entry as sent, message ids from 100 up.
func sendAll(t *testing.T, s *Store, at time.Time) {
	t.Helper()
	var rs []Result
	for i, o := range outbox(t, s) {
		rs = append(rs, Result{ID: o.ID, Status: Sent, At: at, MessageID: 100 + i})
	}
	must(t, s.Complete(dept, rs))
}

func TestCompleteOutcomes(t *testing.T) {
	setup := func(t *testing.T) (*Store, Outgoing) {
		s := openTest(t)
		approve(t, s, -1, -2)
		markPolled(t, s, "src")
		_, err := s.Ingest("src", []Alert{{Key: "k", Title: "T", Published: t0}}, IngestOptions{Now: t0})
		must(t, err)
		return s, outbox(t, s)[0]
	}
	t.Run("sent", func(t *testing.T) {
		s, o := setup(t)
		must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Sent, At: t0, MessageID: 42}}))
		must(t, s.View(func(tx *Tx) error {
			d, _, _ := tx.Delivery(1, o.ChatID)
			if d.State != DeliverySent || d.MessageID != 42 || !d.SentAt.Equal(t0) {
				t.Errorf("delivery: %+v", d)
			}
			ds, _ := tx.DeliveryByMessage(o.ChatID, 42)
			if len(ds) != 1 {
				t.Errorf("by message: %v", ds)
			}
			return nil
		}))
		if n := len(outbox(t, s)); n != 1 {
			t.Fatalf("outbox has %d, want 1", n)
		}
		// A result for an entry already settled is ignored.
		must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Failed, At: t0}}))
	})
	t.Run("retry", func(t *testing.T) {
		s, o := setup(t)
		must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Retry, At: t0, RetryAt: t0.Add(time.Minute), Error: "429"}}))
		got, ok := outboxByID(t, s, o.ID)
		if !ok || got.Attempts != 1 || got.LastError != "429" || !got.NotBefore.Equal(t0.Add(time.Minute)) {
			t.Fatalf("entry: %+v", got)
		}
	})
	t.Run("failed", func(t *testing.T) {
		s, o := setup(t)
		must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Failed, At: t0, Error: "400 Bad Request: wrong"}}))
		must(t, s.View(func(tx *Tx) error {
			d, _, _ := tx.Delivery(1, o.ChatID)
			if d.State != DeliveryFailed || d.Error == "" {
				t.Errorf("delivery: %+v", d)
			}
			return nil
		}))
		notices := noticesFor(t, s)
		if len(notices) != 1 || notices[0].Event != EventDeliveryFailed {
			t.Fatalf("notices: %+v", notices)
		}
	})
	t.Run("gone", func(t *testing.T) {
		s, o := setup(t)
		// A second alert queued for the same chat is dropped too.
		_, err := s.Ingest("src", []Alert{{Key: "k2", Title: "T2", Published: t0}}, IngestOptions{Now: t0})
		must(t, err)
		must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Gone, At: t0, Error: "403 Forbidden: bot was kicked"}}))
		must(t, s.View(func(tx *Tx) error {
			c, _, _ := tx.Chat(o.ChatID)
			if c.Status != ChatGone || c.GoneFrom != ChatApproved || c.GoneReason == "" {
				t.Errorf("chat: %+v", c)
			}
			for _, id := range []uint64{1, 2} {
				if d, _, _ := tx.Delivery(id, o.ChatID); d.State != DeliveryFailed {
					t.Errorf("delivery %d: %+v", id, d)
				}
			}
			return nil
		}))
		for _, e := range outbox(t, s) {
			if e.ChatID == o.ChatID {
				t.Fatalf("entry for gone chat left: %+v", e)
			}
		}
		if n := noticesFor(t, s); len(n) != 1 || n[0].Event != EventChatGone {
			t.Fatalf("notices: %+v", n)
		}
	})
	t.Run("migrated", func(t *testing.T) {
		s, o := setup(t)
		newID := int64(-1001234)
		must(t, s.Complete(dept, []Result{{ID: o.ID, Status: Migrated, At: t0, MigrateTo: newID}}))
		got, ok := outboxByID(t, s, o.ID)
		if !ok || got.ChatID != newID {
			t.Fatalf("entry not moved: %+v", got)
		}
		// The service message reports the same migration: nothing changes.
		must(t, s.Update(func(tx *Tx) error { return tx.MigrateChat(dept, o.ChatID, newID, t0) }))
		must(t, s.View(func(tx *Tx) error {
			c, ok, _ := tx.Chat(newID)
			if !ok || c.Status != ChatApproved {
				t.Errorf("new chat: %+v", c)
			}
			if _, ok, _ := tx.Delivery(1, newID); !ok {
				t.Error("delivery not moved")
			}
			if _, ok, _ := tx.Delivery(1, o.ChatID); ok {
				t.Error("old delivery left")
			}
			old, _, _ := tx.Chat(o.ChatID)
			if old.MigratedTo != newID || old.Status == ChatApproved {
				t.Errorf("old chat: %+v", old)
			}
			return nil
		}))
		if n := noticesFor(t, s); len(n) != 1 || n[0].Event != EventMigrated {
			t.Fatalf("notices: %+v", n)
		}
	})
}

func outboxByID(t *testing.T, s *Store, id uint64) (o Outgoing, ok bool) {
	t.Helper()
	must(t, s.View(func(tx *Tx) (err error) { o, ok, err = tx.Outgoing(id); return err }))
	return o, ok
}

func noticesFor(t *testing.T, s *Store) []Notice {
	var out []Notice
	for _, o := range outbox(t, s) {
		if o.Kind == OutNotice && o.ChatID == dept {
			out = append(out, *o.Notice)
		}
	}
	return out
}

func TestAcksAndReport(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1, -2, -3)
	markPolled(t, s, "src")
	_, err := s.Ingest("src", []Alert{{Key: "k", Title: "T", Published: t0}}, IngestOptions{Now: t0})
	must(t, err)
	sendAll(t, s, t0)
	must(t, s.Update(func(tx *Tx) error {
		for _, a := range []Ack{
			{AlertID: 1, ChatID: -1, UserID: 7, Name: "Nguyễn Văn An", At: t0.Add(time.Minute)},
			{AlertID: 1, ChatID: -1, UserID: 8, Name: "Trần Thị Bình", At: t0.Add(2 * time.Minute)},
			{AlertID: 1, ChatID: -2, UserID: 9, Name: "Lê C", At: t0.Add(3 * time.Minute)},
		} {
			added, err := tx.AddAck(a)
			if err != nil || !added {
				t.Fatalf("AddAck %+v: %v %v", a, added, err)
			}
		}
		added, err := tx.AddAck(Ack{AlertID: 1, ChatID: -1, UserID: 7, Name: "Nguyễn Văn An", At: t0.Add(time.Hour)})
		if err != nil || added {
			t.Fatalf("second ack by the same person: added=%v err=%v", added, err)
		}
		return nil
	}))
	must(t, s.View(func(tx *Tx) error {
		rep, err := tx.Report(1)
		must(t, err)
		acked, sent, queued, failed, all := rep.Totals()
		if acked != 2 || sent != 3 || queued != 0 || failed != 0 || all != 3 {
			t.Errorf("totals %d %d %d %d %d", acked, sent, queued, failed, all)
		}
		if rep.Rows[0].Chat.ID != -3 || rep.Rows[0].Acked() {
			t.Errorf("unacknowledged agencies must come first: %+v", rep.Rows[0])
		}
		acks, _ := tx.Acks(1, -1)
		if len(acks) != 2 || !acks[0].At.Equal(t0.Add(time.Minute)) {
			t.Errorf("acks: %+v", acks)
		}
		un, _ := tx.Unacked(-3)
		if len(un) != 1 || un[0].ID != 1 {
			t.Errorf("unacked -3: %+v", un)
		}
		un, _ = tx.Unacked(-1)
		if len(un) != 0 {
			t.Errorf("unacked -1: %+v", un)
		}
		if _, err := tx.Report(99); !IsNotFound(err) {
			t.Errorf("report 99: %v", err)
		}
		return nil
	}))
}

func TestOffsetSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(path, Options{})
	must(t, err)
	must(t, s.Update(func(tx *Tx) error { return tx.SetOffset(41, t0) }))
	must(t, s.Close())
	s, err = Open(path, Options{})
	must(t, err)
	defer s.Close()
	must(t, s.View(func(tx *Tx) error {
		if id, at := tx.Offset(); id != 41 || !at.Equal(t0) {
			t.Errorf("offset %d at %v, want 41 at %v", id, at, t0)
		}
		return nil
	}))
	// Telegram renumbers after a week of silence: the offset may go down.
	must(t, s.Update(func(tx *Tx) error { return tx.SetOffset(12, t0.Add(200*time.Hour)) }))
	must(t, s.View(func(tx *Tx) error {
		if id, _ := tx.Offset(); id != 12 {
			t.Errorf("offset %d, want 12", id)
		}
		return nil
	}))
}

func TestRemindersOnceAndEscalation(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1, -2)
	markPolled(t, s, "src")
	_, err := s.Ingest("src", []Alert{
		{Key: "crit", Title: "C", Severity: SeverityCritical, Published: t0},
		{Key: "low", Title: "L", Severity: SeverityLow, Published: t0},
	}, IngestOptions{Now: t0})
	must(t, err)
	sendAll(t, s, t0)
	must(t, s.Update(func(tx *Tx) error {
		_, err := tx.AddAck(Ack{AlertID: 1, ChatID: -2, UserID: 5, Name: "x", At: t0})
		return err
	}))
	dl := Deadlines{UrgentAfter: 4 * time.Hour, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour}
	count := func(now time.Time) (reminders, escalations int) {
		n, err := s.QueueReminders(now, dl, dept)
		must(t, err)
		for _, o := range outbox(t, s) {
			switch {
			case o.Kind == OutReminder:
				reminders++
			case o.Kind == OutNotice && o.Notice.Event == EventEscalation:
				escalations++
			}
		}
		_ = n
		return reminders, escalations
	}
	if r, e := count(t0.Add(3 * time.Hour)); r != 0 || e != 0 {
		t.Fatalf("before deadline: %d reminders %d escalations", r, e)
	}
	// Critical alert #1: chat -1 has not acknowledged, -2 has.
	r, e := count(t0.Add(5 * time.Hour))
	if r != 1 || e != 0 {
		t.Fatalf("after 5h: %d reminders %d escalations", r, e)
	}
	for _, o := range outbox(t, s) {
		if o.Kind == OutReminder && (o.ChatID != -1 || o.ReplyTo == 0 || o.AlertIDs[0] != 1) {
			t.Fatalf("reminder: %+v", o)
		}
	}
	if r, _ := count(t0.Add(6 * time.Hour)); r != 1 {
		t.Fatalf("reminder repeated: %d", r)
	}
	// Low alert #2: reminders for both chats after 24h.
	if r, _ := count(t0.Add(25 * time.Hour)); r != 3 {
		t.Fatalf("after 25h: %d reminders, want 3", r)
	}
	_, e = count(t0.Add(73 * time.Hour))
	if e != 1 {
		t.Fatalf("after 73h: %d escalations, want one for the round", e)
	}
	if _, e = count(t0.Add(80 * time.Hour)); e != 1 {
		t.Fatalf("escalation repeated: %d", e)
	}
	must(t, s.View(func(tx *Tx) error {
		od, err := tx.OverdueChats(t0.Add(80*time.Hour), dl)
		must(t, err)
		if len(od) != 2 || od[0].Chat.ID != -1 || len(od[0].Alerts) != 2 {
			t.Errorf("overdue: %+v", od)
		}
		return nil
	}))
}

func TestBackupIsAWorkingDatabase(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	must(t, os.WriteFile(path, buf.Bytes(), 0o600))
	c, err := Open(path, Options{ReadOnly: true})
	must(t, err)
	defer c.Close()
	must(t, c.View(func(tx *Tx) error {
		chats, err := tx.Chats()
		if len(chats) != 1 || chats[0].ID != -1 {
			t.Errorf("chats in copy: %+v", chats)
		}
		return err
	}))
}

// A source set to news=skip keeps its news items without sending them.
func TestIngestSkipsNewsWhenAsked(t *testing.T) {
	s := openTest(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if err := s.SeedSources([]Source{{Name: "ncsc-uk", URL: "https://x.example/rss", Kind: KindFeed, SkipNews: true}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPoll("ncsc-uk", PollReport{At: now}, 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	res, err := s.Ingest("ncsc-uk", []Alert{
		{Key: "news", Title: "NCSC statement", News: true, Published: now},
		{Key: "alert", Title: "Alert: global targeting of Fortinet firewalls", Severity: SeverityHigh, Published: now},
	}, IngestOptions{Now: now, Backfill: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 2 || res.Pushed != 1 {
		t.Fatalf("news pushed: %+v", res)
	}
	for _, a := range res.New {
		if a.Pushed == a.News {
			t.Errorf("%s: pushed %v", a.Key, a.Pushed)
		}
	}
}

// TestIngestCriticalExploitedReachesKeywordFilteredGroups: through
// ingest, a group filtering on "cisco" gets the critical alert exploited
// in the wild, and not the critical one that is not exploited.
func TestIngestCriticalExploitedReachesKeywordFilteredGroups(t *testing.T) {
	s := openTest(t)
	must(t, s.Update(func(tx *Tx) error {
		return tx.PutChat(Chat{ID: -9, Agency: "Sở Y tế", Status: ChatApproved, Filter: Filter{Keywords: []string{"cisco"}}})
	}))
	markPolled(t, s, "kev")
	_, err := s.Ingest("kev", []Alert{
		{Key: "x", Title: "Ivanti EPMM", Severity: SeverityCritical, Exploited: true, Published: t0},
		{Key: "y", Title: "Ivanti EPMM 2", Severity: SeverityCritical, Published: t0},
	}, IngestOptions{Now: t0})
	must(t, err)
	var got []uint64
	for _, o := range outbox(t, s) {
		if o.ChatID == -9 {
			got = append(got, o.AlertIDs...)
		}
	}
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("alerts queued for the keyword-filtered group: %v, want [1]", got)
	}
}
