package store

import (
	"time"
)

// AddAck records an acknowledgement; added is false when the same person
// had already acknowledged the alert in that chat (the first time is
// kept). Notes a carries are appended to that person's earlier ones, and
// NotUsed, once set, stays set.
func (t *Tx) AddAck(a Ack) (added bool, err error) {
	key := ackKey(a.AlertID, a.ChatID, a.UserID)
	var old Ack
	found, err := t.get(bucketAcks, key, &old)
	if err != nil {
		return false, err
	}
	if found {
		old = old.upgraded()
		if len(a.Notes) == 0 && (!a.NotUsed || old.NotUsed) {
			return false, nil
		}
		old.Notes = append(old.Notes, a.Notes...)
		old.NotUsed = old.NotUsed || a.NotUsed
		return false, t.put(bucketAcks, key, &old)
	}
	a.V, a.Note = schemaVersion, ""
	if err := t.bucket(bucketOpen).Delete(deliveryKey(a.AlertID, a.ChatID)); err != nil {
		return false, err
	}
	return true, t.put(bucketAcks, key, &a)
}

// upgraded moves the single note of an older record into Notes.
func (a Ack) upgraded() Ack {
	if a.Note != "" {
		a.Notes = append([]Note{{Text: a.Note, At: a.At}}, a.Notes...)
		a.Note = ""
	}
	return a
}

// Status is where the agency that owns chat stands on alert.
func (t *Tx) Status(alert uint64, chat int64) (AckStatus, error) {
	acks, err := t.Acks(alert, chat)
	return StatusOf(acks), err
}

// Status is the agency's standing on the alert of the row.
func (r ReportRow) Status() AckStatus { return StatusOf(r.Acks) }

// SentMessage is what one message the service sent to a chat stands for.
type SentMessage struct {
	Kind     Kind      `json:"kind"`
	AlertIDs []uint64  `json:"alerts,omitempty"`
	At       time.Time `json:"at,omitzero"`
	// Notices are the notices a department message carries (several
	// merged into one), so that it can be rendered again once a request
	// in it is decided.
	Notices []Notice `json:"notices,omitempty"`
}

func messageKey(chat int64, msg int) []byte { return join(i64(chat), u64(uint64(msg))) }

// indexMessage remembers what a sent message stands for, so that a reply
// to it (or a press of its button) finds its alerts.
func (t *Tx) indexMessage(chat int64, msg int, m SentMessage) error {
	if msg == 0 || len(m.AlertIDs) == 0 {
		return nil
	}
	return t.put(bucketMessages, messageKey(chat, msg), &m)
}

// SentMessage returns what a message the service sent to chat stands for:
// a card, a digest, a reminder, a follow-up, a copied letter or a note
// prompt. ok is false for any other message. Messages sent before this
// index existed are found through their deliveries.
func (t *Tx) SentMessage(chat int64, msg int) (m SentMessage, ok bool, err error) {
	if t.bucket(bucketMessages) != nil {
		if ok, err = t.get(bucketMessages, messageKey(chat, msg), &m); ok || err != nil {
			return m, ok, err
		}
	}
	ds, err := t.DeliveryByMessage(chat, msg)
	if err != nil || len(ds) == 0 {
		return m, false, err
	}
	m.Kind = OutAlert
	if ds[0].Via == "digest" {
		m.Kind = OutDigest
	}
	for _, d := range ds {
		m.AlertIDs = append(m.AlertIDs, d.AlertID)
	}
	return m, true, nil
}

// indexNotice remembers the notices a department message carries, and,
// for a subscription request, which message shows it, so that deciding
// the request edits that message.
func (t *Tx) indexNotice(chat int64, msg int, n Notice) error {
	if msg == 0 {
		return nil
	}
	key := messageKey(chat, msg)
	var m SentMessage
	if _, err := t.get(bucketMessages, key, &m); err != nil {
		return err
	}
	m.Kind = OutNotice
	m.Notices = append(m.Notices, n)
	if err := t.put(bucketMessages, key, &m); err != nil {
		return err
	}
	if n.Event != EventSubscribeRequest {
		return nil
	}
	c, ok, err := t.Chat(n.ChatID)
	if err != nil || !ok {
		return err
	}
	c.RequestMessage = msg
	if err := t.PutChat(c); err != nil {
		return err
	}
	if c.Status == ChatPending || c.DecidedAt.IsZero() {
		return nil
	}
	// Decided while the request was on its way: show the decision.
	_, err = t.Enqueue(Outgoing{Kind: OutEdit, ChatID: chat, EditMessageID: msg, Created: c.DecidedAt})
	return err
}
