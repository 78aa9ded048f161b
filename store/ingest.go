package store

import (
	"fmt"
	"slices"
	"time"
)

// IngestOptions say how new alerts are queued.
type IngestOptions struct {
	Now time.Time
	// Backfill: on a source's first successful poll, items published
	// longer ago than this, and items with no date, are stored but not
	// pushed, so that a new source does not flood every group.
	Backfill time.Duration
	// DigestOver: when one poll yields more than this many new alerts for
	// a chat, the chat gets one digest instead of a card each. Zero turns
	// digests off.
	DigestOver int
	// FollowUpWindow: a new alert sharing CVE ids with an alert the chat
	// received within this window arrives as a short follow-up.
	FollowUpWindow time.Duration
}

// IngestResult says what one Ingest call did.
type IngestResult struct {
	// New lists the alerts stored by this call, pushed or not.
	New []Alert
	// Pushed counts the new alerts that were queued for delivery.
	Pushed int
	// Messages counts the outbox entries queued.
	Messages int
}

// Ingest stores the items of one poll of source and, in the same
// transaction, queues one outbox entry per approved chat whose filter
// matches, so that an alert is never stored without its deliveries.
// Items already known (same source and key) are skipped: a changed item is
// not news.
func (s *Store) Ingest(source string, items []Alert, opt IngestOptions) (IngestResult, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	var res IngestResult
	err := s.Update(func(tx *Tx) error {
		res = IngestResult{}
		src, known, err := tx.Source(source)
		if err != nil {
			return err
		}
		first := !known || src.LastSuccess.IsZero()
		keys := tx.bucket(bucketAlertKeys)
		for i := range items {
			a := items[i]
			a.Source = source
			if a.Key == "" {
				return fmt.Errorf("store: ingest %s: item %q has no key", source, a.Title)
			}
			k := join([]byte(source), []byte{0}, []byte(a.Key))
			if keys.Get(k) != nil {
				continue
			}
			a.FirstSeen = opt.Now
			a.Severity = a.Severity.Normal()
			a.Pushed = !first || (!a.Published.IsZero() && opt.Now.Sub(a.Published) <= opt.Backfill)
			if err := tx.addAlert(&a); err != nil {
				return err
			}
			if err := keys.Put(k, u64(a.ID)); err != nil {
				return err
			}
			res.New = append(res.New, a)
		}
		var push []*Alert
		for i := range res.New {
			if res.New[i].Pushed {
				push = append(push, &res.New[i])
			}
		}
		res.Pushed = len(push)
		n, err := tx.queueAlerts(push, opt)
		res.Messages = n
		return err
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest %s: %w", source, err)
	}
	return res, nil
}

// Publish stores a department advisory and queues it to every approved
// chat. Department advisories ignore filters and are never digested.
func (s *Store) Publish(a Alert, now time.Time, audit AuditEntry) (Alert, int, error) {
	var queued int
	err := s.Update(func(tx *Tx) error {
		var err error
		a, queued, err = tx.Publish(a, now)
		if err != nil {
			return err
		}
		audit.Detail = fmt.Sprintf("#%d %s", a.ID, a.Title)
		return tx.Audit(audit)
	})
	return a, queued, err
}

// Publish is Store.Publish inside a caller's transaction, for handlers
// that also record the update offset.
func (t *Tx) Publish(a Alert, now time.Time) (Alert, int, error) {
	a.Source = DepartmentSource
	a.FirstSeen = now
	a.Pushed = true
	a.Severity = a.Severity.Normal()
	if a.Key == "" {
		a.Key = fmt.Sprintf("advisory-%d", now.UnixNano())
	}
	if err := t.addAlert(&a); err != nil {
		return a, 0, err
	}
	if err := t.bucket(bucketAlertKeys).Put(join([]byte(a.Source), []byte{0}, []byte(a.Key)), u64(a.ID)); err != nil {
		return a, 0, err
	}
	n, err := t.queueAlerts([]*Alert{&a}, IngestOptions{Now: now})
	return a, n, err
}

// queueAlerts creates the deliveries and outbox entries of new alerts for
// every approved chat whose filter matches them.
func (t *Tx) queueAlerts(alerts []*Alert, opt IngestOptions) (int, error) {
	if len(alerts) == 0 {
		return 0, nil
	}
	chats, err := t.Chats()
	if err != nil {
		return 0, err
	}
	earlier := make(map[uint64][]uint64) // alert id → earlier alerts sharing a CVE
	if opt.FollowUpWindow > 0 {
		for _, a := range alerts {
			earlier[a.ID], err = t.earlierByCVE(a, opt.Now.Add(-opt.FollowUpWindow))
			if err != nil {
				return 0, err
			}
		}
	}
	messages := 0
	for _, c := range chats {
		if c.Status != ChatApproved {
			continue
		}
		var mine []*Alert
		for _, a := range alerts {
			if c.Wants(a) {
				mine = append(mine, a)
			}
		}
		if len(mine) == 0 {
			continue
		}
		if opt.DigestOver > 0 && len(mine) > opt.DigestOver {
			ids := make([]uint64, len(mine))
			for i, a := range mine {
				ids[i] = a.ID
				if err := t.PutDelivery(Delivery{AlertID: a.ID, ChatID: c.ID, State: DeliveryQueued, QueuedAt: opt.Now, Via: "digest"}); err != nil {
					return 0, err
				}
			}
			if _, err := t.Enqueue(Outgoing{Kind: OutDigest, ChatID: c.ID, AlertIDs: ids, Created: opt.Now}); err != nil {
				return 0, err
			}
			messages++
			continue
		}
		for _, a := range mine {
			o := Outgoing{Kind: OutAlert, ChatID: c.ID, AlertIDs: []uint64{a.ID}, Created: opt.Now}
			d := Delivery{AlertID: a.ID, ChatID: c.ID, State: DeliveryQueued, QueuedAt: opt.Now}
			if a.Copy != nil {
				o.Kind = OutCopy
			} else if ref := t.receivedEarlier(earlier[a.ID], c.ID); ref != 0 {
				o.Kind, o.Ref, d.Via = OutFollowUp, ref, "followup"
			}
			if err := t.PutDelivery(d); err != nil {
				return 0, err
			}
			if _, err := t.Enqueue(o); err != nil {
				return 0, err
			}
			messages++
		}
	}
	return messages, nil
}

// earlierByCVE lists alerts first seen since `since` that share a CVE id
// with a, newest first.
func (t *Tx) earlierByCVE(a *Alert, since time.Time) ([]uint64, error) {
	var ids []uint64
	c := t.bucket(bucketCVEs).Cursor()
	for _, cve := range a.CVEs {
		prefix := join([]byte(cve), []byte{0})
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			id := readU64(k[len(prefix):])
			if id >= a.ID || slices.Contains(ids, id) {
				continue
			}
			old, err := t.Alert(id)
			if err != nil {
				return nil, err
			}
			if !old.FirstSeen.Before(since) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids, nil
}

// receivedEarlier returns the newest of candidates that chat received (or
// has queued), or 0.
func (t *Tx) receivedEarlier(candidates []uint64, chat int64) uint64 {
	for _, id := range candidates {
		if d, ok, err := t.Delivery(id, chat); err == nil && ok && d.State != DeliveryFailed {
			return id
		}
	}
	return 0
}
