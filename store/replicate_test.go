package store

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

// memMirror is an in-memory record of a clustered store's writes, the
// way etcd keeps them, so that every store test also checks that the
// change log misses no write: at its end a fresh copy built from the
// mirror alone must equal the store.
type memMirror struct {
	mu      sync.Mutex
	rev     int64
	records map[string][]byte // bucket \x00 key → value
	seqs    map[string]uint64
	fail    error
}

func newMemMirror() *memMirror {
	return &memMirror{records: map[string][]byte{}, seqs: map[string]uint64{}}
}

func (m *memMirror) Commit(changes []Change) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	for _, c := range changes {
		switch {
		case c.IsSeq():
			m.seqs[c.Bucket] = c.Seq
		case c.Delete:
			delete(m.records, c.Bucket+"\x00"+string(c.Key))
		default:
			m.records[c.Bucket+"\x00"+string(c.Key)] = append([]byte(nil), c.Value...)
		}
	}
	m.rev++
	return m.rev, nil
}

func (m *memMirror) load(put func(Change) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for b, seq := range m.seqs {
		if err := put(Change{Bucket: b, Seq: seq}); err != nil {
			return err
		}
	}
	for k, v := range m.records {
		b, key, _ := bytes.Cut([]byte(k), []byte{0})
		if err := put(Change{Bucket: string(b), Key: key, Value: v}); err != nil {
			return err
		}
	}
	return nil
}

// dump lists every record and sequence of s, in order.
func dump(t testing.TB, s *Store) []string {
	t.Helper()
	var out []string
	err := s.Dump(func(c Change) error {
		if c.IsSeq() {
			out = append(out, fmt.Sprintf("%s seq %d", c.Bucket, c.Seq))
		} else {
			out = append(out, fmt.Sprintf("%s %x=%x", c.Bucket, c.Key, c.Value))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// checkMirrored fails the test when a copy rebuilt from m differs from s.
func checkMirrored(t *testing.T, s *Store, m *memMirror) {
	t.Helper()
	fresh, err := Open(filepath.Join(t.TempDir(), "copy.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	m.mu.Lock()
	rev := m.rev
	m.mu.Unlock()
	if err := fresh.Reset("mem", rev, m.load); err != nil {
		t.Fatal(err)
	}
	want, got := dump(t, s), dump(t, fresh)
	if len(want) != len(got) {
		t.Errorf("a copy from the mirror has %d records, the store %d: a write missed the change log", len(got), len(want))
	}
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			t.Errorf("first difference between the store and a copy from the mirror:\nstore: %.200s\ncopy:  %.200s", want[i], got[i])
			break
		}
	}
}

func TestMirrorFailureRollsBackTheTransaction(t *testing.T) {
	s := openTest(t)
	m := newMemMirror()
	s.SetMirror(m)
	m.fail = fmt.Errorf("no quorum")
	err := s.Update(func(tx *Tx) error { return tx.PutChat(Chat{ID: 7, Agency: "Sở Y tế"}) })
	if err == nil || err.Error() != "no quorum" {
		t.Fatalf("Update = %v, want the mirror's error", err)
	}
	must(t, s.View(func(tx *Tx) error {
		if _, ok, _ := tx.Chat(7); ok {
			t.Error("the local copy kept a write the mirror refused")
		}
		return nil
	}))
	m.fail = nil
}

func TestStandbyRefusesWritesButNotReads(t *testing.T) {
	s := openTest(t)
	approve(t, s, -1001)
	s.SetMirror(nil)
	if err := s.Update(func(tx *Tx) error { return tx.PutChat(Chat{ID: 8}) }); err != ErrStandby {
		t.Fatalf("write on standby = %v, want ErrStandby", err)
	}
	if err := s.Update(func(tx *Tx) error { _, err := tx.Chats(); return err }); err != nil {
		t.Fatalf("a transaction that writes nothing on standby = %v", err)
	}
}

func TestApplySkipsWhatTheCopyHasAndResetReplacesAll(t *testing.T) {
	s := openTest(t)
	s.SetMirror(nil) // a standby's copy
	must(t, s.Apply(5, []Change{{Bucket: "chats", Key: i64(1), Value: []byte(`{"id":1,"agency":"A"}`)}, {Bucket: "alerts", Seq: 9}}))
	must(t, s.Apply(4, []Change{{Bucket: "chats", Key: i64(1), Delete: true}})) // older: skipped
	must(t, s.View(func(tx *Tx) error {
		if _, ok, _ := tx.Chat(1); !ok {
			t.Error("an older revision was applied over a newer one")
		}
		return nil
	}))
	must(t, s.Apply(6, []Change{{Bucket: "chats", Key: i64(1), Delete: true}}))
	rev, _, err := s.Replica()
	must(t, err)
	if rev != 6 {
		t.Errorf("revision = %d, want 6", rev)
	}
	must(t, s.Reset("etcd:x", 40, func(put func(Change) error) error {
		return put(Change{Bucket: "chats", Key: i64(2), Value: []byte(`{"id":2}`)})
	}))
	rev, origin, err := s.Replica()
	must(t, err)
	if rev != 40 || origin != "etcd:x" {
		t.Errorf("after Reset: revision %d origin %q", rev, origin)
	}
	if got := dump(t, s); len(got) != 1 {
		t.Errorf("after Reset the copy holds %v, want only what was loaded", got)
	}
}

func TestDetachMakesACopyADatabaseOfItsOwn(t *testing.T) {
	s := openTest(t)
	s.SetMirror(nil)
	if detached, err := s.Detach(); err != nil || detached {
		t.Fatalf("Detach of a database that never followed a cluster = %v, %v", detached, err)
	}
	must(t, s.Reset("etcd x /p/", 7, func(func(Change) error) error { return nil }))
	if detached, err := s.Detach(); err != nil || !detached {
		t.Fatalf("Detach of a copy = %v, %v", detached, err)
	}
	if rev, origin, err := s.Replica(); err != nil || rev != 0 || origin != "" {
		t.Errorf("after Detach: revision %d, origin %q, %v", rev, origin, err)
	}
}
