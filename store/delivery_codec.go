package store

import (
	"encoding/binary"
	"encoding/json"
)

// compactDelivery is the first byte of a delivery record stored in the
// compact binary form. An ingest writes a delivery per chat and alert and
// every sent message rewrites one, so their form weighs on both: the
// binary form is about a third of the JSON's size and several times
// cheaper to write and read. Records written before it are JSON (they
// start with '{') and are still read.
const compactDelivery byte = 0x02

// compactSentMessage is the first byte of a message index entry
// (SentMessage) in the compact form: every card sent writes one. An entry
// that carries notices stays JSON.
const compactSentMessage byte = 0x03

// appendCompact appends the compact form of m to b; ok is false when m
// carries notices or a time the binary form cannot hold.
func (m *SentMessage) appendCompact(b []byte) (_ []byte, ok bool) {
	if len(m.Notices) > 0 {
		return b, false
	}
	begin := len(b)
	b = append(b, compactSentMessage, compactFormVersion)
	b = appendString(b, string(m.Kind))
	b = binary.AppendUvarint(b, uint64(len(m.AlertIDs)))
	for _, id := range m.AlertIDs {
		b = binary.AppendUvarint(b, id)
	}
	b, err := appendTime(b, m.At)
	if err != nil {
		return b[:begin], false
	}
	return b, true
}

// decodeCompact reads the compact form of a message index entry into m.
func (m *SentMessage) decodeCompact(data []byte) error {
	r, err := openCompact(data, compactSentMessage, "message entry")
	if err != nil {
		return err
	}
	*m = SentMessage{Kind: kindOf(r.bytes()), AlertIDs: r.ids(), At: r.time()}
	return r.end("message entry")
}

// appendCompact appends the compact form of d to b; ok is false when a
// time in it has a zone offset the binary form cannot hold (then the
// record is written as JSON).
func (d *Delivery) appendCompact(b []byte) (_ []byte, ok bool) {
	begin := len(b)
	b = append(b, compactDelivery, compactFormVersion)
	b = binary.AppendUvarint(b, uint64(d.V))
	b = binary.AppendUvarint(b, d.AlertID)
	b = binary.AppendVarint(b, d.ChatID)
	b = appendString(b, string(d.State))
	b, err1 := appendTime(b, d.QueuedAt)
	b, err2 := appendTime(b, d.SentAt)
	b = binary.AppendVarint(b, int64(d.MessageID))
	b = appendString(b, d.Error)
	b, err3 := appendTime(b, d.FailedAt)
	b = appendString(b, d.Via)
	var flags byte
	if d.EditQueued {
		flags |= 1
	}
	if d.EditDirty {
		flags |= 2
	}
	b = append(b, flags)
	if err1 != nil || err2 != nil || err3 != nil {
		return b[:begin], false
	}
	return b, true
}

// decodeCompact reads the compact form of a delivery record into d.
func (d *Delivery) decodeCompact(data []byte) error {
	r, err := openCompact(data, compactDelivery, "delivery record")
	if err != nil {
		return err
	}
	*d = Delivery{V: int(r.uvarint()), AlertID: r.uvarint(), ChatID: r.varint(), State: deliveryStateOf(r.bytes())}
	d.QueuedAt = r.time()
	d.SentAt = r.time()
	d.MessageID = int(r.varint())
	d.Error = string(r.bytes())
	d.FailedAt = r.time()
	d.Via = viaOf(r.bytes())
	flags := r.byte()
	d.EditQueued, d.EditDirty = flags&1 != 0, flags&2 != 0
	return r.end("delivery record")
}

// deliveryStateOf returns the state spelled by b without an allocation
// for the known states.
func deliveryStateOf(b []byte) DeliveryState {
	for _, s := range []DeliveryState{DeliveryQueued, DeliverySent, DeliveryFailed} {
		if string(b) == string(s) {
			return s
		}
	}
	return DeliveryState(b)
}

// viaOf is deliveryStateOf for Delivery.Via.
func viaOf(b []byte) string {
	for _, s := range []string{"", "digest", "followup"} {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}

// appendCompactRecord returns the compact form of the records that have
// one (outbox entries, deliveries, message index entries), and the JSON
// of an alert written without reflection; ok is false for every other
// value, which encoding/json writes.
func appendCompactRecord(v any) (data []byte, ok bool) {
	switch r := v.(type) {
	case *Alert:
		return r.appendJSON(make([]byte, 0, 512))
	case *Outgoing:
		return r.appendCompact(make([]byte, 0, 64)) // bbolt keeps the slice: one per record
	case *Delivery:
		return r.appendCompact(make([]byte, 0, 64))
	case *SentMessage:
		return r.appendCompact(make([]byte, 0, 32))
	}
	return nil, false
}

// decodeCompactRecord decodes data into v when it is the compact form of
// v's type; handled is false when data is JSON.
func decodeCompactRecord(data []byte, v any) (handled bool, err error) {
	if len(data) == 0 {
		return false, nil
	}
	switch r := v.(type) {
	case *Outgoing:
		if data[0] == compactOutgoing {
			return true, r.decodeCompact(data)
		}
	case *Delivery:
		if data[0] == compactDelivery {
			return true, r.decodeCompact(data)
		}
	case *SentMessage:
		if data[0] == compactSentMessage {
			return true, r.decodeCompact(data)
		}
	case *slimDelivery:
		if data[0] == compactDelivery {
			var d Delivery
			err := d.decodeCompact(data)
			*r = slimDelivery{ChatID: d.ChatID, State: d.State, QueuedAt: d.QueuedAt, SentAt: d.SentAt, Error: d.Error, FailedAt: d.FailedAt}
			return true, err
		}
	}
	return false, nil
}

// readableRecord reports whether v is a JSON document or a compact record
// that decodes.
func readableRecord(v []byte) bool {
	if len(v) > 0 {
		switch v[0] {
		case compactOutgoing:
			var o Outgoing
			return o.decodeCompact(v) == nil
		case compactDelivery:
			var d Delivery
			return d.decodeCompact(v) == nil
		case compactSentMessage:
			var m SentMessage
			return m.decodeCompact(v) == nil
		}
	}
	return json.Valid(v)
}
