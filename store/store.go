package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. Keys are big-endian so that cursors walk them in order.
var (
	bucketMeta       = []byte("meta")       // "offset" → last handled update id
	bucketAlerts     = []byte("alerts")     // alert id → Alert
	bucketAlertKeys  = []byte("alert_keys") // source \x00 key → alert id
	bucketCVEs       = []byte("cves")       // CVE id \x00 alert id → nothing
	bucketChats      = []byte("chats")      // chat id → Chat
	bucketDeliveries = []byte("deliveries") // alert id, chat id → Delivery
	bucketByChat     = []byte("by_chat")    // chat id, alert id → nothing
	bucketAcks       = []byte("acks")       // alert id, chat id, user id → Ack
	bucketOutbox     = []byte("outbox")     // entry id → Outgoing
	bucketSources    = []byte("sources")    // name → Source
	bucketAudit      = []byte("audit")      // entry id → AuditEntry
	// bucketOpen indexes sent deliveries nobody has acknowledged: an entry
	// is added when the card is sent and stays until the chat acknowledges
	// the alert, with flags for the reminder and escalation already queued.
	// The reminder scan and /overdue read it so that they never walk the
	// whole history.
	bucketOpen = []byte("open") // alert id, chat id → openEntry
	// bucketMessages remembers what each message sent to a chat about
	// alerts stands for (card, digest, reminder, follow-up, letter, note
	// prompt), so that a reply to any of them acknowledges.
	bucketMessages = []byte("messages") // chat id, message id → SentMessage
	allBuckets     = [][]byte{bucketMeta, bucketAlerts, bucketAlertKeys, bucketCVEs, bucketChats,
		bucketDeliveries, bucketByChat, bucketAcks, bucketOutbox, bucketSources, bucketAudit, bucketOpen, bucketMessages}
)

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("store: database is in use by another process")

// ErrNotFound is returned when a record asked for by id does not exist.
var ErrNotFound = errors.New("store: not found")

// Store is the bbolt database: the only code in canhbao that reads or
// writes it.
type Store struct {
	db     *bolt.DB
	path   string
	damage *damage
	// file is bbolt's file, kept to release it after damage.
	file *os.File
	// mirror is set in clustered mode (see SetMirror).
	mirror atomic.Pointer[mirrorRef]
	// outboxGen moves whenever a transaction rewrites or removes outbox
	// entries, other than the sender recording its own outcomes (see
	// OutboxGeneration).
	outboxGen atomic.Uint64
}

// Options tune Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file before it gives up with ErrLocked.
	LockTimeout time.Duration
	// ReadOnly opens the file for reading only (backup, export).
	ReadOnly bool
}

// Open opens (creating if needed) the database at path and checks it
// (see check): a damaged file gives an ErrDamaged error, never a panic.
func Open(path string, opt Options) (*Store, error) {
	return open(path, opt, FullCheckMax)
}

func open(path string, opt Options, maxFull int64) (*Store, error) {
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = time.Second
	}
	if !opt.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: create folder: %w", err)
		}
	}
	db, file, err := openBolt(path, opt)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (is canhbao already running?)", ErrLocked, path)
	}
	if errors.Is(err, ErrDamaged) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, damage: newDamage(), file: file}
	if err := s.check(maxFull); err != nil {
		s.damage.record(err)
		s.Close()
		return nil, err
	}
	if opt.ReadOnly {
		return s, nil
	}
	err = s.guarded(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			for _, b := range allBuckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if errors.Is(err, ErrDamaged) {
		s.Close()
		return nil, err
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	return s, nil
}

// Close releases the file. After damage was found, a panic may have left
// bbolt's locks held, so Close then only unlocks and closes the file (the
// process is about to exit) instead of waiting for bbolt forever.
func (s *Store) Close() error {
	if s.damage.get() != nil && s.file != nil {
		unlock(s.file)
		return s.file.Close()
	}
	return s.db.Close()
}

// Path is the database file, beside which the control socket lives.
func (s *Store) Path() string { return s.path }

// Tx is one bbolt transaction seen through the data model. Handlers use it
// to make a state change, queue their replies and record the update as
// handled, all or nothing.
type Tx struct {
	tx  *bolt.Tx
	log *changeLog // the writes, in clustered mode
	// buckets are the wrappers handed out so far (see wrap).
	buckets []*bucket
	// outboxRewritten is set when the transaction changes or removes an
	// outbox entry (see Store.OutboxGeneration).
	outboxRewritten bool
}

// Update runs fn in a read-write transaction. A panic or memory fault in
// bbolt (a damaged file) rolls it back and returns an ErrDamaged error, as
// does every transaction after one found damage.
func (s *Store) Update(fn func(*Tx) error) error {
	rewritten := false
	err := s.guarded(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			ref := s.mirror.Load()
			t := &Tx{tx: tx}
			if ref != nil {
				t.log = &changeLog{}
			}
			err := fn(t)
			if rewritten = t.outboxRewritten; rewritten {
				s.outboxGen.Add(1) // before the commit, for senders about to send
			}
			if err != nil || ref == nil {
				return err
			}
			return t.commitMirror(ref.m)
		})
	})
	if rewritten {
		s.outboxGen.Add(1) // after it, for a reader that looked in between
	}
	return err
}

// OutboxGeneration changes whenever a transaction rewrites or removes
// queued entries (an unsubscription, a chat gone, a migration, an erased
// person), except the sender's own Complete. The sender reads it before it
// reads the outbox; while it is unchanged, the entries it read are still
// as stored, and a worker need not read each one again before sending it.
func (s *Store) OutboxGeneration() uint64 { return s.outboxGen.Load() }

// View runs fn in a read-only transaction, guarded as Update.
func (s *Store) View(fn func(*Tx) error) error {
	return s.guarded(func() error {
		return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
	})
}

// guarded runs one transaction under guard and remembers damage.
func (s *Store) guarded(fn func() error) error {
	if err := s.damage.get(); err != nil {
		return err
	}
	err := guard(s.path, fn)
	if errors.Is(err, ErrDamaged) {
		return s.damage.record(err)
	}
	return err
}

// bucket is the named bucket, nil when it was never created.
func (t *Tx) bucket(name []byte) *bucket {
	for _, w := range t.buckets {
		if w.name == string(name) {
			return w
		}
	}
	return t.wrap(name, t.tx.Bucket(name))
}

// get decodes the value at key into v and reports whether it was there.
func (t *Tx) get(bucket, key []byte, v any) (bool, error) {
	b := t.bucket(bucket)
	if b == nil {
		return false, nil
	}
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := unmarshalRecord(data, v); err != nil {
		return false, fmt.Errorf("store: decode %s/%x: %w", bucket, key, err)
	}
	return true, nil
}

func (t *Tx) put(bucket, key []byte, v any) error {
	if data, ok := appendCompactRecord(v); ok {
		return t.bucket(bucket).Put(key, data)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", bucket, err)
	}
	return t.bucket(bucket).Put(key, data)
}

// each calls fn for every value under prefix, in key order. v is zeroed
// and reused for the next value (a walk over thousands of records then
// allocates one), so fn copies what it keeps. Returning errStop from fn
// ends the walk without error.
func each[T any](t *Tx, bucket, prefix []byte, fn func(k []byte, v *T) error) error {
	b := t.bucket(bucket)
	if b == nil {
		return nil
	}
	v := new(T)
	c := b.Cursor()
	for k, data := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, data = c.Next() {
		*v = *new(T)
		if err := unmarshalRecord(data, v); err != nil {
			return fmt.Errorf("store: decode %s/%x: %w", bucket, k, err)
		}
		if err := fn(k, v); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

var errStop = errors.New("stop")

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// i64 encodes a signed id so that negative group ids sort before positive
// user ids.
func i64(v int64) []byte { return u64(uint64(v) ^ 1<<63) }

func readU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
func readI64(b []byte) int64  { return int64(readU64(b) ^ 1<<63) }

func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func deliveryKey(alert uint64, chat int64) []byte { return join(u64(alert), i64(chat)) }
func byChatKey(chat int64, alert uint64) []byte   { return join(i64(chat), u64(alert)) }
func ackKey(alert uint64, chat, user int64) []byte {
	return join(u64(alert), i64(chat), i64(user))
}

func jsonDecode(data []byte, v any) error {
	if err := unmarshalRecord(data, v); err != nil {
		return fmt.Errorf("store: decode: %w", err)
	}
	return nil
}

// unmarshalRecord decodes a stored record: JSON, or the compact form of an
// outbox entry or a delivery.
func unmarshalRecord(data []byte, v any) error {
	if handled, err := decodeCompactRecord(data, v); handled {
		return err
	}
	return json.Unmarshal(data, v)
}

type boltTx = bolt.Tx

// IsNotFound reports whether err says a record does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
