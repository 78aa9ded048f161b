package store

import (
	"encoding/binary"
	"fmt"
	"sort"
	"time"
)

var (
	keyOffset   = []byte("offset")
	keyOffsetAt = []byte("offset_at")
)

// Offset is the id of the last Telegram update whose handling committed,
// and when it was recorded.
func (t *Tx) Offset() (id int, at time.Time) {
	meta := t.bucket(bucketMeta)
	if v := meta.Get(keyOffset); len(v) == 8 {
		id = int(binary.BigEndian.Uint64(v))
	}
	if v := meta.Get(keyOffsetAt); len(v) == 8 {
		at = time.Unix(0, int64(binary.BigEndian.Uint64(v)))
	}
	return id, at
}

// SetOffset records an update as handled, in the same transaction as what
// handling it changed, so that a restart never applies it twice. It may
// go down: after a week without updates Telegram numbers the next one at
// random.
func (t *Tx) SetOffset(updateID int, at time.Time) error {
	meta := t.bucket(bucketMeta)
	if err := meta.Put(keyOffset, u64(uint64(updateID))); err != nil {
		return err
	}
	return meta.Put(keyOffsetAt, u64(uint64(at.UnixNano())))
}

// Chat returns the chat with id; ok is false when it was never seen.
func (t *Tx) Chat(id int64) (c Chat, ok bool, err error) {
	ok, err = t.get(bucketChats, i64(id), &c)
	return c, ok, err
}

// PutChat writes a chat.
func (t *Tx) PutChat(c Chat) error {
	c.V = schemaVersion
	return t.put(bucketChats, i64(c.ID), &c)
}

// Chats returns every chat, ordered by id.
func (t *Tx) Chats() ([]Chat, error) {
	var out []Chat
	err := each(t, bucketChats, nil, func(_ []byte, c *Chat) error {
		out = append(out, *c)
		return nil
	})
	return out, err
}

// Alert returns the alert with id, or ErrNotFound.
func (t *Tx) Alert(id uint64) (Alert, error) {
	var a Alert
	ok, err := t.get(bucketAlerts, u64(id), &a)
	if err == nil && !ok {
		err = fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	return a, err
}

// LastAlertID is the number of the newest alert, 0 when there is none.
func (t *Tx) LastAlertID() uint64 {
	k, _ := t.bucket(bucketAlerts).Cursor().Last()
	if k == nil {
		return 0
	}
	return readU64(k)
}

// RecentAlerts returns up to n alerts, newest first.
func (t *Tx) RecentAlerts(n int) ([]Alert, error) {
	var out []Alert
	c := t.bucket(bucketAlerts).Cursor()
	for k, _ := c.Last(); k != nil && len(out) < n; k, _ = c.Prev() {
		a, err := t.Alert(readU64(k))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// PutAlert writes an existing alert back (an edited advisory).
func (t *Tx) PutAlert(a Alert) error {
	a.V = schemaVersion
	return t.put(bucketAlerts, u64(a.ID), &a)
}

// addAlert numbers and stores a new alert and indexes its CVE ids.
func (t *Tx) addAlert(a *Alert) error {
	id, err := t.bucket(bucketAlerts).NextSequence()
	if err != nil {
		return err
	}
	a.ID = id
	if err := t.PutAlert(*a); err != nil {
		return err
	}
	for _, cve := range a.CVEs {
		if err := t.bucket(bucketCVEs).Put(join([]byte(cve), []byte{0}, u64(id)), nil); err != nil {
			return err
		}
	}
	return nil
}

// Delivery returns the delivery of alert to chat; ok is false when the
// alert was never queued for that chat.
func (t *Tx) Delivery(alert uint64, chat int64) (d Delivery, ok bool, err error) {
	ok, err = t.get(bucketDeliveries, deliveryKey(alert, chat), &d)
	return d, ok, err
}

// PutDelivery writes a delivery and its per-chat index entry.
func (t *Tx) PutDelivery(d Delivery) error {
	d.V = schemaVersion
	if err := t.put(bucketDeliveries, deliveryKey(d.AlertID, d.ChatID), &d); err != nil {
		return err
	}
	return t.bucket(bucketByChat).Put(byChatKey(d.ChatID, d.AlertID), nil)
}

// Deliveries returns every delivery of an alert, ordered by chat id.
func (t *Tx) Deliveries(alert uint64) ([]Delivery, error) {
	var out []Delivery
	err := each(t, bucketDeliveries, u64(alert), func(_ []byte, d *Delivery) error {
		out = append(out, *d)
		return nil
	})
	return out, err
}

// ChatDeliveries returns the deliveries to one chat, oldest alert first.
func (t *Tx) ChatDeliveries(chat int64) ([]Delivery, error) {
	var out []Delivery
	c := t.bucket(bucketByChat).Cursor()
	prefix := i64(chat)
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		d, ok, err := t.Delivery(readU64(k[8:]), chat)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// DeliveryByMessage finds the alerts a chat's message carries (one card,
// or all the alerts of a digest).
func (t *Tx) DeliveryByMessage(chat int64, messageID int) ([]Delivery, error) {
	all, err := t.ChatDeliveries(chat)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	for _, d := range all {
		if d.MessageID == messageID && d.State == DeliverySent {
			out = append(out, d)
		}
	}
	return out, nil
}

// Acks returns the acknowledgements of an alert in one chat, earliest
// first.
func (t *Tx) Acks(alert uint64, chat int64) ([]Ack, error) {
	return t.acks(join(u64(alert), i64(chat)))
}

// AlertAcks returns every acknowledgement of an alert, grouped by chat.
func (t *Tx) AlertAcks(alert uint64) (map[int64][]Ack, error) {
	list, err := t.acks(u64(alert))
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]Ack)
	for _, a := range list {
		out[a.ChatID] = append(out[a.ChatID], a)
	}
	return out, nil
}

func (t *Tx) acks(prefix []byte) ([]Ack, error) {
	var out []Ack
	err := each(t, bucketAcks, prefix, func(_ []byte, a *Ack) error {
		out = append(out, a.upgraded())
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, err
}

// Acked reports whether anyone in chat acknowledged alert.
func (t *Tx) Acked(alert uint64, chat int64) bool {
	prefix := join(u64(alert), i64(chat))
	k, _ := t.bucket(bucketAcks).Cursor().Seek(prefix)
	return k != nil && hasPrefix(k, prefix)
}

// Enqueue adds a message to the outbox and returns its id.
func (t *Tx) Enqueue(o Outgoing) (uint64, error) {
	id, err := t.bucket(bucketOutbox).NextSequence()
	if err != nil {
		return 0, err
	}
	o.ID, o.V = id, schemaVersion
	if o.Created.IsZero() {
		o.Created = time.Now()
	}
	return id, t.put(bucketOutbox, u64(id), &o)
}

// Outgoing returns the outbox entry with id.
func (t *Tx) Outgoing(id uint64) (o Outgoing, ok bool, err error) {
	ok, err = t.get(bucketOutbox, u64(id), &o)
	return o, ok, err
}

// Outbox returns every entry in the outbox, oldest first.
func (t *Tx) Outbox() ([]Outgoing, error) {
	var out []Outgoing
	err := t.EachOutgoing(func(o *Outgoing) error {
		out = append(out, *o)
		return nil
	})
	return out, err
}

// EachOutgoing calls fn with every queued entry in the order of Outbox,
// without a copy of the whole queue: the sender reads a queue of
// thousands at every start, and growing one slice of them cost more than
// decoding them. o is reused for the next entry (see each), so fn copies
// what it keeps; fn must not change the outbox.
func (t *Tx) EachOutgoing(fn func(o *Outgoing) error) error {
	return each(t, bucketOutbox, nil, func(_ []byte, o *Outgoing) error { return fn(o) })
}

func (t *Tx) putOutgoing(o Outgoing) error {
	t.outboxRewritten = true
	return t.put(bucketOutbox, u64(o.ID), &o)
}

func (t *Tx) dropOutgoing(id uint64) error {
	t.outboxRewritten = true
	return t.bucket(bucketOutbox).Delete(u64(id))
}

// Notify queues a notice for the department chat. A zero chat (no
// department chat configured) drops it: there is nobody to tell.
func (t *Tx) Notify(deptChat int64, n Notice, urgent bool) error {
	if deptChat == 0 {
		return nil
	}
	if n.At.IsZero() {
		n.At = time.Now()
	}
	_, err := t.Enqueue(Outgoing{Kind: OutNotice, ChatID: deptChat, Notice: &n, Urgent: urgent, Created: n.At})
	return err
}

// Reply queues a prepared HTML message for a chat.
func (t *Tx) Reply(chat int64, replyTo int, html string, buttons ...[]Button) error {
	_, err := t.Enqueue(Outgoing{Kind: OutText, ChatID: chat, ReplyTo: replyTo, Text: html, Buttons: buttons})
	return err
}

// Answer queues a prepared HTML reply to a person's command. user lets
// the sender merge several answers to that person into one message; staff
// puts answers to department staff ahead of routine messages.
func (t *Tx) Answer(chat, user int64, staff bool, replyTo int, html string) error {
	_, err := t.Enqueue(Outgoing{Kind: OutText, ChatID: chat, ReplyTo: replyTo, Text: html, User: user, Staff: staff})
	return err
}

// Source returns the stored source with name.
func (t *Tx) Source(name string) (s Source, ok bool, err error) {
	ok, err = t.get(bucketSources, []byte(name), &s)
	return s, ok, err
}

// PutSource writes a source.
func (t *Tx) PutSource(s Source) error {
	s.V = schemaVersion
	return t.put(bucketSources, []byte(s.Name), &s)
}

// DeleteSource removes a source; its alerts stay.
func (t *Tx) DeleteSource(name string) error { return t.bucket(bucketSources).Delete([]byte(name)) }

// Sources returns every source, ordered by name.
func (t *Tx) Sources() ([]Source, error) {
	var out []Source
	err := each(t, bucketSources, nil, func(_ []byte, s *Source) error {
		out = append(out, *s)
		return nil
	})
	return out, err
}

// Audit records an admin action.
func (t *Tx) Audit(e AuditEntry) error {
	id, err := t.bucket(bucketAudit).NextSequence()
	if err != nil {
		return err
	}
	e.ID, e.V = id, schemaVersion
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return t.put(bucketAudit, u64(id), &e)
}

// AuditLog returns up to n audit entries, newest first.
func (t *Tx) AuditLog(n int) ([]AuditEntry, error) {
	var out []AuditEntry
	c := t.bucket(bucketAudit).Cursor()
	for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
		var e AuditEntry
		if err := jsonDecode(v, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
