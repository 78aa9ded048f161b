package store

import "slices"

// sameVulnerability keeps the candidates (alerts sharing a CVE id with a)
// that are about every one of a's own CVE ids: a follow-up says "the same
// vulnerability as #N", which a new alert about another flaw, or about
// more flaws than #N, is not. The CVE index holds own ids only, so an id
// that a description merely mentions never makes a follow-up.
func (t *Tx) sameVulnerability(a *Alert, candidates []uint64) ([]uint64, error) {
	var out []uint64
	for _, id := range candidates {
		old, err := t.Alert(id)
		if err != nil {
			return nil, err
		}
		if len(a.CVEs) > 0 && !slices.ContainsFunc(a.CVEs, func(c string) bool { return !slices.Contains(old.CVEs, c) }) {
			out = append(out, id)
		}
	}
	return out, nil
}

// wantsFollowUp reports whether chat c, whose filter does not take a on
// its own, takes it as a follow-up: c received one of the earlier alerts
// a follows, and a at the level of that alert passes the filter (a group
// filtering on "high" that received a critical alert also gets its
// medium follow-up).
func (t *Tx) wantsFollowUp(c Chat, a *Alert, earlier []uint64) bool {
	for _, id := range earlier {
		if t.receivedEarlier([]uint64{id}, c.ID, nil) == 0 {
			continue
		}
		old, err := t.Alert(id)
		if err != nil {
			continue
		}
		raised := *a
		raised.Severity = a.Severity.Max(old.Severity)
		if c.Wants(&raised) {
			return true
		}
	}
	return false
}
