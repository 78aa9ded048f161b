package cluster

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/store"
)

// Moving a database between a single machine (bbolt) and a cluster
// (etcd). A migration copies every record and every bucket sequence,
// under the keys the nodes read (see layout), so that a node started
// afterwards finds the same data and goes on numbering where the old
// service stopped. It runs while no canhbao process uses either side:
// nothing fences it like the active node's writes, so every write it
// makes to etcd is conditioned instead on no node leading.

// ErrActive refuses a migration while a canhbao node leads on the etcd
// side: its writes would interleave with the copy's.
var ErrActive = errors.New("a canhbao node is active")

// ErrTargetDiffers refuses to replace a target that holds other data than
// the source: it may be newer (the cluster ran since), and overwriting
// newer records with older ones loses acknowledgements.
var ErrTargetDiffers = errors.New("the target holds other data")

// ErrUnfinished refuses to copy etcd's data out while it is incomplete:
// a large transaction of the last active node not yet applied, or a
// migration into etcd that was interrupted.
var ErrUnfinished = errors.New("etcd's data is incomplete")

// ErrNothing refuses a migration from a side that holds no data: it is
// a wrong file or prefix far more often than a wish to empty the target.
var ErrNothing = errors.New("nothing to migrate")

// Counts sums up one side of a migration: the records an operator
// recognises, every record, and a digest of all of them (bucket, key,
// value, sequence), so that two sides count as the same data only when
// they hold exactly the same records.
type Counts struct {
	Alerts, Deliveries, Acks, Outbox int
	// Records counts every record of every bucket; Sequences the
	// buckets whose sequence (next number) is set.
	Records, Sequences int
	Digest             [sha256.Size]byte
}

// Empty reports whether the side holds no record at all.
func (c Counts) Empty() bool { return c.Records == 0 && c.Sequences == 0 }

// Short is the digest as a person compares it: its first 12 hex digits.
func (c Counts) Short() string { return hex.EncodeToString(c.Digest[:6]) }

// The buckets whose records Counts names; the store's tests (through
// this package's) keep them in step with the store.
const (
	bucketAlerts     = "alerts"
	bucketDeliveries = "deliveries"
	bucketAcks       = "acks"
	bucketOutbox     = "outbox"
)

// counter sums records as a side lists them. Each bucket lists its keys
// in byte order on both sides, but buckets come in a different order
// (bbolt sorts their names, etcd the keys "name/…"), so each bucket has
// its own hash and the digest combines them by name.
type counter struct {
	c       Counts
	buckets map[string]hash.Hash
	seqs    map[string]uint64
}

func (n *counter) add(c store.Change) error {
	if n.buckets == nil {
		n.buckets, n.seqs = map[string]hash.Hash{}, map[string]uint64{}
	}
	if c.IsSeq() {
		if c.Seq > 0 {
			n.seqs[c.Bucket] = c.Seq
		}
		return nil
	}
	h := n.buckets[c.Bucket]
	if h == nil {
		h = sha256.New()
		n.buckets[c.Bucket] = h
	}
	for _, part := range [][]byte{c.Key, c.Value} {
		h.Write(binary.AppendUvarint(nil, uint64(len(part))))
		h.Write(part)
	}
	n.c.Records++
	switch c.Bucket {
	case bucketAlerts:
		n.c.Alerts++
	case bucketDeliveries:
		n.c.Deliveries++
	case bucketAcks:
		n.c.Acks++
	case bucketOutbox:
		n.c.Outbox++
	}
	return nil
}

func (n *counter) sum() Counts {
	names := make([]string, 0, len(n.buckets)+len(n.seqs))
	for b := range n.buckets {
		names = append(names, b)
	}
	for b := range n.seqs {
		if n.buckets[b] == nil {
			names = append(names, b)
		}
	}
	slices.Sort(names)
	all := sha256.New()
	for _, b := range names {
		all.Write(binary.AppendUvarint(nil, uint64(len(b))))
		all.Write([]byte(b))
		all.Write(binary.BigEndian.AppendUint64(nil, n.seqs[b]))
		if h := n.buckets[b]; h != nil {
			all.Write(h.Sum(nil))
		}
	}
	out := n.c
	out.Sequences = len(n.seqs)
	copy(out.Digest[:], all.Sum(nil))
	return out
}

// CountStore sums up a bbolt database (the source of a migration to
// etcd, the target of one back).
func CountStore(s *store.Store) (Counts, error) {
	var n counter
	if err := s.Dump(n.add); err != nil {
		return Counts{}, fmt.Errorf("read the database: %w", err)
	}
	return n.sum(), nil
}

// Result reports a migration: both sides as they were before, the target
// after, and whether anything was written.
type Result struct {
	Source, Before, After Counts
	// Unchanged: the target held the same data already; nothing was
	// written.
	Unchanged bool
	// Resumed: an interrupted migration of the same data was finished.
	Resumed bool
}

// etcdSide is what a migration needs to know of the etcd side, read at
// one revision.
type etcdSide struct {
	rev       int64
	cluster   uint64 // etcd's cluster id
	counts    Counts
	leader    string // the active node's name, "" when none leads
	journal   int    // committed large transactions not yet applied
	migrating string // the marker of an unfinished migration into etcd
}

func (l layout) migrating() string { return l.prefix + "migrating" }

// idle holds while no node leads: every write of a migration into etcd
// is conditioned on it, so that a node that starts leading half way
// stops the migration rather than mixing its writes with the copy.
func (l layout) idle() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(l.leader()+"/"), "=", 0).WithPrefix()
}

func readEtcd(ctx context.Context, kv clientv3.KV, l layout) (etcdSide, error) {
	var side etcdSide
	lead, err := kv.Get(ctx, l.leader()+"/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(1))
	if err != nil {
		return side, fmt.Errorf("read etcd: %w", err)
	}
	side.rev, side.cluster = lead.Header.Revision, lead.Header.ClusterId
	if len(lead.Kvs) > 0 {
		side.leader = cmp.Or(string(lead.Kvs[0].Value), string(lead.Kvs[0].Key))
	}
	marker, err := kv.Get(ctx, l.migrating(), clientv3.WithRev(side.rev))
	if err != nil {
		return side, fmt.Errorf("read etcd: %w", err)
	}
	if len(marker.Kvs) > 0 {
		side.migrating = string(marker.Kvs[0].Value)
	}
	err = readAll(ctx, kv, l.journal(), side.rev, func(key, _ []byte) error {
		if strings.HasSuffix(string(key), "/commit") {
			side.journal++
		}
		return nil
	})
	if err != nil {
		return side, fmt.Errorf("read etcd's journal: %w", err)
	}
	var n counter
	if err := dumpEtcd(ctx, kv, l, side.rev, n.add); err != nil {
		return side, err
	}
	side.counts = n.sum()
	return side, nil
}

// dumpEtcd lists the records and sequences under the prefix at rev, as a
// node reads them into its copy.
func dumpEtcd(ctx context.Context, kv clientv3.KV, l layout, rev int64, fn func(store.Change) error) error {
	for _, part := range []string{l.seqs(), l.data()} {
		err := readAll(ctx, kv, part, rev, func(key, value []byte) error {
			if c, ok := l.change(key, value, false); ok {
				return fn(c)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read etcd: %w", err)
		}
	}
	return nil
}

func activeErr(prefix, node string) error {
	return fmt.Errorf("%w: node %q leads under %s; stop every node before migrating", ErrActive, node, prefix)
}

// ToEtcd copies a stopped bbolt database into etcd under prefix, and
// reads it back to check that etcd holds exactly the same records.
//
// A target holding the same data already is left as it is (running the
// migration twice is harmless). A target holding other data is refused
// unless force: it may be newer than the file. While it writes, a key
// (prefix + "migrating") names the data being copied, so that a
// migration interrupted half way is finished by running it again rather
// than taken for other data.
func ToEtcd(ctx context.Context, kv clientv3.KV, prefix string, src *store.Store, force bool) (Result, error) {
	l := layout{prefix}
	var res Result
	var err error
	if res.Source, err = CountStore(src); err != nil {
		return res, err
	}
	if res.Source.Empty() {
		return res, fmt.Errorf("%w: the database holds no records", ErrNothing)
	}
	side, err := readEtcd(ctx, kv, l)
	if err != nil {
		return res, err
	}
	res.Before = side.counts
	if side.leader != "" {
		return res, activeErr(prefix, side.leader)
	}
	digest := hex.EncodeToString(res.Source.Digest[:])
	switch {
	case side.migrating == "" && side.journal == 0 && side.counts == res.Source:
		res.Unchanged, res.After = true, side.counts
		return res, nil
	case side.migrating == digest:
		res.Resumed = true
	case force:
	case side.migrating != "":
		return res, fmt.Errorf("%w: an interrupted migration of other data left etcd under %s incomplete; add -force to replace it with this database", ErrTargetDiffers, prefix)
	case side.journal > 0 || !side.counts.Empty():
		return res, fmt.Errorf("%w: etcd under %s holds other records than the database, and they may be newer (has the cluster run since?): replacing them would lose what was recorded there, acknowledgements among them. Check which is current; add -force to replace them", ErrTargetDiffers, prefix)
	}
	w := &etcdWriter{ctx: ctx, kv: kv, l: l}
	// One transaction marks the migration and clears what was there,
	// the journal included: a committed journal would otherwise be
	// applied over the copy by the next active node.
	for _, op := range []clientv3.Op{
		clientv3.OpPut(l.migrating(), digest),
		clientv3.OpDelete(l.data(), clientv3.WithPrefix()),
		clientv3.OpDelete(l.seqs(), clientv3.WithPrefix()),
		clientv3.OpDelete(l.journal(), clientv3.WithPrefix()),
	} {
		if err := w.add(op, 64); err != nil {
			return res, err
		}
	}
	if err := w.flush(); err != nil {
		return res, err
	}
	m := &Mirror{layout: l}
	err = src.Dump(func(c store.Change) error {
		op, n := m.op(c)
		if n > maxBytes {
			return fmt.Errorf("a record of %s is %d bytes, more than etcd takes in one request", c.Bucket, n)
		}
		return w.add(op, n)
	})
	if err == nil {
		err = w.flush()
	}
	if err != nil {
		return res, fmt.Errorf("copy into etcd (running the migration again finishes it): %w", err)
	}
	after, err := readEtcd(ctx, kv, l)
	if err != nil {
		return res, err
	}
	res.After = after.counts
	if after.counts != res.Source {
		return res, fmt.Errorf("cluster: etcd under %s does not hold what was copied (%d records of %d): run the migration again", prefix, after.counts.Records, res.Source.Records)
	}
	if err := w.add(clientv3.OpDelete(l.migrating()), 64); err != nil {
		return res, err
	}
	return res, w.flush()
}

// etcdWriter writes a migration's operations in transactions within
// etcd's limits, each conditioned on no node leading.
type etcdWriter struct {
	ctx  context.Context
	kv   clientv3.KV
	l    layout
	ops  []clientv3.Op
	size int
}

func (w *etcdWriter) add(op clientv3.Op, n int) error {
	if len(w.ops) > 0 && (len(w.ops) >= maxOps || w.size+n > maxBytes) {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.ops = append(w.ops, op)
	w.size += n
	return nil
}

func (w *etcdWriter) flush() error {
	if len(w.ops) == 0 {
		return nil
	}
	resp, err := w.kv.Txn(w.ctx).If(w.l.idle()).Then(w.ops...).Commit()
	if err != nil {
		return fmt.Errorf("write to etcd: %w", err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("%w: a node started leading under %s during the migration; stop every node and run it again", ErrActive, w.l.prefix)
	}
	w.ops, w.size = w.ops[:0], 0
	return nil
}

// ToBbolt copies etcd's data under prefix, as of one revision, into dst
// (a new or stopped bbolt database), in one bbolt transaction, and checks
// that dst then holds exactly the same records. dst becomes a database of
// its own (a single machine's), no longer a copy that follows etcd.
//
// As with ToEtcd, a dst holding the same data is left as it is (unless it
// is a node's copy, which is made a database of its own), and one holding
// other data is refused unless force.
func ToBbolt(ctx context.Context, kv clientv3.KV, prefix string, dst *store.Store, force bool) (Result, error) {
	l := layout{prefix}
	var res Result
	side, err := readEtcd(ctx, kv, l)
	if err != nil {
		return res, err
	}
	res.Source = side.counts
	if side.leader != "" {
		return res, activeErr(prefix, side.leader)
	}
	switch {
	case side.counts.Empty():
		return res, fmt.Errorf("%w: etcd holds no canhbao records under %s (check CANHBAO_ETCD_PREFIX)", ErrNothing, prefix)
	case side.migrating != "":
		return res, fmt.Errorf("%w: a migration into etcd under %s was interrupted; finish it (run it again) first", ErrUnfinished, prefix)
	case side.journal > 0:
		return res, fmt.Errorf("%w: the last active node left a large transaction under %sjournal/ that only a node applies; start one node until it leads, stop it, and migrate again", ErrUnfinished, prefix)
	}
	if res.Before, err = CountStore(dst); err != nil {
		return res, err
	}
	_, origin, err := dst.Replica()
	if err != nil {
		return res, err
	}
	switch {
	case res.Before == res.Source && origin == "":
		res.Unchanged, res.After = true, res.Before
		return res, nil
	case res.Before == res.Source:
		// A node's copy holding the same data: made a database of its
		// own below.
	case !res.Before.Empty() && !force:
		return res, fmt.Errorf("%w: the file holds other records than etcd under %s, and they may be newer: replacing them would lose what was recorded there, acknowledgements among them. Check which is current; add -force to replace them", ErrTargetDiffers, prefix)
	}
	err = dst.Reset("", 0, func(put func(store.Change) error) error {
		return dumpEtcd(ctx, kv, l, side.rev, put)
	})
	if err != nil {
		return res, fmt.Errorf("copy etcd into the file: %w", err)
	}
	if res.After, err = CountStore(dst); err != nil {
		return res, err
	}
	if res.After != res.Source {
		return res, fmt.Errorf("cluster: the file does not hold what was copied (%d records of %d)", res.After.Records, res.Source.Records)
	}
	// A node that started leading meanwhile may have written since the
	// revision copied: say so rather than let the file pass as current.
	now, err := kv.Get(ctx, l.leader()+"/", clientv3.WithPrefix(), clientv3.WithLimit(1))
	if err != nil {
		return res, fmt.Errorf("read etcd: %w", err)
	}
	if len(now.Kvs) > 0 {
		return res, fmt.Errorf("%w: a node started leading during the migration, so the file may miss its latest records; stop every node and migrate again with -force", ErrActive)
	}
	return res, nil
}

// originName is how a node's copy names the cluster and prefix it follows
// (see Follower).
func originName(cluster uint64, prefix string) string {
	return fmt.Sprintf("etcd %x %s", cluster, prefix)
}

// Adopt makes s, a database just copied into etcd under prefix, a node's
// copy of that data. A node refuses to start on a database of its own
// (ErrNotACopy), since following etcd would replace it; after a migration
// the file and etcd hold the same records, so the file may be the first
// node's copy, as the refusal's advice promises. Adopt rewrites s from
// etcd's data at one revision, once it has checked that both hold the
// same records, and notes that revision, so that a node follows on from
// there. A copy that already follows this cluster is left as it is.
func Adopt(ctx context.Context, kv clientv3.KV, prefix string, s *store.Store) error {
	l := layout{prefix}
	side, err := readEtcd(ctx, kv, l)
	if err != nil {
		return err
	}
	switch {
	case side.leader != "":
		return activeErr(prefix, side.leader)
	case side.migrating != "" || side.journal > 0:
		return fmt.Errorf("%w: a migration or a large transaction under %s is unfinished", ErrUnfinished, prefix)
	}
	mine, err := CountStore(s)
	if err != nil {
		return err
	}
	if mine != side.counts {
		return fmt.Errorf("%w: the file and etcd under %s hold other records; only a file just migrated becomes a node's copy", ErrTargetDiffers, prefix)
	}
	origin := originName(side.cluster, prefix)
	if _, have, err := s.Replica(); err != nil || have == origin {
		return err
	}
	err = s.Reset(origin, side.rev, func(put func(store.Change) error) error {
		return dumpEtcd(ctx, kv, l, side.rev, put)
	})
	if err != nil {
		return fmt.Errorf("make the file a copy of etcd's data: %w", err)
	}
	after, err := CountStore(s)
	if err != nil {
		return err
	}
	if after != side.counts {
		return fmt.Errorf("cluster: the file does not hold etcd's records after it was made a copy (%d records of %d)", after.Records, side.counts.Records)
	}
	return nil
}
