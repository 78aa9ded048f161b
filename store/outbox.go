package store

import (
	"fmt"
	"slices"
	"time"
)

// Status is what became of one attempt to send an outbox entry.
type Status int

// The statuses a sender reports.
const (
	// Sent: Telegram accepted the message.
	Sent Status = iota + 1
	// Retry: try again at RetryAt (flood limit, network fault, 5xx).
	Retry
	// Failed: permanent; the entry is dropped and deliveries fail.
	Failed
	// Gone: the chat no longer takes messages (bot removed, chat deleted).
	Gone
	// Migrated: the group became a supergroup with id MigrateTo.
	Migrated
)

// Result is the outcome of one outbox entry, reported by the sender.
type Result struct {
	ID        uint64
	Status    Status
	At        time.Time
	MessageID int
	// Error is Telegram's or the network's reason, for every status but
	// Sent.
	Error     string
	RetryAt   time.Time
	MigrateTo int64
	// Plain asks for the next attempt without HTML.
	Plain bool
}

// Complete records a batch of send results in one transaction, so that a
// fan-out to a thousand groups costs a handful of disk syncs. deptChat is
// told of failures.
func (s *Store) Complete(deptChat int64, results []Result) error {
	return s.Update(func(tx *Tx) error {
		sev := make(severities)
		for _, r := range results {
			if err := tx.complete(deptChat, r, sev); err != nil {
				return fmt.Errorf("store: complete %d: %w", r.ID, err)
			}
		}
		// The entries it changed are the sender's own, settled in its
		// memory too, and belong to chats with nothing else in flight.
		tx.outboxRewritten = false
		return nil
	})
}

// severities remembers the severity of the alerts a batch of outcomes
// read: a fan-out's batch is mostly one alert to many chats.
type severities map[uint64]Severity

func (t *Tx) severity(id uint64, known severities) (Severity, error) {
	if s, ok := known[id]; ok {
		return s, nil
	}
	a, err := t.Alert(id)
	if err != nil {
		return "", err
	}
	known[id] = a.Severity
	return a.Severity, nil
}

func (t *Tx) complete(deptChat int64, r Result, sev severities) error {
	o, ok, err := t.Outgoing(r.ID)
	if err != nil || !ok {
		return err // already settled, e.g. its chat went away meanwhile
	}
	switch r.Status {
	case Sent:
		return t.settleSent(o, r, sev)
	case Retry:
		o.Attempts++
		o.NotBefore, o.LastError = r.RetryAt, r.Error
		o.Plain = o.Plain || r.Plain
		return t.putOutgoing(o)
	case Failed:
		if err := t.dropOutgoing(o.ID); err != nil {
			return err
		}
		return t.failEntry(deptChat, o, r.Error, r.At)
	case Gone:
		return t.chatGone(deptChat, o.ChatID, r.Error, r.At)
	case Migrated:
		if err := t.MigrateChat(deptChat, o.ChatID, r.MigrateTo, r.At); err != nil {
			return err
		}
		o.ChatID, o.LastError = r.MigrateTo, r.Error
		return t.putOutgoing(o)
	}
	return fmt.Errorf("unknown status %d", r.Status)
}

// editDelay is how long a card edit queued by settling another send
// waits, so that acknowledgements arriving in the same moment share it.
const editDelay = 2 * time.Second

func (t *Tx) settleSent(o Outgoing, r Result, sev severities) error {
	if err := t.dropOutgoing(o.ID); err != nil {
		return err
	}
	switch {
	case o.Kind == OutNotice && o.Notice != nil:
		if err := t.indexNotice(o.ChatID, r.MessageID, *o.Notice); err != nil {
			return err
		}
	case o.Kind != OutEdit:
		if err := t.indexMessage(o.ChatID, r.MessageID, SentMessage{Kind: o.Kind, AlertIDs: o.AlertIDs, At: r.At}); err != nil {
			return err
		}
	}
	switch {
	case o.Kind.Delivers():
		ds, err := t.entryDeliveries(o)
		if err != nil {
			return err
		}
		// An acknowledgement that came while the card was in flight found
		// no message to edit: the card may not show it, so edit it now.
		dirty := r.MessageID != 0 && slices.ContainsFunc(ds, func(d Delivery) bool { return d.EditDirty })
		for _, d := range ds {
			d.State, d.SentAt, d.MessageID, d.Error = DeliverySent, r.At, r.MessageID, ""
			d.EditDirty, d.EditQueued = false, dirty
			if err := t.updateDelivery(d); err != nil {
				return err
			}
			if !t.Acked(d.AlertID, o.ChatID) {
				severity, err := t.severity(d.AlertID, sev)
				if err != nil {
					return err
				}
				if err := t.putOpen(d.AlertID, o.ChatID, openEntry{SentAt: r.At, Severity: severity}); err != nil {
					return err
				}
			}
		}
		if dirty {
			return t.queueEdit(o.ChatID, r.MessageID, o.AlertIDs, r.At)
		}
	case o.Kind == OutEdit:
		ds, err := t.entryDeliveries(o)
		if err != nil {
			return err
		}
		// An acknowledgement that came while this edit was queued may be
		// missing from it: one more edit shows it.
		dirty := slices.ContainsFunc(ds, func(d Delivery) bool { return d.EditDirty })
		for _, d := range ds {
			d.EditDirty, d.EditQueued = false, dirty
			if err := t.updateDelivery(d); err != nil {
				return err
			}
		}
		if dirty {
			return t.queueEdit(o.ChatID, o.EditMessageID, o.AlertIDs, r.At)
		}
	}
	return nil
}

// updateDelivery writes back a delivery read in this transaction: its
// per-chat index entry is there already.
func (t *Tx) updateDelivery(d Delivery) error {
	d.V = schemaVersion
	return t.put(bucketDeliveries, deliveryKey(d.AlertID, d.ChatID), &d)
}

// entryDeliveries returns the deliveries of the alerts an entry carries
// to its chat. An alert with no delivery (which should not happen) is
// skipped so that it does not hold the others back.
func (t *Tx) entryDeliveries(o Outgoing) ([]Delivery, error) {
	out := make([]Delivery, 0, len(o.AlertIDs))
	for _, id := range o.AlertIDs {
		d, ok, err := t.Delivery(id, o.ChatID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// queueEdit queues an edit of a card that was sent or edited at `at`.
func (t *Tx) queueEdit(chat int64, messageID int, alerts []uint64, at time.Time) error {
	_, err := t.Enqueue(Outgoing{Kind: OutEdit, ChatID: chat, AlertIDs: alerts, EditMessageID: messageID,
		Created: at, NotBefore: at.Add(editDelay)})
	return err
}

// clearEdit forgets a pending edit of the entry's card: the edit failed
// or was cancelled, and the card is not retried.
func (t *Tx) clearEdit(o Outgoing) error {
	ds, err := t.entryDeliveries(o)
	if err != nil {
		return err
	}
	for _, d := range ds {
		d.EditQueued, d.EditDirty = false, false
		if err := t.PutDelivery(d); err != nil {
			return err
		}
	}
	return nil
}

// failEntry marks what a dropped entry carried as failed and, for alerts
// to an approved chat (a real delivery failure), tells the department. A
// dropped edit forgets the card's pending edit.
func (t *Tx) failEntry(deptChat int64, o Outgoing, reason string, at time.Time) error {
	switch {
	case o.Kind == OutEdit:
		return t.clearEdit(o)
	case !o.Kind.Delivers():
		return nil
	}
	for _, id := range o.AlertIDs {
		d, ok, err := t.Delivery(id, o.ChatID)
		if err != nil {
			return err
		}
		if !ok || d.State != DeliveryQueued {
			continue
		}
		d.State, d.Error, d.FailedAt, d.EditDirty = DeliveryFailed, reason, at, false
		if err := t.PutDelivery(d); err != nil {
			return err
		}
	}
	c, _, err := t.Chat(o.ChatID)
	if err != nil {
		return err
	}
	if c.Status != ChatApproved {
		// Gone: the department was told when the chat went away.
		// Unsubscribed or rejected: the queue was cancelled on purpose,
		// and the department was told once of that.
		return nil
	}
	return t.Notify(deptChat, Notice{Event: EventDeliveryFailed, ChatID: o.ChatID, Agency: c.Name(),
		AlertIDs: o.AlertIDs, Detail: reason, At: at}, true)
}

// CancelQueued drops every outbox entry for chat and marks what they
// carried as failed with reason. Returns how many entries were dropped.
func (t *Tx) CancelQueued(deptChat int64, chat int64, reason string, at time.Time) (int, error) {
	all, err := t.Outbox()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range all {
		if o.ChatID != chat {
			continue
		}
		if err := t.dropOutgoing(o.ID); err != nil {
			return n, err
		}
		if o.Kind.Delivers() || o.Kind == OutEdit {
			if err := t.failEntry(deptChat, o, reason, at); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// chatGone retires a chat Telegram will not deliver to, keeping its
// subscription and history so that /subscribe can restore it. The
// department is told once.
func (t *Tx) chatGone(deptChat, chatID int64, reason string, at time.Time) error {
	c, known, err := t.Chat(chatID)
	if err != nil {
		return err
	}
	changed := known && c.Status != ChatGone
	if changed {
		c.GoneFrom, c.Status, c.GoneReason, c.GoneAt = c.Status, ChatGone, reason, at
		if err := t.PutChat(c); err != nil {
			return err
		}
	}
	if _, err := t.CancelQueued(deptChat, chatID, reason, at); err != nil {
		return err
	}
	if !changed || chatID == deptChat {
		return nil
	}
	return t.Notify(deptChat, Notice{Event: EventChatGone, ChatID: chatID, Agency: c.Name(), Detail: reason, At: at}, true)
}

// ChatGone is chatGone for the update handlers (my_chat_member removal).
func (t *Tx) ChatGone(deptChat, chatID int64, reason string, at time.Time) error {
	return t.chatGone(deptChat, chatID, reason, at)
}

// MigrateChat moves a group's subscription, history and queue to the id of
// the supergroup Telegram upgraded it to. It is idempotent: the service
// message and a failed send may both report the same migration.
func (t *Tx) MigrateChat(deptChat, from, to int64, at time.Time) error {
	if from == to || to == 0 {
		return nil
	}
	old, ok, err := t.Chat(from)
	if err != nil {
		return err
	}
	if ok && old.MigratedTo == 0 {
		moved, exists, err := t.Chat(to)
		if err != nil {
			return err
		}
		if !exists || moved.Status != ChatApproved {
			moved = old
			moved.ID, moved.MigratedTo = to, 0
		}
		if err := t.PutChat(moved); err != nil {
			return err
		}
		old.MigratedTo = to
		old.Status = ChatUnsubscribed
		if err := t.PutChat(old); err != nil {
			return err
		}
		if err := t.moveHistory(from, to); err != nil {
			return err
		}
		if err := t.Notify(deptChat, Notice{Event: EventMigrated, ChatID: to, Agency: moved.Name(),
			Detail: fmt.Sprint(from), At: at}, false); err != nil {
			return err
		}
	}
	all, err := t.Outbox()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ChatID == from {
			o.ChatID = to
			if err := t.putOutgoing(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// moveHistory re-keys a chat's deliveries and acknowledgements.
func (t *Tx) moveHistory(from, to int64) error {
	ds, err := t.ChatDeliveries(from)
	if err != nil {
		return err
	}
	for _, d := range ds {
		acks, err := t.Acks(d.AlertID, from)
		if err != nil {
			return err
		}
		for _, a := range acks {
			if err := t.bucket(bucketAcks).Delete(ackKey(a.AlertID, from, a.UserID)); err != nil {
				return err
			}
			a.ChatID = to
			if err := t.put(bucketAcks, ackKey(a.AlertID, to, a.UserID), &a); err != nil {
				return err
			}
		}
		if err := t.bucket(bucketDeliveries).Delete(deliveryKey(d.AlertID, from)); err != nil {
			return err
		}
		if err := t.bucket(bucketByChat).Delete(byChatKey(from, d.AlertID)); err != nil {
			return err
		}
		if v := t.bucket(bucketOpen).Get(deliveryKey(d.AlertID, from)); v != nil {
			v = append([]byte(nil), v...)
			if err := t.bucket(bucketOpen).Delete(deliveryKey(d.AlertID, from)); err != nil {
				return err
			}
			if err := t.bucket(bucketOpen).Put(deliveryKey(d.AlertID, to), v); err != nil {
				return err
			}
		}
		d.ChatID = to
		if err := t.PutDelivery(d); err != nil {
			return err
		}
	}
	return nil
}

// OutboxSeq is the id of the newest entry ever queued. The sender compares
// it before and after recording outcomes to learn whether recording them
// queued new messages.
func (s *Store) OutboxSeq() uint64 {
	var seq uint64
	_ = s.View(func(tx *Tx) error {
		seq = tx.bucket(bucketOutbox).Sequence()
		return nil
	})
	return seq
}
