package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
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
	// MaxNew caps the alerts one poll of one source pushes to the groups:
	// a source that re-keys its archive must not bury the groups (and the
	// database) under thousands of old items. The most severe, then the
	// newest, are pushed; the rest are stored unpushed and the department
	// is told. Zero means no cap.
	MaxNew int
	// DeptChat is told when MaxNew held alerts back.
	DeptChat int64
	// Chunk is how many items one write transaction stores, so that a
	// large poll never holds the database for long; zero means
	// DefaultChunk.
	Chunk int
}

// DefaultChunk is how many items Ingest stores per transaction unless told
// otherwise: a few tens of milliseconds of work, after which commands,
// acknowledgements and the sender get the database again.
const DefaultChunk = 500

// IngestResult says what one Ingest call did.
type IngestResult struct {
	// New lists the alerts stored by this call, pushed or not.
	New []Alert
	// Pushed counts the new alerts that were queued for delivery.
	Pushed int
	// Held counts the new alerts stored unpushed because of MaxNew.
	Held int
	// Messages counts the outbox entries queued.
	Messages int
}

// Ingest stores the items of one poll of source and queues one outbox
// entry per approved chat whose filter matches each pushed alert, in the
// same transaction as the alert, so that an alert is never stored without
// its deliveries. Items already known (same source and key) are skipped:
// a changed item is not news.
//
// The work is bounded: at most MaxNew alerts are pushed (in one
// transaction, so that a chat's digest covers them all), and the others
// are stored in transactions of Chunk items, so that other writers wait
// for one chunk at most, never for the whole poll.
func (s *Store) Ingest(source string, items []Alert, opt IngestOptions) (IngestResult, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	chunk := cmp.Or(opt.Chunk, DefaultChunk)
	var push, rest []int // indexes into items
	var since sincePlan
	err := s.View(func(tx *Tx) error {
		var err error
		push, rest, err = tx.planIngest(source, items, opt)
		since.last = uint64(tx.tx.ID())
		return err
	})
	if err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest %s: %w", source, err)
	}
	var res IngestResult
	held := 0
	if opt.MaxNew > 0 && len(push) > opt.MaxNew {
		held = len(push) - opt.MaxNew
		keep := pickPushed(items, push, opt.MaxNew)
		for _, i := range push {
			if _, kept := slices.BinarySearch(keep, i); !kept {
				rest = append(rest, i)
			}
		}
		slices.Sort(rest)
		push = keep
	}
	// A fan-out an earlier call left half done (the process stopped) is
	// finished first.
	if _, err := s.finishFanOuts(); err != nil {
		return res, fmt.Errorf("store: ingest %s: %w", source, err)
	}
	// Every stored alert goes into res.New once, in room made for all of
	// them: a poll of 10,000 items is not copied chunk by chunk.
	res.New = make([]Alert, 0, len(push)+len(rest))
	if len(push) > 0 {
		var more bool
		err := s.Update(func(tx *Tx) error {
			before := len(res.New)
			var err error
			if res.New, err = tx.storeItems(source, items, push, true, !since.untouched(tx), opt, res.New); err != nil {
				return err
			}
			stored := res.New[before:]
			f := fanOut{Now: opt.Now, DigestOver: opt.DigestOver, FollowUpWindow: opt.FollowUpWindow}
			f.Alerts = make([]uint64, len(stored))
			f.stored = make([]*Alert, len(stored))
			for i := range stored {
				f.Alerts[i], f.stored[i] = stored[i].ID, &stored[i]
			}
			n, err := tx.fanOutChunk(f)
			res.Pushed, res.Messages = len(stored), n
			more = err == nil && tx.bucket(bucketMeta).Get(fanOutKey(f.Alerts)) != nil
			return err
		})
		if err != nil {
			return res, fmt.Errorf("store: ingest %s: %w", source, err)
		}
		if more {
			n, err := s.finishFanOuts()
			res.Messages += n
			if err != nil {
				return res, fmt.Errorf("store: ingest %s: %w", source, err)
			}
		}
	}
	for len(rest) > 0 {
		part := rest[:min(chunk, len(rest))]
		rest = rest[len(part):]
		last := len(rest) == 0
		err := s.Update(func(tx *Tx) error {
			var err error
			if res.New, err = tx.storeItems(source, items, part, false, !since.untouched(tx), opt, res.New); err != nil {
				return err
			}
			if last && held > 0 {
				res.Held = held
				return tx.Notify(opt.DeptChat, Notice{Event: EventIngestHeld, Source: source,
					Count: held, Pushed: res.Pushed, At: opt.Now}, true)
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("store: ingest %s: %w", source, err)
		}
	}
	return res, nil
}

// planIngest splits the new items of a poll into those to push and those
// to store unpushed (the backfill of a first poll). Items already stored,
// and repeats of an item within the poll, are in neither.
func (t *Tx) planIngest(source string, items []Alert, opt IngestOptions) (push, rest []int, err error) {
	src, known, err := t.Source(source)
	if err != nil {
		return nil, nil, err
	}
	first := !known || src.LastSuccess.IsZero()
	keys := t.bucket(bucketAlertKeys).Cursor()
	seen := make(map[string]bool)
	for i := range items {
		a := &items[i]
		if a.Key == "" {
			return nil, nil, fmt.Errorf("item %q has no key", a.Title)
		}
		if seen[a.Key] || holds(keys, alertKey(source, a.Key)) {
			continue
		}
		seen[a.Key] = true
		recent := !first || (!a.Published.IsZero() && opt.Now.Sub(a.Published) <= opt.Backfill)
		if recent && !(a.News && src.SkipNews) { // news=skip: kept, not sent
			push = append(push, i)
		} else {
			rest = append(rest, i)
		}
	}
	return push, rest, nil
}

// pickPushed chooses which n of the pushable items a capped poll pushes:
// the most severe, then the newest, then the first in the document. The
// result is in document order.
func pickPushed(items []Alert, push []int, n int) []int {
	ranked := slices.Clone(push)
	slices.SortStableFunc(ranked, func(i, j int) int {
		a, b := &items[i], &items[j]
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		return b.When().Compare(a.When())
	})
	keep := ranked[:n]
	slices.Sort(keep)
	return keep
}

// storeItems stores the items at idx and returns out with them appended.
// With recheck (another writer committed since the plan, and may have
// stored one of them), those already known are skipped.
func (t *Tx) storeItems(source string, items []Alert, idx []int, pushed, recheck bool, opt IngestOptions, out []Alert) ([]Alert, error) {
	t.fillAppended()
	keys := t.bucket(bucketAlertKeys)
	var known *bolt.Cursor
	if recheck {
		known = keys.Cursor()
	}
	for _, i := range idx {
		a := items[i]
		a.Source = source
		k := alertKey(source, a.Key)
		if recheck && holds(known, k) {
			continue
		}
		a.FirstSeen = opt.Now
		a.Severity = a.Severity.Normal()
		a.Pushed = pushed
		if err := t.addAlert(&a); err != nil {
			return out, err
		}
		if err := keys.Put(k, u64(a.ID)); err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}

// holds reports whether c's bucket has key. One cursor serves all the
// look-ups of a loop, where Get would make one (and its path) each time.
func holds(c *bolt.Cursor, key []byte) bool {
	k, _ := c.Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// sincePlan follows the write transactions after an ingest's plan. bbolt
// numbers each write transaction one past the last committed one, so
// while every transaction since the plan's read is one of the ingest's
// own, no other writer can have stored one of the items the plan found
// new, and they need not be looked up again.
type sincePlan struct {
	last  uint64 // the transaction the ingest last saw
	other bool   // another writer committed since the plan
}

// untouched reports whether nobody but the ingest wrote between the plan
// and t, a write transaction of the ingest.
func (p *sincePlan) untouched(t *Tx) bool {
	id := uint64(t.tx.ID())
	if id != p.last+1 {
		p.other = true
	}
	p.last = id
	return !p.other
}

// fanOutWork bounds the deliveries one transaction of a fan-out writes,
// so that pushing a poll's alerts to a thousand groups does not hold the
// database (and its memory) for all of them at once.
const fanOutWork = 5000

// fanOut is a fan-out of new alerts to the approved chats, written in
// transactions of about fanOutWork deliveries. Its progress is stored
// (meta "fanout:" + first alert id) in the same transaction as each
// chunk, so that a fan-out a crash interrupted is finished by the next
// ingest: no chat misses an alert, and none gets it twice.
type fanOut struct {
	Alerts         []uint64      `json:"alerts"`
	Next           int64         `json:"next"` // the chats from this id on are still to do
	Started        bool          `json:"started"`
	Now            time.Time     `json:"now"`
	DigestOver     int           `json:"digest_over,omitempty"`
	FollowUpWindow time.Duration `json:"follow_up_window,omitempty"`
	// stored are the alerts themselves when the caller has just stored
	// them, so that the first chunk does not read them back.
	stored []*Alert
}

var fanOutPrefix = []byte("fanout:")

func fanOutKey(alerts []uint64) []byte { return join(fanOutPrefix, u64(alerts[0])) }

// fanOutChunk queues f's alerts for the next chats, about fanOutWork
// deliveries' worth, and stores how far it got (or forgets f when done).
func (t *Tx) fanOutChunk(f fanOut) (int, error) {
	if len(f.Alerts) == 0 {
		return 0, nil
	}
	alerts := f.stored
	if len(alerts) != len(f.Alerts) {
		alerts = make([]*Alert, len(f.Alerts))
		for i, id := range f.Alerts {
			a, err := t.Alert(id)
			if err != nil {
				return 0, err
			}
			alerts[i] = &a
		}
	}
	per := max(1, fanOutWork/len(alerts))
	var chats []Chat
	c := t.bucket(bucketChats).Cursor()
	k, v := c.First()
	if f.Started {
		k, v = c.Seek(i64(f.Next))
	}
	for ; k != nil && len(chats) < per; k, v = c.Next() {
		var ch Chat
		if err := jsonDecode(v, &ch); err != nil {
			return 0, err
		}
		chats = append(chats, ch)
	}
	n, err := t.queueAlertsTo(chats, alerts, IngestOptions{Now: f.Now, DigestOver: f.DigestOver, FollowUpWindow: f.FollowUpWindow})
	if err != nil {
		return n, err
	}
	key := fanOutKey(f.Alerts)
	if k == nil {
		return n, t.bucket(bucketMeta).Delete(key)
	}
	f.Next, f.Started, f.stored = readI64(k), true, nil
	return n, t.put(bucketMeta, key, &f)
}

// finishFanOuts carries every stored fan-out to its end, one chunk per
// transaction, and returns the messages it queued. Whether there is one
// is looked up in a read transaction first: nearly always there is none,
// and a write transaction that writes nothing still costs a commit (pages
// written and two disk syncs) on every ingest.
func (s *Store) finishFanOuts() (int, error) {
	var pending bool
	err := s.View(func(tx *Tx) error {
		pending = tx.pendingFanOut() != nil
		return nil
	})
	if err != nil || !pending {
		return 0, err
	}
	total := 0
	for {
		done := true
		err := s.Update(func(tx *Tx) error {
			v := tx.pendingFanOut()
			if v == nil {
				return nil
			}
			done = false
			var f fanOut
			if err := jsonDecode(v, &f); err != nil {
				return err
			}
			n, err := tx.fanOutChunk(f)
			total += n
			return err
		})
		if err != nil || done {
			return total, err
		}
	}
}

// pendingFanOut is the stored progress of the first unfinished fan-out,
// nil when there is none.
func (t *Tx) pendingFanOut() []byte {
	k, v := t.bucket(bucketMeta).Cursor().Seek(fanOutPrefix)
	if k == nil || !hasPrefix(k, fanOutPrefix) {
		return nil
	}
	return v
}

// alertKey is the alert_keys key of an item: source, NUL, the item's key.
func alertKey(source, key string) []byte {
	k := make([]byte, 0, len(source)+1+len(key))
	k = append(k, source...)
	k = append(k, 0)
	return append(k, key...)
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
	if err := t.bucket(bucketAlertKeys).Put(alertKey(a.Source, a.Key), u64(a.ID)); err != nil {
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
	return t.queueAlertsTo(chats, alerts, opt)
}

// queueAlertsTo is queueAlerts for some of the chats.
func (t *Tx) queueAlertsTo(chats []Chat, alerts []*Alert, opt IngestOptions) (int, error) {
	t.fillAppended()
	earlier := make(map[uint64][]uint64) // alert id → earlier alerts sharing a CVE
	if opt.FollowUpWindow > 0 {
		cves := t.bucket(bucketCVEs).Cursor()
		for _, a := range alerts {
			ids, err := t.earlierByCVE(cves, a, opt.Now.Add(-opt.FollowUpWindow))
			if err != nil {
				return 0, err
			}
			if earlier[a.ID], err = t.sameVulnerability(a, ids); err != nil {
				return 0, err
			}
		}
	}
	messages := 0
	w := t.newFanOutWriter(min(len(chats)*len(alerts), 2*fanOutWork))
	var mine []int // the places in alerts of those for one chat
	for i := range chats {
		c := &chats[i]
		if c.Status != ChatApproved {
			continue
		}
		mine = mine[:0]
		for j, a := range alerts {
			if c.Wants(a) || t.wantsFollowUp(*c, a, earlier[a.ID]) {
				mine = append(mine, j)
			}
		}
		if len(mine) == 0 {
			continue
		}
		if opt.DigestOver > 0 && len(mine) > opt.DigestOver {
			ids := make([]uint64, len(mine))
			for i, j := range mine {
				ids[i] = alerts[j].ID
				w.queue(ids[i], j, c.ID, "digest")
			}
			o := Outgoing{Kind: OutDigest, ChatID: c.ID, AlertIDs: ids, Created: opt.Now}
			if err := w.enqueue(&o); err != nil {
				return 0, err
			}
			messages++
			continue
		}
		queued := len(w.planned)
		for _, j := range mine {
			a := alerts[j]
			o := Outgoing{Kind: OutAlert, ChatID: c.ID, AlertIDs: w.single(a.ID), Created: opt.Now}
			via := ""
			if a.Copy != nil {
				o.Kind = OutCopy
			} else if ref := t.receivedEarlier(earlier[a.ID], c.ID, w.planned[queued:]); ref != 0 {
				o.Kind, o.Ref, via = OutFollowUp, ref, "followup"
			}
			w.queue(a.ID, j, c.ID, via)
			if err := w.enqueue(&o); err != nil {
				return 0, err
			}
			messages++
		}
	}
	return messages, w.flush(opt.Now)
}

// earlierByCVE lists alerts first seen since `since` that share a CVE id
// with a, newest first; c is a cursor of the CVE index.
func (t *Tx) earlierByCVE(c *bolt.Cursor, a *Alert, since time.Time) ([]uint64, error) {
	var ids []uint64
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
// has queued, in the store or in planned, deliveries not written yet), or
// 0.
func (t *Tx) receivedEarlier(candidates []uint64, chat int64, planned []newDelivery) uint64 {
	for _, id := range candidates {
		if slices.ContainsFunc(planned, func(d newDelivery) bool { return d.alert == id && d.chat == chat }) {
			return id
		}
		if d, ok, err := t.Delivery(id, chat); err == nil && ok && d.State != DeliveryFailed {
			return id
		}
	}
	return 0
}
