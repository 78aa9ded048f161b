package store

import (
	"encoding/binary"
	"maps"
	"slices"
	"sort"
	"strings"
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

// gatherWithin is how early an alert may be reminded along with another
// alert of the same chat that is due: a quarter of its deadline, at most
// an hour.
func gatherWithin(after time.Duration) time.Duration { return min(after/4, time.Hour) }

func (t *Tx) putOpen(alert uint64, chat int64, e openEntry) error {
	return t.bucket(bucketOpen).Put(deliveryKey(alert, chat), e.encode())
}

// QueueReminders queues, in one transaction, one reminder per chat
// listing its deliveries past their reminder deadline (a reply to the card
// when they share one message), and one escalation
// per alert to the department once a delivery of it passes the escalation
// deadline. The escalation names every approved agency that has not
// acknowledged the alert by then, even those it reached a few minutes
// later (a large fan-out is paced), so that an alert escalates once rather
// than once per scan. Each is queued once: the open index records that it
// was, so a restart does not repeat it. Returns how many messages were
// queued.
func (s *Store) QueueReminders(now time.Time, dl Deadlines, deptChat int64) (int, error) {
	queued := 0
	err := s.Update(func(tx *Tx) error {
		queued = 0
		sc := reminderScan{tx: tx, chats: make(map[int64]Chat), updates: make(map[string]openEntry)}
		// One reminder per chat per round, whatever the number of its
		// overdue alerts: chat → alerts, and the messages that carried
		// them.
		reminders := make(map[int64][]uint64)
		cards := make(map[int64]map[int]bool)
		var escalate []uint64 // alerts with an entry past the escalation deadline
		// Chats with a reminder due also get, in the same message, their
		// alerts that would fall due soon, rather than a second reminder
		// minutes later.
		due := make(map[int64]bool)
		c := tx.bucket(bucketOpen).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if e := decodeOpen(v); !e.Reminded && now.Sub(e.SentAt) >= dl.RemindAfter(e.Severity) {
				due[readI64(k[8:])] = true
			}
		}
		for k, v := c.First(); k != nil; k, v = c.Next() {
			e := decodeOpen(v)
			age := now.Sub(e.SentAt)
			after := dl.RemindAfter(e.Severity)
			remind := !e.Reminded && (age >= after || due[readI64(k[8:])] && age >= after-gatherWithin(after))
			esc := !e.Escalated && dl.EscalateAfter > 0 && age >= dl.EscalateAfter
			if !remind && !esc {
				continue
			}
			alertID, chatID := readU64(k[:8]), readI64(k[8:])
			chat, err := sc.chat(chatID)
			if err != nil {
				return err
			}
			if chat.Status != ChatApproved {
				// Unsubscribed or gone: nobody to remind. The deadlines
				// are spent, so that restoring the chat weeks later does
				// not bring reminders and escalations for old alerts.
				e.Reminded, e.Escalated = true, true
				sc.updates[string(k)] = e
				continue
			}
			if remind {
				d, ok, err := tx.Delivery(alertID, chatID)
				if err != nil {
					return err
				}
				if ok && d.State == DeliverySent {
					reminders[chatID] = append(reminders[chatID], alertID)
					if cards[chatID] == nil {
						cards[chatID] = make(map[int]bool)
					}
					cards[chatID][d.MessageID] = true
				}
				e.Reminded = true
				sc.updates[string(k)] = e
			}
			if esc && (len(escalate) == 0 || escalate[len(escalate)-1] != alertID) {
				escalate = append(escalate, alertID) // keys sort by alert id
			}
		}
		var escalations []Escalation
		for _, id := range escalate {
			contacts, err := sc.escalate(id)
			if err != nil {
				return err
			}
			if len(contacts) == 0 {
				continue
			}
			a, err := tx.Alert(id)
			if err != nil {
				return err
			}
			escalations = append(escalations, Escalation{AlertID: id, Title: a.Title, Severity: a.Severity, Agencies: contacts})
		}
		for _, k := range slices.Sorted(maps.Keys(sc.updates)) {
			if err := tx.bucket(bucketOpen).Put([]byte(k), sc.updates[k].encode()); err != nil {
				return err
			}
		}
		for _, chat := range slices.Sorted(maps.Keys(reminders)) {
			ids := reminders[chat]
			slices.Sort(ids)
			replyTo := 0 // alerts of several messages: the reminder stands alone
			if len(cards[chat]) == 1 {
				for msg := range cards[chat] {
					replyTo = msg // one card or one digest: reply to it
				}
			}
			if _, err := tx.Enqueue(Outgoing{Kind: OutReminder, ChatID: chat, AlertIDs: ids, ReplyTo: replyTo, Created: now}); err != nil {
				return err
			}
			queued++
		}
		if deptChat == 0 {
			return nil
		}
		if len(escalations) > 0 {
			// One notice per round: the department reads one message.
			if err := tx.Notify(deptChat, Notice{Event: EventEscalation, Escalations: escalations,
				After: dl.EscalateAfter, At: now}, false); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	return queued, err
}

// reminderScan is the state of one QueueReminders transaction: the chats
// it looked up and the open entries it changed, written back once the
// cursors are done (bbolt cursors must not walk a bucket being written).
type reminderScan struct {
	tx      *Tx
	chats   map[int64]Chat
	updates map[string]openEntry // open key → new value
}

func (sc *reminderScan) chat(id int64) (Chat, error) {
	if c, ok := sc.chats[id]; ok {
		return c, nil
	}
	c, _, err := sc.tx.Chat(id)
	if err != nil {
		return Chat{}, err
	}
	c.ID = id
	sc.chats[id] = c
	return c, nil
}

// escalate marks escalated every open entry of an alert that belongs to
// an approved chat and was not escalated yet, whatever its age, and
// returns the contacts of those chats, sorted by agency.
func (sc *reminderScan) escalate(alertID uint64) ([]Contact, error) {
	var out []Contact
	prefix := u64(alertID)
	c := sc.tx.bucket(bucketOpen).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		e, changed := sc.updates[string(k)]
		if !changed {
			e = decodeOpen(v)
		}
		if e.Escalated {
			continue
		}
		chat, err := sc.chat(readI64(k[8:]))
		if err != nil {
			return nil, err
		}
		if chat.Status != ChatApproved {
			continue // its own deadline decides, as for any away chat
		}
		e.Escalated = true
		sc.updates[string(k)] = e
		out = append(out, ContactOf(chat))
	}
	slices.SortFunc(out, func(a, b Contact) int { return strings.Compare(a.Agency, b.Agency) })
	return out, nil
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
