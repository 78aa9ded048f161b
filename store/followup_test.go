package store

import (
	"testing"
	"time"
)

// Follow-ups: only an alert about the same vulnerability (its own CVE ids
// all covered by the earlier alert) is a follow-up, and a group filtering
// on a level gets the follow-up of an alert it received at that level.
func TestFollowUpRules(t *testing.T) {
	window := IngestOptions{Now: t0, FollowUpWindow: 14 * 24 * time.Hour}
	tests := map[string]struct {
		filter       Filter
		first, later Alert
		want         Kind // "" when nothing is queued for the later alert
	}{
		"same own CVE": {
			first: Alert{CVEs: []string{"CVE-2025-53770"}, Severity: SeverityCritical},
			later: Alert{CVEs: []string{"CVE-2025-53770"}, Severity: SeverityHigh},
			want:  OutFollowUp,
		},
		"a mentioned CVE is not the alert's own": {
			first: Alert{CVEs: []string{"CVE-2025-53770"}, Severity: SeverityCritical},
			later: Alert{CVEs: []string{"CVE-2025-49704"}, Related: []string{"CVE-2025-53770"}, Severity: SeverityCritical},
			want:  OutAlert,
		},
		"more flaws than the earlier alert": {
			first: Alert{CVEs: []string{"CVE-2026-1"}, Severity: SeverityHigh},
			later: Alert{CVEs: []string{"CVE-2026-1", "CVE-2026-2"}, Severity: SeverityHigh},
			want:  OutAlert,
		},
		"fewer flaws than the earlier alert": {
			first: Alert{CVEs: []string{"CVE-2026-1", "CVE-2026-2"}, Severity: SeverityHigh},
			later: Alert{CVEs: []string{"CVE-2026-2"}, Severity: SeverityHigh},
			want:  OutFollowUp,
		},
		"filtered on high: the follow-up of a critical alert passes": {
			filter: Filter{MinSeverity: SeverityHigh},
			first:  Alert{CVEs: []string{"CVE-2026-1"}, Severity: SeverityCritical},
			later:  Alert{CVEs: []string{"CVE-2026-1"}, Severity: SeverityMedium, SeverityDefault: true},
			want:   OutFollowUp,
		},
		"filtered on high: an unrelated medium alert does not": {
			filter: Filter{MinSeverity: SeverityHigh},
			first:  Alert{CVEs: []string{"CVE-2026-1"}, Severity: SeverityCritical},
			later:  Alert{CVEs: []string{"CVE-2026-9"}, Severity: SeverityMedium},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := openTest(t)
			must(t, s.Update(func(tx *Tx) error {
				return tx.PutChat(Chat{ID: -1, Agency: "A", Status: ChatApproved, Filter: tc.filter})
			}))
			markPolled(t, s, "cisa")
			markPolled(t, s, "cisa-kev")
			tc.first.Key, tc.first.Title, tc.first.Published = "1", "first", t0
			tc.later.Key, tc.later.Title, tc.later.Published = "2", "later", t0
			_, err := s.Ingest("cisa", []Alert{tc.first}, window)
			must(t, err)
			before := len(outbox(t, s))
			res, err := s.Ingest("cisa-kev", []Alert{tc.later}, window)
			must(t, err)
			ob := outbox(t, s)
			var got Kind
			if len(ob) > before {
				got = ob[len(ob)-1].Kind
			}
			if got != tc.want {
				t.Fatalf("later alert #%d queued as %q, want %q", res.New[0].ID, got, tc.want)
			}
		})
	}
}
