package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/canhbao/canhbao/store"
)

// etcd's default limits, with room for the fence and framing.
const (
	maxOps   = 120     // --max-txn-ops is 128
	maxBytes = 1 << 20 // --max-request-bytes is 1.5 MiB
)

// ErrFenced says that a write was refused because this node no longer
// leads: another node was elected since.
var ErrFenced = errors.New("cluster: refused: another node leads now")

// Mirror writes the active node's transactions to etcd, each conditioned
// on the node still holding the election key it won (the fence), so that
// a deposed leader's late write is refused.
type Mirror struct {
	kv      clientv3.KV
	layout  layout
	fence   clientv3.Cmp
	tag     string // unique to this term, names its journal entries
	timeout time.Duration
	// lost is told of the first write that failed or was refused; the
	// node steps down, since it can no longer tell what etcd holds.
	lost     func(error)
	journals atomic.Uint64
}

// Commit implements store.Mirror.
func (m *Mirror) Commit(changes []store.Change) (int64, error) {
	ops := make([]clientv3.Op, 0, len(changes))
	size := 0
	for _, c := range changes {
		op, n := m.op(c)
		if n > maxBytes {
			return 0, m.fail(fmt.Errorf("cluster: a record of %s is %d bytes, more than etcd takes in one request", c.Bucket, n))
		}
		ops = append(ops, op)
		size += n
	}
	if len(ops) <= maxOps && size <= maxBytes {
		return m.txn(ops...)
	}
	return m.viaJournal(changes)
}

func (m *Mirror) op(c store.Change) (clientv3.Op, int) {
	switch {
	case c.IsSeq():
		k := m.layout.seqKey(c.Bucket)
		return clientv3.OpPut(k, seqValue(c.Seq)), len(k) + 8 + 16
	case c.Delete:
		k := m.layout.dataKey(c.Bucket, c.Key)
		return clientv3.OpDelete(k), len(k) + 16
	default:
		k := m.layout.dataKey(c.Bucket, c.Key)
		return clientv3.OpPut(k, string(c.Value)), len(k) + len(c.Value) + 16
	}
}

// txn commits ops as one fenced etcd transaction. A member that goes
// away under it (its connection reset, or stopping) leaves the outcome
// unknown; every write here puts or deletes fixed values under the fence,
// so it is sent again, to another member, until the timeout.
func (m *Mirror) txn(ops ...clientv3.Op) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	resp, err := m.kv.Txn(ctx).If(m.fence).Then(ops...).Commit()
	for err != nil && memberLost(err) && sleep(ctx, 20*time.Millisecond) {
		resp, err = m.kv.Txn(ctx).If(m.fence).Then(ops...).Commit()
	}
	if err != nil {
		return 0, m.fail(fmt.Errorf("cluster: write to etcd: %w", err))
	}
	if !resp.Succeeded {
		return 0, m.fail(ErrFenced)
	}
	return resp.Header.Revision, nil
}

// memberLost tells errors of the member a request went to (gone,
// stopping, without a leader) from those of the request itself. A
// member stopped under a request answers raft's ErrStopped as is.
func memberLost(err error) bool {
	return status.Code(err) == codes.Unavailable || rpctypes.ErrorDesc(err) == "raft: stopped"
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (m *Mirror) fail(err error) error {
	if m.lost != nil {
		m.lost(err)
	}
	return err
}

// viaJournal writes a large transaction in steps: first the journal
// (one key per MiB of changes; for most, the journal and its commit key
// are one etcd transaction), then the commit key, then its changes in
// transactions etcd accepts, the last one deleting the journal. A leader
// that dies before the commit key leaves nothing that counts; one that
// dies after it leaves a journal the next leader applies (Recover).
func (m *Mirror) viaJournal(changes []store.Change) (int64, error) {
	id := fmt.Sprintf("%s-%d", m.tag, m.journals.Add(1))
	base := m.layout.journal() + id + "/"
	parts := chunkBy(changes, math.MaxInt, maxBytes) // bounded by bytes alone
	commit := clientv3.OpPut(base+"commit", fmt.Sprint(len(parts)))
	for i, c := range parts {
		put := clientv3.OpPut(fmt.Sprintf("%s%06d", base, i), encodeChunk(c))
		ops := []clientv3.Op{put}
		if len(parts) == 1 {
			ops = append(ops, commit)
		}
		if _, err := m.txn(ops...); err != nil {
			return 0, err
		}
	}
	if len(parts) > 1 {
		if _, err := m.txn(commit); err != nil {
			return 0, err
		}
	}
	return m.applyJournal(base, changes)
}

// applyJournal applies a committed journal's changes and deletes it with
// the last of them.
func (m *Mirror) applyJournal(base string, changes []store.Change) (int64, error) {
	chunks := chunkBy(changes, maxOps-1, maxBytes)
	var rev int64
	for i, c := range chunks {
		ops := make([]clientv3.Op, len(c), len(c)+1)
		for i, ch := range c {
			ops[i], _ = m.op(ch)
		}
		if i == len(chunks)-1 {
			ops = append(ops, clientv3.OpDelete(base, clientv3.WithPrefix()))
		}
		r, err := m.txn(ops...)
		if err != nil {
			return 0, err
		}
		rev = r
	}
	return rev, nil
}

// Recover finishes what a previous leader left in the journal: a
// committed entry is applied, an uncommitted one dropped. The new leader
// runs it before it writes anything.
func (m *Mirror) Recover(ctx context.Context) (applied int, err error) {
	resp, err := m.kv.Get(ctx, m.layout.journal(), clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("cluster: read the journal: %w", err)
	}
	entries := map[string]map[string][]byte{}
	for _, kv := range resp.Kvs {
		rest := strings.TrimPrefix(string(kv.Key), m.layout.journal())
		id, part, _ := strings.Cut(rest, "/")
		if entries[id] == nil {
			entries[id] = map[string][]byte{}
		}
		entries[id][part] = kv.Value
	}
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		base := m.layout.journal() + id + "/"
		parts := entries[id]
		if _, committed := parts["commit"]; !committed {
			if _, err := m.txn(clientv3.OpDelete(base, clientv3.WithPrefix())); err != nil {
				return applied, err
			}
			continue
		}
		var changes []store.Change
		n := 0
		for ; ; n++ {
			data, ok := parts[fmt.Sprintf("%06d", n)]
			if !ok {
				break
			}
			c, err := decodeChunk(data)
			if err != nil {
				return applied, fmt.Errorf("cluster: journal %s: %w", id, err)
			}
			changes = append(changes, c...)
		}
		if fmt.Sprint(n) != string(parts["commit"]) {
			return applied, fmt.Errorf("cluster: journal %s: %d parts, its commit says %s", id, n, parts["commit"])
		}
		if _, err := m.applyJournal(base, changes); err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}

// chunkBy splits changes into runs of at most ops changes and about
// bytes bytes.
func chunkBy(changes []store.Change, ops, bytes int) [][]store.Change {
	var out [][]store.Change
	start, size := 0, 0
	for i, c := range changes {
		n := len(c.Bucket) + len(c.Key) + len(c.Value) + 64
		if i > start && (i-start >= ops || size+n > bytes) {
			out = append(out, changes[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, changes[start:])
}

// encodeChunk frames changes as: kind byte (p put, d delete, s
// sequence), then length-prefixed bucket, key and value.
func encodeChunk(changes []store.Change) string {
	var b bytes.Buffer
	for _, c := range changes {
		kind, value := byte('p'), c.Value
		switch {
		case c.IsSeq():
			kind, value = 's', []byte(seqValue(c.Seq))
		case c.Delete:
			kind, value = 'd', nil
		}
		b.WriteByte(kind)
		for _, part := range [][]byte{[]byte(c.Bucket), c.Key, value} {
			b.Write(binary.AppendUvarint(nil, uint64(len(part))))
			b.Write(part)
		}
	}
	return b.String()
}

func decodeChunk(data []byte) ([]store.Change, error) {
	var out []store.Change
	for len(data) > 0 {
		kind := data[0]
		data = data[1:]
		var parts [3][]byte
		for i := range parts {
			n, w := binary.Uvarint(data)
			if w <= 0 || uint64(len(data)-w) < n {
				return nil, errors.New("damaged chunk")
			}
			parts[i], data = data[w:w+int(n)], data[w+int(n):]
		}
		c := store.Change{Bucket: string(parts[0]), Key: parts[1]}
		switch kind {
		case 'p':
			c.Value = parts[2]
		case 'd':
			c.Delete = true
		case 's':
			if len(parts[2]) != 8 {
				return nil, errors.New("damaged sequence")
			}
			c.Key, c.Seq = nil, binary.BigEndian.Uint64(parts[2])
		default:
			return nil, fmt.Errorf("unknown change kind %q", kind)
		}
		out = append(out, c)
	}
	return out, nil
}
