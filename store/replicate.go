package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Replication. In clustered mode the bbolt file is each node's copy of a
// database whose record is kept elsewhere (etcd): the active node's
// transactions are handed to a Mirror before they commit locally, and
// standby nodes apply what the Mirror's watch tells them. The store
// itself stays the same code on both: every write goes through bucket,
// which notes it in the transaction's change set.

// Change is one write of a transaction: a key put or deleted in a bucket,
// or (Key nil) a bucket's sequence set to Seq.
type Change struct {
	Bucket string
	Key    []byte
	Value  []byte
	Delete bool
	Seq    uint64
	// Revision is the revision of the origin that made the change, when
	// a copy applies it (see Apply).
	Revision int64
}

// IsSeq reports whether the change sets a bucket's sequence.
func (c Change) IsSeq() bool { return c.Key == nil && !c.Delete }

// Mirror is where a transaction's changes go before it commits locally,
// in clustered mode. Commit returns the revision the changes got there
// (kept with the local copy, so that it can catch up from that point); an
// error rolls the local transaction back.
type Mirror interface {
	Commit(changes []Change) (revision int64, err error)
}

// ErrStandby refuses a write on a node that is not the active one.
var ErrStandby = errors.New("store: this node is on standby; only the active node writes")

// bucketReplica is local to each copy and never replicated: which
// revision of which cluster the copy has reached.
var (
	bucketReplica = []byte("replica")
	keyRevision   = []byte("revision")
	keyOrigin     = []byte("origin")
)

// SetMirror puts the store in clustered mode: from now on every write
// transaction goes to m first. A nil m refuses every write (standby).
func (s *Store) SetMirror(m Mirror) {
	s.mirror.Store(&mirrorRef{m: m})
}

type mirrorRef struct{ m Mirror }

// changeLog collects a transaction's writes, the last write of a key
// winning.
type changeLog struct {
	changes []Change
	at      map[string]int // bucket \x00 key → index in changes
}

func (l *changeLog) add(c Change) {
	if l.at == nil {
		l.at = make(map[string]int)
	}
	id := c.Bucket + "\x00" + string(c.Key)
	if c.IsSeq() {
		id = c.Bucket + "\x01"
	}
	if i, ok := l.at[id]; ok {
		l.changes[i] = c
		return
	}
	l.at[id] = len(l.changes)
	l.changes = append(l.changes, c)
}

// bucket is a bbolt bucket whose writes are noted in the transaction's
// change log when the store is clustered.
type bucket struct {
	b    *bolt.Bucket
	name string
	log  *changeLog
}

func (b *bucket) Get(key []byte) []byte   { return b.b.Get(key) }
func (b *bucket) Cursor() *bolt.Cursor    { return b.b.Cursor() }
func (b *bucket) Sequence() uint64        { return b.b.Sequence() }
func (b *bucket) Stats() bolt.BucketStats { return b.b.Stats() }

func (b *bucket) Put(key, value []byte) error {
	if err := b.b.Put(key, value); err != nil {
		return err
	}
	if b.log != nil {
		if value == nil {
			value = []byte{}
		}
		b.log.add(Change{Bucket: b.name, Key: key, Value: value})
	}
	return nil
}

func (b *bucket) Delete(key []byte) error {
	if err := b.b.Delete(key); err != nil {
		return err
	}
	if b.log != nil {
		b.log.add(Change{Bucket: b.name, Key: append([]byte(nil), key...), Delete: true})
	}
	return nil
}

func (b *bucket) NextSequence() (uint64, error) {
	n, err := b.b.NextSequence()
	if err == nil && b.log != nil {
		b.log.add(Change{Bucket: b.name, Seq: n})
	}
	return n, err
}

// wrap gives a bbolt bucket of this transaction its change log. One
// wrapper per bucket and transaction: a fan-out asks for the same few
// buckets thousands of times.
func (t *Tx) wrap(name []byte, b *bolt.Bucket) *bucket {
	if b == nil {
		return nil
	}
	w := &bucket{b: b, name: string(name), log: t.log}
	t.buckets = append(t.buckets, w)
	return w
}

// commitMirror hands the transaction's changes to the mirror and notes
// the revision they got in the local copy.
func (t *Tx) commitMirror(m Mirror) error {
	if t.log == nil || len(t.log.changes) == 0 {
		return nil
	}
	if m == nil {
		return ErrStandby
	}
	rev, err := m.Commit(t.log.changes)
	if err != nil {
		return err
	}
	return putRevision(t.tx, rev)
}

func putRevision(tx *bolt.Tx, rev int64) error {
	b, err := tx.CreateBucketIfNotExists(bucketReplica)
	if err != nil {
		return err
	}
	return b.Put(keyRevision, u64(uint64(rev)))
}

// Replica says which revision of which origin (cluster and prefix) this
// copy has reached; 0 and "" for a copy that never followed one.
func (s *Store) Replica() (revision int64, origin string, err error) {
	err = s.guarded(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketReplica)
			if b == nil {
				return nil
			}
			if v := b.Get(keyRevision); len(v) == 8 {
				revision = int64(binary.BigEndian.Uint64(v))
			}
			origin = string(b.Get(keyOrigin))
			return nil
		})
	})
	return revision, origin, err
}

// Apply writes changes another node made, as one local transaction, and
// notes that the copy has reached revision. A change whose Revision is at
// or below the copy's was applied already (the active node writes its own
// copy as it commits) and is skipped; a zero Revision counts as revision.
func (s *Store) Apply(revision int64, changes []Change) error {
	return s.guarded(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			var have int64
			if b := tx.Bucket(bucketReplica); b != nil {
				if v := b.Get(keyRevision); len(v) == 8 {
					have = int64(binary.BigEndian.Uint64(v))
				}
			}
			if revision <= have {
				return nil
			}
			for _, c := range changes {
				if cmp.Or(c.Revision, revision) <= have {
					continue
				}
				if err := applyChange(tx, c); err != nil {
					return err
				}
			}
			return putRevision(tx, revision)
		})
	})
}

func applyChange(tx *bolt.Tx, c Change) error {
	if c.Bucket == string(bucketReplica) {
		return fmt.Errorf("store: bucket %q is local to each copy", c.Bucket)
	}
	if c.Delete {
		if b := tx.Bucket([]byte(c.Bucket)); b != nil {
			return b.Delete(c.Key)
		}
		return nil
	}
	b, err := tx.CreateBucketIfNotExists([]byte(c.Bucket))
	if err != nil {
		return err
	}
	if c.IsSeq() {
		return b.SetSequence(c.Seq)
	}
	return b.Put(c.Key, c.Value)
}

// Reset replaces the whole copy with what load gives (a full read of the
// origin at revision), in one transaction, for a copy that is new, too
// far behind, or of another origin.
func (s *Store) Reset(origin string, revision int64, load func(put func(Change) error) error) error {
	return s.guarded(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			var names [][]byte
			err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, append([]byte(nil), name...))
				return nil
			})
			if err != nil {
				return err
			}
			for _, name := range names {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
			for _, name := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			if err := load(func(c Change) error { return applyChange(tx, c) }); err != nil {
				return err
			}
			b, err := tx.CreateBucketIfNotExists(bucketReplica)
			if err != nil {
				return err
			}
			if err := b.Put(keyOrigin, []byte(origin)); err != nil {
				return err
			}
			return putRevision(tx, revision)
		})
	})
}

// Dump calls fn with every record of the database, bucket by bucket in
// key order, and each bucket's sequence (copying a database between
// stores, and comparing two copies).
func (s *Store) Dump(fn func(Change) error) error {
	return s.guarded(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				if bytes.Equal(name, bucketReplica) {
					return nil
				}
				if seq := b.Sequence(); seq > 0 {
					if err := fn(Change{Bucket: string(name), Seq: seq}); err != nil {
						return err
					}
				}
				c := b.Cursor()
				for k, v := c.First(); k != nil; k, v = c.Next() {
					if v == nil && b.Bucket(k) != nil {
						continue // a nested bucket; canhbao has none
					}
					if v == nil {
						v = []byte{}
					}
					if err := fn(Change{Bucket: string(name), Key: k, Value: v}); err != nil {
						return err
					}
				}
				return nil
			})
		})
	})
}

// Detach makes a copy that followed a cluster a database of its own
// again, for one machine: were it later pointed at the cluster with
// changes made here, it would otherwise pass for an up-to-date copy and
// keep those changes to itself. detached is false when it was no copy.
func (s *Store) Detach() (detached bool, err error) {
	var copied bool
	err = s.View(func(t *Tx) error { copied = t.tx.Bucket(bucketReplica) != nil; return nil })
	if err != nil || !copied {
		return false, err // the usual start: no write, no disk sync
	}
	err = s.guarded(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketReplica) == nil {
				return nil
			}
			detached = true
			return tx.DeleteBucket(bucketReplica)
		})
	})
	return detached, err
}
