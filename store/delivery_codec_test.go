package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDeliveryForms writes deliveries through PutDelivery and reads them
// back: every field survives the compact form, which is much smaller than
// the JSON one.
func TestDeliveryForms(t *testing.T) {
	hanoi := time.FixedZone("", 7*3600) // as both forms read a zone back: its offset
	at := time.Date(2026, 11, 29, 19, 4, 5, 123456789, hanoi)
	tests := []struct {
		name string
		d    Delivery
	}{
		{"queued", Delivery{AlertID: 42, ChatID: -1001234567890, State: DeliveryQueued, QueuedAt: at}},
		{"sent by digest, edit pending", Delivery{AlertID: 1 << 40, ChatID: 7, State: DeliverySent, QueuedAt: at,
			SentAt: at.Add(time.Second).UTC(), MessageID: 123456, Via: "digest", EditQueued: true, EditDirty: true}},
		{"failed follow-up", Delivery{AlertID: 3, ChatID: -5, State: DeliveryFailed, QueuedAt: at, FailedAt: at.Add(time.Hour),
			Error: "403 Forbidden: bot was kicked — nhóm đã xoá bot", Via: "followup"}},
		{"unknown state and route", Delivery{AlertID: 3, ChatID: -6, State: "later", Via: "letter", QueuedAt: at}},
	}
	s := openTest(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw []byte
			must(t, s.Update(func(tx *Tx) error {
				if err := tx.PutDelivery(tt.d); err != nil {
					return err
				}
				raw = append(raw, tx.bucket(bucketDeliveries).Get(deliveryKey(tt.d.AlertID, tt.d.ChatID))...)
				return nil
			}))
			if raw[0] != compactDelivery {
				t.Fatalf("stored %q, not the compact form", raw)
			}
			js, _ := json.Marshal(tt.d)
			if len(raw) >= len(js)/2 {
				t.Errorf("compact record is %d bytes, JSON %d: not compact", len(raw), len(js))
			}
			var got Delivery
			var ok bool
			must(t, s.View(func(tx *Tx) (err error) { got, ok, err = tx.Delivery(tt.d.AlertID, tt.d.ChatID); return err }))
			want := tt.d
			want.V = schemaVersion
			if !ok || !reflect.DeepEqual(got, want) || !got.QueuedAt.Equal(at) {
				t.Errorf("read back\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// TestDeliveryReadsJSONRecords: a database written before the compact
// form holds JSON deliveries; they are read, listed, settled and pass the
// full check beside compact ones.
func TestDeliveryReadsJSONRecords(t *testing.T) {
	s := openTest(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := Delivery{V: 1, AlertID: 1, ChatID: -3, State: DeliverySent, QueuedAt: at, SentAt: at, MessageID: 9}
	must(t, s.Update(func(tx *Tx) error {
		data, err := json.Marshal(old) // the form every delivery had before
		if err != nil {
			return err
		}
		if err := tx.bucket(bucketDeliveries).Put(deliveryKey(1, -3), data); err != nil {
			return err
		}
		if err := tx.bucket(bucketByChat).Put(byChatKey(-3, 1), nil); err != nil {
			return err
		}
		return tx.PutDelivery(Delivery{AlertID: 1, ChatID: -4, State: DeliveryQueued, QueuedAt: at})
	}))
	var all []Delivery
	var byChat []Delivery
	must(t, s.View(func(tx *Tx) (err error) {
		if all, err = tx.Deliveries(1); err != nil {
			return err
		}
		byChat, err = tx.ChatDeliveries(-3)
		return err
	}))
	if len(all) != 2 || !reflect.DeepEqual(all[1], old) || all[0].ChatID != -4 || len(byChat) != 1 || !reflect.DeepEqual(byChat[0], old) {
		t.Fatalf("deliveries = %+v, by chat %+v", all, byChat)
	}
	// The dashboard's own reader too.
	var st []Standing
	must(t, s.View(func(tx *Tx) (err error) { st, err = tx.Standings(1); return err }))
	if len(st) != 2 || st[0].ChatID != -4 || st[0].State != DeliveryQueued || st[1].ChatID != -3 || st[1].State != DeliverySent || !st[1].SentAt.Equal(at) {
		t.Fatalf("standings = %+v", st)
	}
	path := s.Path()
	must(t, s.Close())
	if err := Check(path); err != nil {
		t.Fatalf("full check of JSON and compact deliveries: %v", err)
	}
}

// TestCompactDeliveryDamage: a damaged compact record is an error, never a
// half-read delivery, and the full check finds it.
func TestCompactDeliveryDamage(t *testing.T) {
	d := Delivery{V: 1, AlertID: 3, ChatID: -1, State: DeliveryFailed, QueuedAt: time.Now(), Error: "x", Via: "digest"}
	data, ok := d.appendCompact(nil)
	if !ok {
		t.Fatal("no compact form")
	}
	damagedCompact(t, data, func(b []byte) error { var got Delivery; return got.decodeCompact(b) })
}

// damagedCompact checks that every cut of a compact record, a trailing
// byte and an unknown version are errors (and fail the full check),
// never a half-read record.
func damagedCompact(t *testing.T, data []byte, decode func([]byte) error) {
	t.Helper()
	for n := range len(data) {
		if err := decode(data[:n]); err == nil {
			t.Errorf("%d of %d bytes decoded without error", n, len(data))
		}
		if readableRecord(data[:n]) {
			t.Errorf("%d of %d bytes pass the check", n, len(data))
		}
	}
	if err := decode(append(data, 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("trailing byte: %v", err)
	}
	bad := append([]byte{}, data...)
	bad[1] = 9
	if err := decode(bad); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("unknown version: %v", err)
	}
}

// TestCompactDeliveryCoversFields fails when Delivery gains a field, so
// that whoever adds it puts it in the compact form (a new
// compactFormVersion).
func TestCompactDeliveryCoversFields(t *testing.T) {
	const known = 12
	if n := reflect.TypeFor[Delivery]().NumField(); n != known {
		t.Fatalf("Delivery has %d fields, the compact form knows %d: add the new one to appendCompact and decodeCompact", n, known)
	}
}

// TestSentMessageForms: the message index entry of a card or digest is
// compact and reads back whole, one with notices stays JSON, and JSON
// entries of older databases are still read.
func TestSentMessageForms(t *testing.T) {
	at := time.Date(2026, 11, 29, 19, 4, 5, 0, time.FixedZone("", 7*3600))
	s := openTest(t)
	for i, m := range []SentMessage{
		{Kind: OutAlert, AlertIDs: []uint64{42}, At: at},
		{Kind: OutDigest, AlertIDs: []uint64{1, 2, 1 << 40}, At: at},
		{Kind: OutNotice, AlertIDs: []uint64{7}, At: at, Notices: []Notice{{Event: EventIngestHeld, Source: "msrc", Count: 3, At: at}}},
	} {
		var raw []byte
		var got SentMessage
		var ok bool
		must(t, s.Update(func(tx *Tx) error {
			if err := tx.indexMessage(-5, i+1, m); err != nil {
				return err
			}
			raw = append(raw, tx.bucket(bucketMessages).Get(messageKey(-5, i+1))...)
			var err error
			got, ok, err = tx.SentMessage(-5, i+1)
			return err
		}))
		if compact := raw[0] == compactSentMessage; compact != (len(m.Notices) == 0) {
			t.Errorf("%s: compact = %v (%q)", m.Kind, compact, raw)
		}
		if !ok || !reflect.DeepEqual(got, m) {
			t.Errorf("%s: read back %+v, want %+v", m.Kind, got, m)
		}
	}
	old := SentMessage{Kind: OutAlert, AlertIDs: []uint64{3}, At: at.UTC()}
	data, _ := json.Marshal(old)
	var got SentMessage
	must(t, s.Update(func(tx *Tx) error {
		if err := tx.bucket(bucketMessages).Put(messageKey(-6, 1), data); err != nil {
			return err
		}
		var err error
		got, _, err = tx.SentMessage(-6, 1)
		return err
	}))
	if !reflect.DeepEqual(got, old) {
		t.Errorf("JSON entry read as %+v", got)
	}
	m := SentMessage{Kind: OutDigest, AlertIDs: []uint64{1, 2}, At: at}
	data, _ = m.appendCompact(nil)
	damagedCompact(t, data, func(b []byte) error { var got SentMessage; return got.decodeCompact(b) })
}

// TestCompactSentMessageCoversFields is TestCompactDeliveryCoversFields
// for the message index.
func TestCompactSentMessageCoversFields(t *testing.T) {
	const known = 4
	if n := reflect.TypeFor[SentMessage]().NumField(); n != known {
		t.Fatalf("SentMessage has %d fields, the compact form knows %d: add the new one to appendCompact and decodeCompact", n, known)
	}
}
