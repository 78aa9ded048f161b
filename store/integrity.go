package store

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged is returned (wrapped, with what was found) when the database
// file is damaged: it fails bbolt's consistency check at start, or bbolt
// panicked or hit a memory fault while reading it. The service must stop
// rather than run on damaged data; the README says how to recover.
var ErrDamaged = errors.New("database damaged: restore from a backup, see README")

// FullCheckMax is the largest file that Open checks in full (every page
// walked, every record read, bbolt's Tx.Check). Larger files get the cheap
// structural check only, so that a start-up never waits minutes; `canhbao
// check` checks any size in full. The full check reads 85–150 MB/s on a
// small server (BenchmarkOpenCheck), so 256 MiB take two to three seconds.
const FullCheckMax = 256 << 20

// jsonBuckets hold one JSON document per key; the full check decodes
// them, because bbolt keeps no checksums of values.
var jsonBuckets = map[string]bool{
	string(bucketAlerts): true, string(bucketChats): true, string(bucketDeliveries): true,
	string(bucketAcks): true, string(bucketOutbox): true, string(bucketSources): true,
	string(bucketAudit): true,
}

// damage remembers the first damage seen while running, so that every
// later transaction fails at once and the service can stop.
type damage struct {
	once sync.Once
	err  atomic.Pointer[error]
	seen chan struct{}
}

func newDamage() *damage { return &damage{seen: make(chan struct{})} }

func (d *damage) record(err error) error {
	d.once.Do(func() {
		d.err.Store(&err)
		close(d.seen)
	})
	return *d.err.Load()
}

func (d *damage) get() error {
	if p := d.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Damaged is closed when a transaction found the file damaged. The service
// stops on it instead of crash-looping on the same bad pages; Err says
// what was found.
func (s *Store) Damaged() <-chan struct{} { return s.damage.seen }

// Err is the damage found while running, nil while the file is sound.
func (s *Store) Err() error { return s.damage.get() }

// damaged wraps ErrDamaged with the file and what was wrong, on one line.
func damaged(path, detail string) error {
	detail = strings.Join(strings.Fields(detail), " ")
	if len(detail) > 300 {
		detail = detail[:300] + "…"
	}
	return fmt.Errorf("%w (%s: %s)", ErrDamaged, path, detail)
}

// guard runs fn with memory faults turned into panics (bbolt reads the
// file through mmap: a truncated file raises SIGBUS, a wild page number
// SIGSEGV) and turns a panic that comes from bbolt or from such a fault
// into a damage error. Any other panic is a bug and goes on.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if !fromBolt(r) {
			panic(r)
		}
		err = damaged(path, fmt.Sprint(r))
	}()
	return fn()
}

// fromBolt reports whether the panic being recovered is a memory fault
// or was raised inside bbolt. It must be called from the deferred
// function, while the panicking frames are still on the stack.
func fromBolt(r any) bool {
	if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr() != 0 {
		return true // a fault at a real address: the mapped file
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && strings.HasPrefix(f.Function, "runtime."):
		case panicking:
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

// openBolt opens the file with bbolt, refusing an empty file (bbolt would
// silently make it a new database) and turning bbolt's panics and its
// "not a database" errors into ErrDamaged.
func openBolt(path string, opt Options) (db *bolt.DB, file *os.File, err error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		return nil, nil, damaged(path, "the file is empty (0 bytes)")
	}
	// A panic inside bolt.Open leaves its file open, mapped and locked;
	// keeping the file lets us unlock and close it, so that the lock goes
	// with the error (the mapping alone would keep a flock alive).
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	err = guard(path, func() error {
		var err error
		// PreLoadFreelist reads the free page list here, under the guard,
		// also when read-only.
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.LockTimeout, ReadOnly: opt.ReadOnly,
			PreLoadFreelist: true, OpenFile: openFile})
		return err
	})
	if errors.Is(err, ErrDamaged) && db == nil && file != nil {
		unlock(file)
		file.Close()
	}
	for _, e := range []error{bolt.ErrInvalid, bolt.ErrChecksum, bolt.ErrVersionMismatch, bolt.ErrInvalidMapping} {
		if errors.Is(err, e) {
			return nil, nil, damaged(path, err.Error())
		}
	}
	return db, file, err
}

// check looks the open file over before anything runs on it. The cheap
// part always runs: the file must be as long as bbolt's own index says.
// The full part, for files up to maxFull bytes (all when maxFull < 0),
// reads every record of every bucket (so that a wild page or length
// faults here, under the guard, rather than in the sender) and then runs
// bbolt's Tx.Check (free list, unreachable and doubly used pages, key
// order).
func (s *Store) check(maxFull int64) error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return guard(s.path, func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			if tx.Size() > fi.Size() {
				return damaged(s.path, fmt.Sprintf("the file has %d bytes but its index needs %d (truncated?)", fi.Size(), tx.Size()))
			}
			if maxFull >= 0 && fi.Size() > maxFull {
				return nil
			}
			err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return walkBucket(b, jsonBuckets[string(name)], string(name))
			})
			if err != nil {
				return damaged(s.path, err.Error())
			}
			var first error
			n := 0
			for err := range tx.Check() {
				if first == nil {
					first = err
				}
				n++
			}
			if first != nil {
				return damaged(s.path, fmt.Sprintf("%v (%d problems found)", first, n))
			}
			return nil
		})
	})
}

// walkBucket reads every key and value under b.
func walkBucket(b *bolt.Bucket, isJSON bool, name string) error {
	c := b.Cursor()
	var sum byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				if err := walkBucket(child, false, name+"/"+string(k)); err != nil {
					return err
				}
			}
			continue
		}
		if isJSON && !readableRecord(v) {
			return fmt.Errorf("bucket %s, key %x: the record is not readable", name, k)
		}
		for _, x := range k {
			sum += x
		}
		for _, x := range v {
			sum += x
		}
	}
	touched.Store(uint32(sum))
	return nil
}

// touched keeps the byte sum of walkBucket so that the reads are done.
var touched atomic.Uint32

// Check checks the database at path in full, whatever its size, and
// returns nil or an ErrDamaged error saying what is wrong. It opens the
// file read-only, so it needs the service stopped.
func Check(path string) error {
	st, err := open(path, Options{ReadOnly: true}, -1)
	if err != nil {
		return err
	}
	return st.Close()
}
