package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/store/storetest"
)

var t0 = time.Date(2026, 9, 1, 18, 0, 0, 0, time.UTC)

const dept = int64(-1009000000001)

// seeded is a bbolt database as a service leaves it: approved groups,
// alerts (some with long texts, so that etcd's byte limit binds before
// its operation limit), deliveries sent and queued, acknowledgements, and
// bucket sequences.
type seeded struct {
	alerts, deliveries, acks, outbox int
}

func seed(t testing.TB, s *store.Store, groups, alerts int) seeded {
	t.Helper()
	must(t, s.Update(func(tx *store.Tx) error {
		for i := range groups {
			if err := tx.PutChat(store.Chat{ID: -int64(100 + i), Agency: fmt.Sprintf("Đơn vị %d", i), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return tx.PutSource(store.Source{Name: "vncert", LastSuccess: t0})
	}))
	items := make([]store.Alert, alerts)
	for i := range items {
		items[i] = store.Alert{Key: fmt.Sprintf("k%d", i), Title: fmt.Sprintf("Lỗ hổng %d", i), Severity: store.SeverityHigh,
			Summary: strings.Repeat("Nội dung cảnh báo dài. ", 2000), Published: t0.Add(time.Duration(i) * time.Minute)}
	}
	res, err := s.Ingest("vncert", items, store.IngestOptions{Now: t0, Backfill: 1 << 62, DigestOver: 1000, DeptChat: dept})
	must(t, err)
	var out []store.Outgoing
	must(t, s.View(func(tx *store.Tx) (err error) { out, err = tx.Outbox(); return err }))
	var results []store.Result
	for i, o := range out[:len(out)/2] {
		results = append(results, store.Result{ID: o.ID, Status: store.Sent, At: t0, MessageID: 1000 + i})
	}
	must(t, s.Complete(dept, results))
	want := seeded{alerts: len(res.New), deliveries: len(out), outbox: len(out) - len(results)}
	must(t, s.Update(func(tx *store.Tx) error {
		for i, a := range res.New {
			for u := range i % 3 {
				if _, err := tx.AddAck(store.Ack{AlertID: a.ID, ChatID: -100, UserID: int64(7 + u), Name: "Nguyễn Văn A", At: t0.Add(time.Hour)}); err != nil {
					return err
				}
				want.acks++
			}
		}
		return tx.SetOffset(4242, t0)
	}))
	return want
}

func (w seeded) check(t *testing.T, side string, c Counts) {
	t.Helper()
	if c.Alerts != w.alerts || c.Deliveries != w.deliveries || c.Acks != w.acks || c.Outbox != w.outbox {
		t.Errorf("%s: %d alerts, %d deliveries, %d acknowledgements, %d outbox entries; want %+v",
			side, c.Alerts, c.Deliveries, c.Acks, c.Outbox, w)
	}
	if c.Records < w.alerts+w.deliveries+w.acks+w.outbox || c.Sequences == 0 {
		t.Errorf("%s: %d records, %d sequences", side, c.Records, c.Sequences)
	}
}

// txnLog is a KV that notes the size of every transaction written through
// it, and may run something after the n-th one.
type txnLog struct {
	clientv3.KV
	mu    sync.Mutex
	ops   []int
	bytes []int
	after map[int]func()
}

func (k *txnLog) Txn(ctx context.Context) clientv3.Txn {
	return &loggedTxn{Txn: k.KV.Txn(ctx), log: k}
}

type loggedTxn struct {
	clientv3.Txn
	log *txnLog
	ops []clientv3.Op
}

func (t *loggedTxn) If(cs ...clientv3.Cmp) clientv3.Txn   { t.Txn = t.Txn.If(cs...); return t }
func (t *loggedTxn) Else(ops ...clientv3.Op) clientv3.Txn { t.Txn = t.Txn.Else(ops...); return t }
func (t *loggedTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	t.ops = append(t.ops, ops...)
	t.Txn = t.Txn.Then(ops...)
	return t
}

func (t *loggedTxn) Commit() (*clientv3.TxnResponse, error) {
	size := 0
	for _, op := range t.ops {
		size += len(op.KeyBytes()) + len(op.ValueBytes())
	}
	resp, err := t.Txn.Commit()
	t.log.mu.Lock()
	t.log.ops = append(t.log.ops, len(t.ops))
	t.log.bytes = append(t.log.bytes, size)
	then := t.log.after[len(t.log.ops)]
	t.log.mu.Unlock()
	if then != nil {
		then()
	}
	return resp, err
}

func (k *txnLog) txns() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.ops)
}

// TestMigrateToEtcdAndBack copies a database into etcd, starts a node on
// it (which must find the same records and go on numbering), and copies
// the cluster's data back into a new file.
func TestMigrateToEtcdAndBack(t *testing.T) {
	ctx := context.Background()
	p := newPrefix()
	src := openStore(t)
	want := seed(t, src, 60, 40)
	cli := client(t, shared.Endpoints())
	kv := &txnLog{KV: cli}

	res, err := ToEtcd(ctx, kv, p, src, false)
	if err != nil {
		t.Fatalf("ToEtcd: %v", err)
	}
	want.check(t, "source", res.Source)
	want.check(t, "etcd after", res.After)
	if res.After != res.Source || res.Unchanged || !res.Before.Empty() {
		t.Errorf("result %+v", res)
	}
	biggest := 0
	for i := range kv.ops {
		if kv.ops[i] > 120 || kv.bytes[i] > 1<<20 {
			t.Errorf("transaction %d: %d operations, %d bytes; etcd's limits are 128 and 1.5 MiB", i, kv.ops[i], kv.bytes[i])
		}
		biggest = max(biggest, kv.bytes[i])
	}
	if len(kv.ops) < 5 || biggest < 1<<19 {
		t.Errorf("%d transactions, the largest %d bytes: the test data no longer exercises the limits", len(kv.ops), biggest)
	}
	if r, err := cli.Get(ctx, p+"migrating"); err != nil || len(r.Kvs) != 0 {
		t.Errorf("the migration marker is left: %v %v", r, err)
	}

	// A new node reads exactly the records of the file.
	if got, want := storetest.Records(t, copyOf(t, p)), storetest.Records(t, src); !slices.Equal(got, want) {
		t.Fatalf("a node's copy of etcd differs from the migrated file: %d records against %d", len(got), len(want))
	}
	n := startNode(t, p, "a")
	n.waitLeading(t)
	if got, want := storetest.Records(t, n.Store), storetest.Records(t, src); !slices.Equal(got, want) {
		t.Fatalf("the active node's copy differs from the migrated file: %d records against %d", len(got), len(want))
	}
	var last uint64
	must(t, src.View(func(tx *store.Tx) error { last = tx.LastAlertID(); return nil }))
	more, err := n.Store.Ingest("vncert", []store.Alert{{Key: "new", Title: "Lỗ hổng mới", Severity: store.SeverityHigh}},
		store.IngestOptions{Now: t0.Add(time.Hour), Backfill: 1 << 62, DigestOver: 1000, DeptChat: dept})
	must(t, err)
	if len(more.New) != 1 || more.New[0].ID != last+1 {
		t.Errorf("the node numbered its first alert %v, want %d (the sequence must move with the data)", more.New, last+1)
	}

	// Back to a file: refused while the node leads, then exact.
	dst := openStore(t)
	if _, err := ToBbolt(ctx, cli, p, dst, false); !errors.Is(err, ErrActive) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("ToBbolt while a node leads = %v, want ErrActive naming it", err)
	}
	n.stop()
	back, err := ToBbolt(ctx, cli, p, dst, false)
	if err != nil {
		t.Fatalf("ToBbolt: %v", err)
	}
	if got, want := storetest.Records(t, dst), storetest.Records(t, n.Store); !slices.Equal(got, want) {
		t.Errorf("the file differs from the cluster's data: %d records against %d", len(got), len(want))
	}
	if back.After != back.Source || back.Source.Alerts != want.alerts+1 {
		t.Errorf("back: %+v", back)
	}
	if rev, origin, err := dst.Replica(); err != nil || rev != 0 || origin != "" {
		t.Errorf("the file still says it follows %q at %d (%v); it is a database of its own", origin, rev, err)
	}
}

func revision(t *testing.T, cli *clientv3.Client, p string) int64 {
	t.Helper()
	r, err := cli.Get(context.Background(), p, clientv3.WithPrefix(), clientv3.WithCountOnly())
	must(t, err)
	return r.Header.Revision
}

// TestMigrateToEtcdTarget runs a migration against each state the target
// may be in.
func TestMigrateToEtcdTarget(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	seed(t, src, 8, 3)
	other := openStore(t)
	seed(t, other, 9, 2)
	cli := client(t, shared.Endpoints())
	tests := []struct {
		name      string
		before    func(t *testing.T, p string) // the target's state
		force     bool
		err       error
		unchanged bool
		resumed   bool
	}{
		{name: "empty", before: func(*testing.T, string) {}},
		{name: "same data: second run", before: func(t *testing.T, p string) { _, err := ToEtcd(ctx, cli, p, src, false); must(t, err) }, unchanged: true},
		{name: "other data", before: func(t *testing.T, p string) { _, err := ToEtcd(ctx, cli, p, other, false); must(t, err) }, err: ErrTargetDiffers},
		{name: "other data, forced", before: func(t *testing.T, p string) { _, err := ToEtcd(ctx, cli, p, other, false); must(t, err) }, force: true},
		{name: "the cluster ran since", before: func(t *testing.T, p string) {
			_, err := ToEtcd(ctx, cli, p, src, false)
			must(t, err)
			_, err = cli.Put(ctx, p+"data/acks/late", "an acknowledgement made on the cluster")
			must(t, err)
		}, err: ErrTargetDiffers},
		{name: "only a committed journal", before: func(t *testing.T, p string) {
			_, err := cli.Put(ctx, p+"journal/x-1/commit", "1")
			must(t, err)
		}, err: ErrTargetDiffers},
		{name: "a node leads", before: func(t *testing.T, p string) {
			_, err := cli.Put(ctx, p+"leader/694d7a", "node-b")
			must(t, err)
		}, force: true, err: ErrActive},
		{name: "interrupted, same data", before: func(t *testing.T, p string) {
			_, err := ToEtcd(ctx, cli, p, src, false)
			must(t, err)
			c, err := CountStore(src)
			must(t, err)
			_, err = cli.Put(ctx, p+"migrating", fmt.Sprintf("%x", c.Digest))
			must(t, err)
			_, err = cli.Delete(ctx, p+"data/alerts/", clientv3.WithPrefix())
			must(t, err)
		}, resumed: true},
		{name: "interrupted, other data", before: func(t *testing.T, p string) {
			_, err := cli.Put(ctx, p+"migrating", "0123")
			must(t, err)
		}, err: ErrTargetDiffers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrefix()
			tc.before(t, p)
			rev := revision(t, cli, p)
			res, err := ToEtcd(ctx, cli, p, src, tc.force)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ToEtcd = %v, want %v", err, tc.err)
			}
			if tc.err != nil || tc.unchanged {
				if got := revision(t, cli, p); got != rev {
					t.Errorf("etcd was written (revision %d → %d)", rev, got)
				}
				if res.Unchanged != tc.unchanged {
					t.Errorf("unchanged = %v", res.Unchanged)
				}
				return
			}
			if res.Resumed != tc.resumed || res.Unchanged {
				t.Errorf("result %+v", res)
			}
			if got, want := storetest.Records(t, copyOf(t, p)), storetest.Records(t, src); !slices.Equal(got, want) {
				t.Errorf("etcd holds %d records, the file %d", len(got), len(want))
			}
			left, err := cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithKeysOnly())
			must(t, err)
			for _, kv := range left.Kvs {
				if k := string(kv.Key); !strings.HasPrefix(k, p+"data/") && !strings.HasPrefix(k, p+"seq/") {
					t.Errorf("left in etcd: %s", k)
				}
			}
		})
	}
}

// TestMigrationStopsWhenANodeLeads: a node that starts leading half way
// through stops the migration at its next write.
func TestMigrationStopsWhenANodeLeads(t *testing.T) {
	ctx := context.Background()
	p := newPrefix()
	src := openStore(t)
	seed(t, src, 60, 10)
	cli := client(t, shared.Endpoints())
	kv := &txnLog{KV: cli, after: map[int]func(){2: func() {
		_, err := cli.Put(ctx, p+"leader/1", "node-b")
		must(t, err)
	}}}
	if _, err := ToEtcd(ctx, kv, p, src, false); !errors.Is(err, ErrActive) {
		t.Fatalf("ToEtcd = %v, want ErrActive", err)
	}
	if n := kv.txns(); n != 3 {
		t.Errorf("%d transactions tried, want 3 (the third refused)", n)
	}
	// Once the node is gone, running it again finishes the copy.
	_, err := cli.Delete(ctx, p+"leader/1")
	must(t, err)
	res, err := ToEtcd(ctx, cli, p, src, false)
	if err != nil || !res.Resumed {
		t.Fatalf("the second run: %+v, %v", res, err)
	}
	if got, want := storetest.Records(t, copyOf(t, p)), storetest.Records(t, src); !slices.Equal(got, want) {
		t.Errorf("etcd holds %d records, the file %d", len(got), len(want))
	}
}

// TestMigrateToBboltTarget runs a migration back against each state the
// file and etcd may be in.
func TestMigrateToBboltTarget(t *testing.T) {
	ctx := context.Background()
	cli := client(t, shared.Endpoints())
	a, b := openStore(t), openStore(t)
	seed(t, a, 8, 3)
	seed(t, b, 5, 4)
	tests := []struct {
		name      string
		etcd      func(t *testing.T, p string)
		file      *store.Store // copied into the target first
		origin    string       // the cluster the file says it follows
		force     bool
		err       error
		unchanged bool
	}{
		{name: "new file"},
		{name: "same data: second run", file: a, unchanged: true},
		{name: "same data in a node's copy", file: a, origin: "etcd 1 /p/"},
		{name: "other data", file: b, err: ErrTargetDiffers},
		{name: "other data, forced", file: b, force: true},
		{name: "no data in etcd", etcd: func(t *testing.T, p string) {
			_, err := cli.Delete(ctx, p, clientv3.WithPrefix())
			must(t, err)
		}, force: true, err: ErrNothing},
		{name: "a node leads", etcd: func(t *testing.T, p string) {
			_, err := cli.Put(ctx, p+"leader/694d7a", "node-b")
			must(t, err)
		}, force: true, err: ErrActive},
		{name: "a committed journal", etcd: func(t *testing.T, p string) {
			_, err := cli.Put(ctx, p+"journal/x-1/commit", "1")
			must(t, err)
		}, err: ErrUnfinished},
		{name: "an interrupted migration", etcd: func(t *testing.T, p string) {
			_, err := cli.Put(ctx, p+"migrating", "0123")
			must(t, err)
		}, err: ErrUnfinished},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrefix()
			_, err := ToEtcd(ctx, cli, p, a, false)
			must(t, err)
			if tc.etcd != nil {
				tc.etcd(t, p)
			}
			path := filepath.Join(t.TempDir(), "back.db")
			dst, err := store.Open(path, store.Options{})
			must(t, err)
			defer dst.Close()
			if tc.file != nil {
				must(t, dst.Reset(tc.origin, 7, func(put func(store.Change) error) error { return tc.file.Dump(put) }))
			}
			before, file := storetest.Records(t, dst), readFile(t, path)
			res, err := ToBbolt(ctx, cli, p, dst, tc.force)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ToBbolt = %v, want %v", err, tc.err)
			}
			if res.Unchanged != tc.unchanged {
				t.Errorf("unchanged = %v", res.Unchanged)
			}
			want := storetest.Records(t, a)
			if tc.err != nil || tc.unchanged {
				want = before
				if !bytes.Equal(readFile(t, path), file) {
					t.Error("the file was written")
				}
			}
			if got := storetest.Records(t, dst); !slices.Equal(got, want) {
				t.Errorf("the file holds %d records, want %d", len(got), len(want))
			}
			if _, origin, _ := dst.Replica(); tc.err == nil && origin != "" {
				t.Errorf("the file still follows %q", origin)
			}
		})
	}
}

// TestMigrateNothing: an empty side is a wrong file or prefix; it never
// empties the other.
func TestMigrateNothing(t *testing.T) {
	ctx := context.Background()
	cli := client(t, shared.Endpoints())
	p := newPrefix()
	_, err := cli.Put(ctx, p+"data/chats/x", "1")
	must(t, err)
	if _, err := ToEtcd(ctx, cli, p, openStore(t), true); !errors.Is(err, ErrNothing) {
		t.Errorf("ToEtcd from an empty database = %v, want ErrNothing", err)
	}
	if r, err := cli.Get(ctx, p+"data/chats/x"); err != nil || len(r.Kvs) != 1 {
		t.Errorf("etcd's record is gone: %v %v", r, err)
	}
}

// TestCountsTellDataApart: any record, value or sequence that differs
// gives other counts; the same data gives the same, whatever the order.
func TestCountsTellDataApart(t *testing.T) {
	base := []store.Change{
		{Bucket: "alerts", Seq: 2},
		{Bucket: "alerts", Key: []byte{0, 1}, Value: []byte("a")},
		{Bucket: "alerts", Key: []byte{0, 2}, Value: []byte("b")},
		{Bucket: "acks", Key: []byte("x"), Value: []byte{}},
		{Bucket: "outbox", Key: []byte("o"), Value: []byte("1")},
		{Bucket: "deliveries", Key: []byte("d"), Value: []byte("1")},
	}
	sum := func(cs []store.Change) Counts {
		var n counter
		for _, c := range cs {
			must(t, n.add(c))
		}
		return n.sum()
	}
	want := sum(base)
	if want.Alerts != 2 || want.Acks != 1 || want.Outbox != 1 || want.Deliveries != 1 || want.Records != 5 || want.Sequences != 1 {
		t.Fatalf("counts %+v", want)
	}
	reordered := append([]store.Change{base[3], base[4]}, base[0], base[1], base[5], base[2])
	if sum(reordered) != want {
		t.Error("the same records listed bucket by bucket in another order count otherwise")
	}
	changes := map[string]func([]store.Change) []store.Change{
		"a value": func(cs []store.Change) []store.Change { cs[1].Value = []byte("A"); return cs },
		"a key":   func(cs []store.Change) []store.Change { cs[2].Key = []byte{0, 3}; return cs },
		"a sequence": func(cs []store.Change) []store.Change {
			cs[0].Seq = 3
			return cs
		},
		"a bucket":         func(cs []store.Change) []store.Change { cs[3].Bucket = "audit"; return cs },
		"a missing record": func(cs []store.Change) []store.Change { return cs[1:] },
		"key and value moved": func(cs []store.Change) []store.Change {
			cs[1].Key, cs[1].Value = []byte{0, 1, 'a'}, nil
			return cs
		},
	}
	for name, change := range changes {
		if sum(change(slices.Clone(base))) == want {
			t.Errorf("%s changed, the counts did not", name)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

// TestCountsSkipReplicaBookkeeping: which revision a node's copy reached
// is local to it, not data to compare.
func TestCountsSkipReplicaBookkeeping(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	must(t, err)
	defer s.Close()
	must(t, s.Reset("etcd 1 /p/", 99, func(func(store.Change) error) error { return nil }))
	c, err := CountStore(s)
	must(t, err)
	if !c.Empty() {
		t.Errorf("a copy with only its replica bookkeeping counts %+v", c)
	}
}

// BenchmarkMigrate copies a database of 600 groups × 20 alerts (12,000
// deliveries, half still in the outbox) into etcd and back, and reports
// records per second each way.
func BenchmarkMigrate(b *testing.B) {
	ctx := context.Background()
	src := openStore(b)
	seed(b, src, 600, 20)
	cli := client(b, shared.Endpoints())
	c, err := CountStore(src)
	must(b, err)
	b.ResetTimer()
	var into, back time.Duration
	for range b.N {
		p := newPrefix()
		start := time.Now()
		_, err := ToEtcd(ctx, cli, p, src, false)
		must(b, err)
		into += time.Since(start)
		start = time.Now()
		_, err = ToBbolt(ctx, cli, p, openStore(b), false)
		must(b, err)
		back += time.Since(start)
	}
	b.ReportMetric(float64(c.Records*b.N)/into.Seconds(), "records/s-into-etcd")
	b.ReportMetric(float64(c.Records*b.N)/back.Seconds(), "records/s-back")
	b.ReportMetric(float64(c.Records), "records")
}

// TestMigratedFileIsTheFirstNodesCopy: a node refuses a database of its
// own; once migrated and adopted, the same file is a node's copy, and the
// node starts on it without reading everything again.
func TestMigratedFileIsTheFirstNodesCopy(t *testing.T) {
	ctx := context.Background()
	p := newPrefix()
	cli := client(t, shared.Endpoints())
	src, other := openStore(t), openStore(t)
	seed(t, src, 20, 5)
	seed(t, other, 3, 1)
	want := storetest.Records(t, src)
	_, err := ToEtcd(ctx, cli, p, src, false)
	must(t, err)
	node := func(s *store.Store) *Node {
		return &Node{Client: cli, Store: s, Log: quiet(), Config: Config{Prefix: p, NodeName: "a", LeaseTTL: 2 * time.Second}}
	}
	if err := node(src).Run(ctx); !errors.Is(err, ErrNotACopy) {
		t.Fatalf("a node on the file before Adopt: %v, want ErrNotACopy", err)
	}
	if err := Adopt(ctx, cli, p, other); !errors.Is(err, ErrTargetDiffers) {
		t.Errorf("Adopt of a file holding other records = %v, want ErrTargetDiffers", err)
	}
	if _, origin, _ := other.Replica(); origin != "" {
		t.Errorf("the other file was made a copy of %q", origin)
	}
	must(t, Adopt(ctx, cli, p, src))
	rev, origin, err := src.Replica()
	must(t, err)
	if follows, err := (&Follower{Client: cli, Prefix: p}).origin(ctx); err != nil || origin != follows || rev == 0 {
		t.Fatalf("the file follows %q at %d, a node's copy follows %q (%v)", origin, rev, follows, err)
	}
	if got := storetest.Records(t, src); !slices.Equal(got, want) {
		t.Fatalf("Adopt changed the records: %d, want %d", len(got), len(want))
	}
	_, err = cli.Put(ctx, p+"unrelated", "x") // etcd moves on
	must(t, err)
	must(t, Adopt(ctx, cli, p, src))
	if again, _, _ := src.Replica(); again != rev {
		t.Errorf("a second Adopt rewrote the copy (revision %d → %d)", rev, again)
	}

	leading := make(chan struct{}, 1)
	n := node(src)
	n.Lead = func(ctx context.Context) error { leading <- struct{}{}; <-ctx.Done(); return nil }
	nctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(nctx) }()
	defer func() { stop(); <-done }()
	select {
	case <-leading:
	case err := <-done:
		t.Fatalf("the node on the adopted file stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("the node on the adopted file did not lead: %v", n.Status())
	}
	if got := storetest.Records(t, src); !slices.Equal(got, want) {
		t.Errorf("the node's copy differs from the migrated file: %d records, want %d", len(got), len(want))
	}
	// Read again in full, the copy would note etcd's revision now, past
	// the unrelated write.
	if now, _, _ := src.Replica(); now != rev {
		t.Errorf("the node read everything again (its copy went from revision %d to %d)", rev, now)
	}
}
