package store

import (
	"cmp"
	"encoding/binary"
	"slices"
	"time"
)

// fanOutWriter writes the records a fan-out queues (outbox entries,
// deliveries and their per-chat index) with few allocations: the buckets
// are looked up once, and keys and values are cut from one growing buffer.
// bbolt keeps the value slices until the commit and the change log of a
// clustered store keeps the keys, so no part of the buffer is ever written
// twice.
type fanOutWriter struct {
	t                          *Tx
	outbox, deliveries, byChat *bucket
	arena                      []byte
	// planned are the deliveries queued so far, written by flush, and
	// byChatKeys their per-chat index keys, 16 bytes each.
	planned    []newDelivery
	byChatKeys []byte
	// sorted is where flush puts planned in key order.
	sorted []newDelivery
	// one is the list of alerts of a card's entry (see single).
	one [1]uint64
}

// newDelivery is a delivery a fan-out queues: nth is the place of its
// alert in the fan-out's list, by which flush sorts.
type newDelivery struct {
	alert uint64
	chat  int64
	nth   int
	via   string
}

// bytesPerDelivery is what a queued delivery takes of the arena: the
// outbox entry's key and compact record (8 + about 45 bytes) and the
// delivery's (16 + about 45), so that the arena is not outgrown, which
// would copy it.
const bytesPerDelivery = 128

func (t *Tx) newFanOutWriter(deliveries int) *fanOutWriter {
	return &fanOutWriter{t: t, outbox: t.bucket(bucketOutbox), deliveries: t.bucket(bucketDeliveries), byChat: t.bucket(bucketByChat),
		arena: make([]byte, 0, deliveries*bytesPerDelivery), planned: make([]newDelivery, 0, deliveries), byChatKeys: make([]byte, 0, 16*deliveries)}
}

// cut returns what was appended to the arena since the last cut, as a
// slice of its own, and keeps it from being written again.
func (w *fanOutWriter) cut() []byte {
	b := w.arena[:len(w.arena):len(w.arena)]
	w.arena = w.arena[len(w.arena):]
	return b
}

// enqueue is Tx.Enqueue for a fan-out's entries. o stays on the caller's
// stack unless it needs the JSON form.
func (w *fanOutWriter) enqueue(o *Outgoing) error {
	id, err := w.outbox.NextSequence()
	if err != nil {
		return err
	}
	o.ID, o.V = id, schemaVersion
	w.arena = binary.BigEndian.AppendUint64(w.arena, id)
	key := w.cut()
	data, ok := o.appendCompact(w.arena)
	if !ok {
		j := *o
		j.AlertIDs = slices.Clone(o.AlertIDs)
		return w.t.put(bucketOutbox, key, &j)
	}
	w.arena = data
	return w.outbox.Put(key, w.cut())
}

// single returns a list of the one alert id, for an entry handed to
// enqueue before the next call: enqueue does not keep the list, so one
// list serves every card of the fan-out.
func (w *fanOutWriter) single(id uint64) []uint64 {
	w.one[0] = id
	return w.one[:]
}

// queue plans a delivery of the nth alert of the fan-out; flush writes it.
func (w *fanOutWriter) queue(alert uint64, nth int, chat int64, via string) {
	w.planned = append(w.planned, newDelivery{alert: alert, chat: chat, nth: nth, via: via})
	w.byChatKeys = binary.BigEndian.AppendUint64(w.byChatKeys, uint64(chat)^1<<63) // byChatKey
	w.byChatKeys = binary.BigEndian.AppendUint64(w.byChatKeys, alert)
}

// flush writes the planned deliveries: the per-chat index in the order
// they were planned (chat by chat), the records sorted by their key
// (alert, then chat). Written chat by chat, each record went into the
// middle of the bucket's last page, which bbolt holds in memory until the
// commit, and a fan-out cost the square of its deliveries.
func (w *fanOutWriter) flush(now time.Time) error {
	keys := w.byChatKeys
	w.byChatKeys = w.byChatKeys[len(keys):len(keys)]
	for i := range w.planned {
		if err := w.byChat.Put(keys[16*i:16*i+16:16*i+16], nil); err != nil {
			return err
		}
	}
	for _, nd := range w.keyOrder() {
		d := Delivery{V: schemaVersion, AlertID: nd.alert, ChatID: nd.chat, State: DeliveryQueued, QueuedAt: now, Via: nd.via}
		w.arena = binary.BigEndian.AppendUint64(w.arena, d.AlertID)
		w.arena = binary.BigEndian.AppendUint64(w.arena, uint64(d.ChatID)^1<<63) // deliveryKey
		key := w.cut()
		data, ok := d.appendCompact(w.arena)
		if !ok {
			j := d
			if err := w.t.put(bucketDeliveries, key, &j); err != nil {
				return err
			}
			continue
		}
		w.arena = data
		if err := w.deliveries.Put(key, w.cut()); err != nil {
			return err
		}
	}
	w.planned = w.planned[:0]
	return nil
}

// keyOrder returns the planned deliveries sorted by their key (alert,
// then chat). They were planned chat by chat, in the order of the chats'
// keys, so placing them by their alert's place in the fan-out (a counting
// sort, which keeps the chats' order) sorts them in one pass; a plan in any
// other order is sorted the slow way.
func (w *fanOutWriter) keyOrder() []newDelivery {
	byKey := func(a, b newDelivery) int {
		return cmp.Or(cmp.Compare(a.alert, b.alert), cmp.Compare(a.chat, b.chat))
	}
	n := 0
	for _, nd := range w.planned {
		n = max(n, nd.nth+1)
	}
	start := make([]int, n+1)
	for _, nd := range w.planned {
		start[nd.nth+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	w.sorted = slices.Grow(w.sorted[:0], len(w.planned))[:len(w.planned)]
	for _, nd := range w.planned {
		w.sorted[start[nd.nth]] = nd
		start[nd.nth]++
	}
	if !slices.IsSortedFunc(w.sorted, byKey) {
		slices.SortFunc(w.sorted, byKey)
	}
	return w.sorted
}

// appendFill is how full bbolt fills the pages of buckets whose new keys
// come last (outbox entries, and deliveries and alerts by increasing alert
// id) or last within their chat (the per-chat index, by chat and alert
// id): its default, half full, suits keys that arrive in any order, but
// here it would write twice the pages for the same records.
const appendFill = 0.9

// fillAppended sets appendFill on the buckets that an ingest appends to,
// for this transaction.
func (t *Tx) fillAppended() {
	for _, name := range [][]byte{bucketAlerts, bucketOutbox, bucketDeliveries, bucketByChat} {
		if b := t.tx.Bucket(name); b != nil {
			b.FillPercent = appendFill
		}
	}
}
