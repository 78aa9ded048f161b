package store

import (
	"encoding/binary"
	"sort"
	"time"
)

// Deadlines say when an unacknowledged delivery gets its reminder and
// when the department hears of it.
type Deadlines struct {
	// UrgentAfter applies to critical and high alerts, After to others.
	UrgentAfter, After time.Duration
	EscalateAfter      time.Duration
}

// RemindAfter is the reminder deadline for a severity.
func (d Deadlines) RemindAfter(s Severity) time.Duration {
	if s.Urgent() {
		return d.UrgentAfter
	}
	return d.After
}

// openEntry is the value of the open index: what the reminder scan needs
// without decoding the delivery, so that a minute's scan over a million
// unacknowledged deliveries stays cheap.
type openEntry struct {
	SentAt    time.Time
	Severity  Severity
	Reminded  bool
	Escalated bool
}

func (e openEntry) encode() []byte {
	b := make([]byte, 10)
	binary.BigEndian.PutUint64(b, uint64(e.SentAt.UnixNano()))
	b[8] = byte(e.Severity.Rank())
	if e.Reminded {
		b[9] |= 1
	}
	if e.Escalated {
		b[9] |= 2
	}
	return b
}

func decodeOpen(b []byte) openEntry {
	if len(b) < 10 {
		return openEntry{}
	}
	return openEntry{
		SentAt:    time.Unix(0, int64(binary.BigEndian.Uint64(b))),
		Severity:  Severities[len(Severities)-1-min(int(b[8]), len(Severities)-1)],
		Reminded:  b[9]&1 != 0,
		Escalated: b[9]&2 != 0,
	}
}

func (t *Tx) putOpen(alert uint64, chat int64, e openEntry) error {
	return t.bucket(bucketOpen).Put(deliveryKey(alert, chat), e.encode())
}

// QueueReminders queues, in one transaction, a reminder (a reply to the
// card) for every delivery past its reminder deadline and one escalation
// per alert to the department for deliveries past the escalation
// deadline. Each is queued once: the open index records that it was, so a
// restart does not repeat it. Returns how many messages were queued.
func (s *Store) QueueReminders(now time.Time, dl Deadlines, deptChat int64) (int, error) {
	queued := 0
	err := s.Update(func(tx *Tx) error {
		queued = 0
		type msgKey struct {
			chat int64
			msg  int
		}
		reminders := make(map[msgKey][]uint64)
		escalate := make(map[uint64][]string)
		type update struct {
			key []byte
			e   openEntry
		}
		var updates []update
		c := tx.bucket(bucketOpen).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			e := decodeOpen(v)
			age := now.Sub(e.SentAt)
			remind := !e.Reminded && age >= dl.RemindAfter(e.Severity)
			esc := !e.Escalated && dl.EscalateAfter > 0 && age >= dl.EscalateAfter
			if !remind && !esc {
				continue
			}
			alertID, chatID := readU64(k[:8]), readI64(k[8:])
			chat, _, err := tx.Chat(chatID)
			if err != nil {
				return err
			}
			chat.ID = chatID
			if chat.Status != ChatApproved {
				continue // unsubscribed or gone: nobody to remind
			}
			if remind {
				d, ok, err := tx.Delivery(alertID, chatID)
				if err != nil {
					return err
				}
				if ok && d.State == DeliverySent {
					key := msgKey{chatID, d.MessageID}
					reminders[key] = append(reminders[key], alertID)
				}
				e.Reminded = true
			}
			if esc {
				escalate[alertID] = append(escalate[alertID], chat.Name())
				e.Escalated = true
			}
			updates = append(updates, update{append([]byte(nil), k...), e})
		}
		for _, u := range updates {
			if err := tx.bucket(bucketOpen).Put(u.key, u.e.encode()); err != nil {
				return err
			}
		}
		for key, ids := range reminders {
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			if _, err := tx.Enqueue(Outgoing{Kind: OutReminder, ChatID: key.chat, AlertIDs: ids, ReplyTo: key.msg, Created: now}); err != nil {
				return err
			}
			queued++
		}
		if deptChat == 0 {
			return nil
		}
		ids := make([]uint64, 0, len(escalate))
		for id := range escalate {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			a, err := tx.Alert(id)
			if err != nil {
				return err
			}
			names := escalate[id]
			sort.Strings(names)
			if err := tx.Notify(deptChat, Notice{Event: EventEscalation, AlertIDs: []uint64{id}, Agencies: names,
				Source: a.Title, Detail: dl.EscalateAfter.String(), At: now}, false); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	return queued, err
}

// Overdue is one agency's unacknowledged alerts past their reminder time.
type Overdue struct {
	Chat   Chat
	Alerts []uint64
	// Oldest is the time the oldest of them was delivered.
	Oldest time.Time
}

// OverdueChats lists agencies with alerts past their reminder deadline,
// worst first: most alerts, then oldest.
func (t *Tx) OverdueChats(now time.Time, dl Deadlines) ([]Overdue, error) {
	by := make(map[int64]*Overdue)
	c := t.bucket(bucketOpen).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		e := decodeOpen(v)
		if now.Sub(e.SentAt) < dl.RemindAfter(e.Severity) {
			continue
		}
		alertID, chatID := readU64(k[:8]), readI64(k[8:])
		o := by[chatID]
		if o == nil {
			chat, _, err := t.Chat(chatID)
			if err != nil {
				return nil, err
			}
			chat.ID = chatID
			if chat.Status != ChatApproved {
				continue // unsubscribed or gone: not overdue, just away
			}
			o = &Overdue{Chat: chat, Oldest: e.SentAt}
			by[chatID] = o
		}
		o.Alerts = append(o.Alerts, alertID)
		if e.SentAt.Before(o.Oldest) {
			o.Oldest = e.SentAt
		}
	}
	out := make([]Overdue, 0, len(by))
	for _, o := range by {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Alerts) != len(out[j].Alerts) {
			return len(out[i].Alerts) > len(out[j].Alerts)
		}
		return out[i].Oldest.Before(out[j].Oldest)
	})
	return out, nil
}
