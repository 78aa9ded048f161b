package store

import (
	"maps"
	"slices"
	"time"
)

// OutUpdate is a short reply under a delivered card saying what changed:
// exploitation reported later, or a revised advisory. Outgoing.Update is
// the number (from 1) of the alert's AlertUpdate it announces.
const OutUpdate Kind = "update"

// revisionGap: a revised advisory is announced at most once a day.
const revisionGap = 24 * time.Hour

// announceWindow: changes to alerts first seen longer ago than this are
// stored and shown by their cards, but not announced, so that a catalogue
// catching up on old flaws does not flood groups with replies to cards
// nobody looks at any more.
const announceWindow = 30 * 24 * time.Hour

// UpdateResult says what one call announcing changes did.
type UpdateResult struct {
	// Alerts lists the alerts that changed.
	Alerts []uint64
	// Messages counts the update replies and card edits queued.
	Messages int
}

// ReportExploited records that source (shown as title) now reports the
// exploitation of CVE ids, with the day it dates each (KEV's dateAdded;
// zero when it gives none). Every other source's alert about one of those
// ids (its own ids) that was not yet marked exploited is raised to at
// least high and marked, its reminders use the new severity, and each
// group that received it gets one short update as a reply to its card and
// the card edited, all in one transaction. The reporter's own alerts are
// left alone: they said so themselves.
func (s *Store) ReportExploited(source, title string, cves map[string]time.Time, viaKEV bool, now time.Time) (UpdateResult, error) {
	var res UpdateResult
	err := s.Update(func(tx *Tx) error {
		res = UpdateResult{}
		changed := map[uint64][]string{}
		var order []uint64
		c := tx.bucket(bucketCVEs).Cursor()
		for _, cve := range slices.Sorted(maps.Keys(cves)) {
			prefix := join([]byte(cve), []byte{0})
			for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
				id := readU64(k[len(prefix):])
				if _, seen := changed[id]; !seen {
					order = append(order, id)
				}
				changed[id] = append(changed[id], cve)
			}
		}
		for _, id := range order {
			a, err := tx.Alert(id)
			if err != nil {
				return err
			}
			if a.Exploited || a.Source == source || a.Source == DepartmentSource {
				continue
			}
			ids := changed[id]
			var day time.Time
			for _, cve := range ids {
				if d := cves[cve]; d.After(day) {
					day = d
				}
			}
			a.Exploited, a.News = true, false
			if viaKEV {
				a.KEV = ids
			}
			if a.Severity.Rank() < SeverityHigh.Rank() {
				a.Severity, a.SeverityDefault = SeverityHigh, false
			}
			a.Updates = append(a.Updates, AlertUpdate{At: now, Kind: UpdateExploited, Source: title, CVEs: ids, Day: day, Severity: a.Severity})
			n, err := tx.announce(a, now)
			if err != nil {
				return err
			}
			res.Alerts = append(res.Alerts, id)
			res.Messages += n
		}
		return nil
	})
	return res, err
}

// Revise compares the items of a poll with the alerts stored under the
// same keys: an item whose text changed (a new content hash: new text or
// a new `updated` date) replaces the stored text, keeps the higher
// severity, and is announced to the groups that received it as an update,
// at most once a day per alert; a change within a day of the last
// announcement is stored quietly and shown by the card. Alerts stored
// before content hashes existed only get their hash.
func (s *Store) Revise(source, title string, items []Alert, now time.Time) (UpdateResult, error) {
	var res UpdateResult
	err := s.Update(func(tx *Tx) error {
		res = UpdateResult{}
		keys := tx.bucket(bucketAlertKeys)
		for _, it := range items {
			if it.Hash == "" || it.Key == "" {
				continue
			}
			v := keys.Get(alertKey(source, it.Key))
			if v == nil {
				continue
			}
			a, err := tx.Alert(readU64(v))
			if err != nil {
				return err
			}
			if a.Hash == it.Hash {
				continue
			}
			// No hash yet, or one made another way (another length): a
			// new digest of the same text, not a revision.
			first := len(a.Hash) != len(it.Hash)
			wasExploited := a.Exploited
			a.Hash = it.Hash
			if first {
				if err := tx.PutAlert(a); err != nil {
					return err
				}
				continue
			}
			a.Title, a.Summary, a.Link = it.Title, it.Summary, it.Link
			for _, cve := range it.CVEs {
				if !slices.Contains(a.CVEs, cve) {
					// A flaw the revision adds: follow-ups and later
					// reports of exploitation find the alert by it.
					a.CVEs = append(a.CVEs, cve)
					if err := tx.bucket(bucketCVEs).Put(join([]byte(cve), []byte{0}, u64(a.ID)), nil); err != nil {
						return err
					}
				}
			}
			a.Score = max(a.Score, it.Score)
			if it.Severity.Rank() > a.Severity.Rank() {
				a.Severity, a.SeverityDefault = it.Severity, it.SeverityDefault
			}
			a.Exploited = a.Exploited || it.Exploited
			a.News = a.News && it.News
			a.Vendors, a.Action, a.Due, a.Ransomware = it.Vendors, it.Action, it.Due, a.Ransomware || it.Ransomware
			if !a.Pushed || recentlyRevised(a, now) && wasExploited == a.Exploited {
				if err := tx.PutAlert(a); err != nil {
					return err
				}
				continue
			}
			u := AlertUpdate{At: now, Kind: UpdateRevised, Source: title, Severity: a.Severity}
			if !wasExploited && a.Exploited {
				u.Kind, u.CVEs = UpdateExploited, a.CVEs
			}
			a.Updates = append(a.Updates, u)
			n, err := tx.announce(a, now)
			if err != nil {
				return err
			}
			res.Alerts = append(res.Alerts, a.ID)
			res.Messages += n
		}
		return nil
	})
	return res, err
}

func recentlyRevised(a Alert, now time.Time) bool {
	for _, u := range a.Updates {
		if u.Kind == UpdateRevised && now.Sub(u.At) < revisionGap {
			return true
		}
	}
	return false
}

// announce stores a changed alert and, for every group whose card of it
// was sent, queues the update reply and an edit of the card, and moves the
// group's reminder deadline to the new severity. A card still queued will
// show the change when it is sent.
func (t *Tx) announce(a Alert, now time.Time) (int, error) {
	if err := t.PutAlert(a); err != nil {
		return 0, err
	}
	if now.Sub(a.FirstSeen) > announceWindow {
		return 0, nil
	}
	ds, err := t.Deliveries(a.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		if d.State != DeliverySent || d.MessageID == 0 {
			continue
		}
		if _, err := t.Enqueue(Outgoing{Kind: OutUpdate, ChatID: d.ChatID, AlertIDs: []uint64{a.ID}, Update: len(a.Updates),
			ReplyTo: d.MessageID, Created: now}); err != nil {
			return n, err
		}
		n++
		switch {
		case !d.EditQueued:
			if err := t.queueEdit(d.ChatID, d.MessageID, []uint64{a.ID}, now); err != nil {
				return n, err
			}
			d.EditQueued = true
			if err := t.PutDelivery(d); err != nil {
				return n, err
			}
			n++
		case !d.EditDirty:
			// An edit is queued or in flight, perhaps built from the old
			// text: one more follows once it settles.
			d.EditDirty = true
			if err := t.PutDelivery(d); err != nil {
				return n, err
			}
		}
		if v := t.bucket(bucketOpen).Get(deliveryKey(a.ID, d.ChatID)); v != nil {
			e := decodeOpen(v)
			e.Severity = a.Severity
			if err := t.putOpen(a.ID, d.ChatID, e); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
