package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// compactOutgoing is the first byte of an outbox entry stored in the
// compact binary form. An ingest writes one entry per chat and alert, so
// the form of the common entries (a card, a digest, a follow-up, with no
// text of their own) decides much of an ingest's cost: the binary form is
// a third of the JSON's size and several times cheaper to write and read.
// Entries that carry text, buttons, a notice, a copy or an export stay
// JSON, and so do the entries of databases written before the compact
// form: a JSON document starts with '{', never with this byte, so both
// are read.
const compactOutgoing byte = 0x01

// compactFormVersion follows the marker byte; a later layout gets the next
// number, and entries of this one stay readable.
const compactFormVersion byte = 1

// compactable reports whether o has only fields the compact form holds.
func (o *Outgoing) compactable() bool {
	return o.Text == "" && o.Buttons == nil && o.ReplyTo == 0 && !o.ForceReply && o.Copy == nil &&
		o.Notice == nil && o.EditMessageID == 0 && o.Export == nil
}

const (
	flagUrgent = 1 << iota
	flagStaff
	flagPlain
)

// appendCompact appends the compact form of o to b; ok is false when o
// needs the JSON form.
func (o *Outgoing) appendCompact(b []byte) (_ []byte, ok bool) {
	if !o.compactable() {
		return b, false
	}
	begin := len(b)
	b = append(b, compactOutgoing, compactFormVersion)
	b = binary.AppendUvarint(b, uint64(o.V))
	b = binary.AppendUvarint(b, o.ID)
	b = appendString(b, string(o.Kind))
	b = binary.AppendVarint(b, o.ChatID)
	b = binary.AppendUvarint(b, uint64(len(o.AlertIDs)))
	for _, id := range o.AlertIDs {
		b = binary.AppendUvarint(b, id)
	}
	b = binary.AppendUvarint(b, o.Ref)
	b = binary.AppendVarint(b, int64(o.Update))
	var flags byte
	if o.Urgent {
		flags |= flagUrgent
	}
	if o.Staff {
		flags |= flagStaff
	}
	if o.Plain {
		flags |= flagPlain
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, o.User)
	b, err1 := appendTime(b, o.Created)
	b, err2 := appendTime(b, o.NotBefore)
	if err1 != nil || err2 != nil { // a zone offset the binary form of time cannot hold
		return b[:begin], false
	}
	b = binary.AppendVarint(b, int64(o.Attempts))
	return appendString(b, o.LastError), true
}

// decodeCompact reads the compact form of an outbox entry into o.
func (o *Outgoing) decodeCompact(data []byte) error {
	r, err := openCompact(data, compactOutgoing, "outbox entry")
	if err != nil {
		return err
	}
	*o = Outgoing{V: int(r.uvarint()), ID: r.uvarint(), Kind: kindOf(r.bytes()), ChatID: r.varint(), AlertIDs: r.ids()}
	o.Ref = r.uvarint()
	o.Update = int(r.varint())
	flags := r.byte()
	o.Urgent, o.Staff, o.Plain = flags&flagUrgent != 0, flags&flagStaff != 0, flags&flagPlain != 0
	o.User = r.varint()
	o.Created = r.time()
	o.NotBefore = r.time()
	o.Attempts = int(r.varint())
	o.LastError = string(r.bytes())
	return r.end("outbox entry")
}

// openCompact checks the marker and version of a compact record and
// returns a reader of its fields.
func openCompact(data []byte, marker byte, what string) (*compactReader, error) {
	if len(data) < 2 || data[0] != marker {
		return nil, fmt.Errorf("not a compact %s", what)
	}
	if data[1] != compactFormVersion {
		return nil, fmt.Errorf("compact %s of unknown version %d", what, data[1])
	}
	return &compactReader{data: data[2:]}, nil
}

// end is the error of a record read with r: the first read that failed,
// or bytes left over.
func (r *compactReader) end(what string) error {
	if r.err == nil && len(r.data) != 0 {
		r.err = errors.New("trailing bytes")
	}
	if r.err != nil {
		return fmt.Errorf("compact %s: %w", what, r.err)
	}
	return nil
}

// ids reads a list of alert ids.
func (r *compactReader) ids() []uint64 {
	n := r.uvarint()
	switch {
	case n == 0:
		return nil
	case n > uint64(len(r.data)): // each id takes a byte at least
		r.err = errTruncated
		return nil
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = r.uvarint()
	}
	return ids
}

// kindOf returns the Kind spelled by b, without an allocation for the
// kinds an ingest writes.
func kindOf(b []byte) Kind {
	for _, k := range []Kind{OutAlert, OutDigest, OutFollowUp, OutCopy} {
		if string(b) == string(k) {
			return k
		}
	}
	return Kind(b)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime writes the length and binary form of t (instant and zone
// offset, as the JSON form keeps them), or a zero length for the zero
// time.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return append(b, 0), nil
	}
	at := len(b)
	b, err := t.AppendBinary(append(b, 0))
	b[at] = byte(len(b) - at - 1)
	return b, err
}

var errTruncated = errors.New("truncated")

// compactReader reads the fields of a compact entry; the first error
// sticks and later reads return zero values.
type compactReader struct {
	data []byte
	err  error
}

func (r *compactReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.data)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *compactReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.data)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *compactReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.data) == 0 {
		r.err = errTruncated
		return 0
	}
	c := r.data[0]
	r.data = r.data[1:]
	return c
}

func (r *compactReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.data)) {
		r.err = errTruncated
		return nil
	}
	b := r.data[:n]
	r.data = r.data[n:]
	return b
}

func (r *compactReader) time() time.Time {
	n := r.byte()
	switch {
	case r.err != nil || n == 0:
		return time.Time{}
	case int(n) > len(r.data):
		r.err = errTruncated
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalBinary(r.data[:n]); err != nil {
		r.err = err
		return time.Time{}
	}
	r.data = r.data[n:]
	return t
}
