package store

import (
	"testing"
	"time"
)

func kinds(ob []Outgoing) map[Kind]int {
	m := map[Kind]int{}
	for _, o := range ob {
		m[o.Kind]++
	}
	return m
}

// Exploitation reported later reaches each group that has the card as one
// reply and an edit; the alert and its reminder deadline are raised.
func TestReportExploitedAnnouncesOnce(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1, -2)
	markPolled(t, s, "certfr")
	opt := IngestOptions{Now: t0, FollowUpWindow: 14 * 24 * time.Hour}
	_, err := s.Ingest("certfr", []Alert{{Key: "a", Title: "Vulnérabilité dans SharePoint", Severity: SeverityMedium, SeverityDefault: true,
		CVEs: []string{"CVE-2025-53770"}, Published: t0}}, opt)
	must(t, err)
	sendAll(t, s, t0)
	// A third group subscribes later and has the card still queued.
	approve(t, s, -3)
	must(t, s.Update(func(tx *Tx) error {
		if err := tx.PutDelivery(Delivery{AlertID: 1, ChatID: -3, State: DeliveryQueued, QueuedAt: t0}); err != nil {
			return err
		}
		_, err := tx.Enqueue(Outgoing{Kind: OutAlert, ChatID: -3, AlertIDs: []uint64{1}, Created: t0})
		return err
	}))

	day := time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC)
	now := t0.Add(2 * time.Hour)
	res, err := s.ReportExploited("cisa-kev", "CISA KEV", map[string]time.Time{"CVE-2025-53770": day, "CVE-2020-1": day}, true, now)
	must(t, err)
	if len(res.Alerts) != 1 || res.Messages != 4 {
		t.Fatalf("result %+v, want one alert, a reply and an edit for each of two groups", res)
	}
	ob := outbox(t, s)
	if k := kinds(ob); k[OutUpdate] != 2 || k[OutEdit] != 2 {
		t.Fatalf("outbox kinds %v", k)
	}
	for _, o := range ob {
		if o.Kind == OutUpdate && (o.ReplyTo < 100 || o.Update != 1 || o.ChatID == -3) {
			t.Errorf("update entry %+v: want a reply to the sent card", o)
		}
	}
	var a Alert
	must(t, s.View(func(tx *Tx) (err error) { a, err = tx.Alert(1); return err }))
	if !a.Exploited || a.Severity != SeverityHigh || a.SeverityDefault || len(a.KEV) != 1 || len(a.Updates) != 1 ||
		a.Updates[0].Source != "CISA KEV" || !a.Updates[0].Day.Equal(day) {
		t.Errorf("alert after the report: %+v", a)
	}
	var open openEntry
	must(t, s.View(func(tx *Tx) error { open = decodeOpen(tx.bucket(bucketOpen).Get(deliveryKey(1, -1))); return nil }))
	if open.Severity != SeverityHigh {
		t.Errorf("reminder deadline still at %s", open.Severity)
	}

	// The next poll of the catalogue says the same: nothing more.
	res, err = s.ReportExploited("cisa-kev", "CISA KEV", map[string]time.Time{"CVE-2025-53770": day}, true, now.Add(time.Hour))
	must(t, err)
	if len(res.Alerts) != 0 || len(outbox(t, s)) != len(ob) {
		t.Errorf("announced twice: %+v", res)
	}
}

// A source revising an advisory (same key, new content hash) gives an
// update reply, at most once a day; an alert stored before hashes existed
// only gets its hash.
func TestReviseAnnouncesAtMostDaily(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "certfr")
	item := Alert{Key: "a", Title: "Vulnérabilité dans OpenSSL", Severity: SeverityMedium, Hash: "h1", Published: t0}
	old := item
	old.Key, old.Hash = "old", ""
	_, err := s.Ingest("certfr", []Alert{item, old}, IngestOptions{Now: t0})
	must(t, err)
	sendAll(t, s, t0)
	base := len(outbox(t, s))

	step := func(at time.Time, hash string, sev Severity) UpdateResult {
		t.Helper()
		it, o := item, old
		it.Hash, it.Severity, o.Hash = hash, sev, "new"
		it.CVEs = []string{"CVE-2026-" + hash}
		res, err := s.Revise("certfr", "CERT-FR", []Alert{it, o}, at)
		must(t, err)
		return res
	}
	if res := step(t0.Add(time.Hour), "h1", SeverityMedium); len(res.Alerts) != 0 {
		t.Fatalf("unchanged item announced: %+v", res)
	}
	if res := step(t0.Add(time.Hour), "h2", SeverityCritical); len(res.Alerts) != 1 || res.Messages != 2 {
		t.Fatalf("revision: %+v", res)
	}
	if res := step(t0.Add(5*time.Hour), "h3", SeverityCritical); len(res.Alerts) != 0 {
		t.Fatalf("second revision the same day announced: %+v", res)
	}
	if res := step(t0.Add(26*time.Hour), "h4", SeverityCritical); len(res.Alerts) != 1 {
		t.Fatalf("revision the next day not announced: %+v", res)
	}
	if k := kinds(outbox(t, s)[base:]); k[OutUpdate] != 2 {
		t.Errorf("update replies %v, want 2", k)
	}
	var a, o Alert
	must(t, s.View(func(tx *Tx) (err error) {
		if a, err = tx.Alert(1); err != nil {
			return err
		}
		o, err = tx.Alert(2)
		return err
	}))
	if a.Severity != SeverityCritical || a.Hash != "h4" || len(a.Updates) != 2 || o.Hash != "new" || len(o.Updates) != 0 {
		t.Errorf("stored: %+v / %+v", a, o)
	}
	// The ids the revisions added find the alert.
	res, err := s.ReportExploited("kev", "CISA KEV", map[string]time.Time{"CVE-2026-h3": {}}, true, t0.Add(27*time.Hour))
	must(t, err)
	if len(res.Alerts) != 1 || res.Alerts[0] != a.ID {
		t.Errorf("a revision's new CVE id does not find the alert: %+v", res)
	}
}

// A change reported while an edit of the card is already queued (built,
// perhaps, from the old text) marks the card for one more edit.
func TestReportExploitedWhileAnEditIsQueued(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1)
	markPolled(t, s, "certfr")
	_, err := s.Ingest("certfr", []Alert{{Key: "a", Title: "Vulnérabilité dans SharePoint", Severity: SeverityMedium,
		CVEs: []string{"CVE-2025-53770"}, Published: t0}}, IngestOptions{Now: t0})
	must(t, err)
	sendAll(t, s, t0)
	must(t, s.Update(func(tx *Tx) error {
		d, _, err := tx.Delivery(1, -1)
		if err != nil {
			return err
		}
		d.EditQueued = true
		return tx.PutDelivery(d)
	}))
	_, err = s.ReportExploited("cisa-kev", "CISA KEV", map[string]time.Time{"CVE-2025-53770": t0}, true, t0.Add(time.Hour))
	must(t, err)
	must(t, s.View(func(tx *Tx) error {
		d, ok, err := tx.Delivery(1, -1)
		if err == nil && (!ok || !d.EditDirty) {
			t.Errorf("delivery %+v: want one more edit marked", d)
		}
		return err
	}))
}
