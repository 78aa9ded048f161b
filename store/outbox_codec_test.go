package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestOutboxEntryForms stores outbox entries through Enqueue and reads
// them back: the entries an ingest writes take the compact form, the
// others stay JSON, and every field survives either way.
func TestOutboxEntryForms(t *testing.T) {
	hanoi := time.FixedZone("", 7*3600) // as both forms read a zone back: its offset
	created := time.Date(2026, 11, 29, 19, 4, 5, 123456789, hanoi)
	tests := []struct {
		name    string
		o       Outgoing
		compact bool
	}{
		{"card", Outgoing{Kind: OutAlert, ChatID: -1001234567890, AlertIDs: []uint64{42}, Created: created}, true},
		{"digest, retried", Outgoing{Kind: OutDigest, ChatID: -7, AlertIDs: []uint64{1, 300, 1 << 40}, Created: created,
			NotBefore: created.Add(time.Minute).UTC(), Attempts: 3, LastError: "Bad Gateway: lỗi", Urgent: true, Plain: true}, true},
		{"follow-up", Outgoing{Kind: OutFollowUp, ChatID: 5, AlertIDs: []uint64{9}, Ref: 8, Update: 2, User: 77, Staff: true, Created: created}, true},
		{"answer", Outgoing{Kind: OutText, ChatID: 5, Text: "<b>Đề nghị</b>", ReplyTo: 3, User: 9, Created: created}, false},
		{"notice", Outgoing{Kind: OutNotice, ChatID: -9, Notice: &Notice{Event: EventIngestHeld, Source: "msrc", Count: 3, At: created}, Created: created}, false},
	}
	s := openTest(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id uint64
			var raw []byte
			must(t, s.Update(func(tx *Tx) (err error) {
				id, err = tx.Enqueue(tt.o)
				raw = append(raw, tx.bucket(bucketOutbox).Get(u64(id))...)
				return err
			}))
			if got := raw[0] == compactOutgoing; got != tt.compact {
				t.Fatalf("compact form = %v, want %v (stored %q)", got, tt.compact, raw)
			}
			if tt.compact {
				js, _ := json.Marshal(tt.o)
				if len(raw) >= len(js)/2 {
					t.Errorf("compact entry is %d bytes, JSON %d: not compact", len(raw), len(js))
				}
			}
			got, ok := outboxByID(t, s, id)
			want := tt.o
			want.ID, want.V = id, schemaVersion
			if !ok || !reflect.DeepEqual(got, want) || !got.Created.Equal(created) {
				t.Errorf("read back\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// TestOutboxReadsJSONEntries: a database written before the compact form
// holds JSON entries; they are still read, listed, settled and pass the
// full check, side by side with compact ones.
func TestOutboxReadsJSONEntries(t *testing.T) {
	s := openTest(t)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := Outgoing{V: 1, ID: 1, Kind: OutAlert, ChatID: -3, AlertIDs: []uint64{1}, Created: created, Attempts: 1}
	must(t, s.Update(func(tx *Tx) error {
		b := tx.bucket(bucketOutbox)
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		data, err := json.Marshal(old) // the form every entry had before
		if err != nil {
			return err
		}
		return b.Put(u64(1), data)
	}))
	must(t, s.Update(func(tx *Tx) error {
		_, err := tx.Enqueue(Outgoing{Kind: OutAlert, ChatID: -4, AlertIDs: []uint64{1}, Created: created})
		return err
	}))
	all := outbox(t, s)
	if len(all) != 2 || !reflect.DeepEqual(all[0], old) || all[1].ChatID != -4 || all[1].ID != 2 {
		t.Fatalf("outbox = %+v", all)
	}
	path := s.Path()
	must(t, s.Close())
	if err := Check(path); err != nil {
		t.Fatalf("full check of JSON and compact entries: %v", err)
	}
}

// TestCompactOutboxDamage: a damaged compact entry is an error, never a
// half-read entry.
func TestCompactOutboxDamage(t *testing.T) {
	o := Outgoing{V: 1, ID: 3, Kind: OutDigest, ChatID: -1, AlertIDs: []uint64{1, 2}, Created: time.Now(), LastError: "x"}
	data, ok := o.appendCompact(nil)
	if !ok {
		t.Fatal("a digest entry has no compact form")
	}
	damagedCompact(t, data, func(b []byte) error { var got Outgoing; return got.decodeCompact(b) })
}

// TestCompactOutboxCoversFields fails when Outgoing gains a field, so that
// whoever adds it puts it in the compact form (a new compactFormVersion)
// or in compactable's list of fields that need JSON.
func TestCompactOutboxCoversFields(t *testing.T) {
	const known = 23
	if n := reflect.TypeFor[Outgoing]().NumField(); n != known {
		t.Fatalf("Outgoing has %d fields, the compact form knows %d: add the new one to appendCompact or compactable", n, known)
	}
}
