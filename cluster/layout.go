package cluster

import (
	"encoding/binary"
	"strings"

	"github.com/canhbao/canhbao/store"
)

// layout names the keys of one database under its prefix.
type layout struct{ prefix string }

func (l layout) data() string    { return l.prefix + "data/" }
func (l layout) seqs() string    { return l.prefix + "seq/" }
func (l layout) leader() string  { return l.prefix + "leader" }
func (l layout) journal() string { return l.prefix + "journal/" }

func (l layout) dataKey(bucket string, key []byte) string {
	return l.data() + bucket + "/" + string(key)
}

func (l layout) seqKey(bucket string) string { return l.seqs() + bucket }

// change reads a key of the data or sequence part back into a store
// change; ok is false for every other key (election, journal).
func (l layout) change(key, value []byte, deleted bool) (c store.Change, ok bool) {
	k := string(key)
	switch {
	case strings.HasPrefix(k, l.data()):
		bucket, rest, found := strings.Cut(k[len(l.data()):], "/")
		if !found || bucket == "" {
			return c, false
		}
		return store.Change{Bucket: bucket, Key: []byte(rest), Value: value, Delete: deleted}, true
	case strings.HasPrefix(k, l.seqs()) && !deleted && len(value) == 8:
		return store.Change{Bucket: k[len(l.seqs()):], Seq: binary.BigEndian.Uint64(value)}, true
	}
	return c, false
}

func seqValue(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return string(b[:])
}
