package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/cluster/etcdtest"
	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/store/storetest"
)

// shared is one 3-member cluster for the package's tests; each test has
// its own prefix, as provinces sharing a cluster do.
var shared *etcdtest.Cluster

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "etcd")
	if err != nil {
		panic(err)
	}
	shared, err = etcdtest.New(dir, 3)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	shared.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

var prefixes atomic.Int64

func newPrefix() string { return fmt.Sprintf("/test%d/", prefixes.Add(1)) }

func client(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := Connect(Config{Endpoints: endpoints})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "copy.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testNode is a node running until the test ends; leading tells when it
// leads.
type testNode struct {
	*Node
	leading chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

func startNode(t *testing.T, prefix, name string) *testNode {
	t.Helper()
	n := &testNode{leading: make(chan struct{}, 10), done: make(chan struct{})}
	n.Node = &Node{Client: client(t, shared.Endpoints()), Store: openStore(t), Log: quiet(),
		Config: Config{Prefix: prefix, NodeName: name, LeaseTTL: 2 * time.Second},
		Lead: func(ctx context.Context) error {
			n.leading <- struct{}{}
			<-ctx.Done()
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = func() { cancel(); <-n.done }
	go func() { defer close(n.done); n.Run(ctx) }()
	t.Cleanup(n.stop)
	return n
}

func (n *testNode) waitLeading(t *testing.T) {
	t.Helper()
	select {
	case <-n.leading:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not lead within 20 s: %v", n.Config.NodeName, n.Status())
	}
}

// copyOf reads prefix from etcd into a new store, as a new node would.
func copyOf(t *testing.T, prefix string) *store.Store {
	t.Helper()
	s := openStore(t)
	f := &Follower{Client: client(t, shared.Endpoints()), Store: s, Prefix: prefix, Log: quiet()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
	err := f.CaughtUp(cctx)
	ccancel()
	cancel()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceOnEtcd(t *testing.T) {
	prefixOf := map[*store.Store]string{}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) *store.Store {
			p := newPrefix()
			n := startNode(t, p, "a")
			n.waitLeading(t)
			prefixOf[n.Store] = p
			return n.Store
		},
		Copy: func(t *testing.T, s *store.Store) *store.Store { return copyOf(t, prefixOf[s]) },
	})
}

func TestStandbyFollowsAndTakesOver(t *testing.T) {
	p := newPrefix()
	a := startNode(t, p, "a")
	a.waitLeading(t)
	b := startNode(t, p, "b")
	if err := b.Status(); err == nil || !contains(err.Error(), "standby") {
		t.Errorf("the standby's status = %v, want standby", err)
	}
	must(t, a.Store.Update(func(tx *store.Tx) error { return tx.PutChat(store.Chat{ID: -5, Agency: "Sở Y tế"}) }))
	waitFor(t, "the standby's copy to have the chat", func() bool {
		var ok bool
		_ = b.Store.View(func(tx *store.Tx) error { _, ok, _ = tx.Chat(-5); return nil })
		return ok
	})
	if err := b.Store.Update(func(tx *store.Tx) error { return tx.PutChat(store.Chat{ID: -6}) }); !errors.Is(err, store.ErrStandby) {
		t.Errorf("a write on the standby = %v, want ErrStandby", err)
	}
	if err := b.Status(); err == nil || !contains(err.Error(), "the active node is a") {
		t.Errorf("the standby's status = %v, want it to name the active node", err)
	}
	start := time.Now()
	a.stop()
	b.waitLeading(t)
	t.Logf("a clean stop handed over in %v", time.Since(start).Round(time.Millisecond))
	must(t, b.Store.Update(func(tx *store.Tx) error { return tx.PutChat(store.Chat{ID: -6, Agency: "Sở Tài chính"}) }))
	if got, want := storetest.Records(t, copyOf(t, p)), storetest.Records(t, b.Store); !slices.Equal(got, want) {
		t.Errorf("after the takeover etcd differs from the new leader's copy")
	}
}

// TestDeposedLeaderWritesAreRefused: a leader whose election key is gone
// (its lease expired while it was paused) has every write refused.
func TestDeposedLeaderWritesAreRefused(t *testing.T) {
	p := newPrefix()
	cli := client(t, shared.Endpoints())
	ctx := context.Background()
	m, lost := leaderMirror(t, cli, p)
	if _, err := m.Commit([]store.Change{{Bucket: "chats", Key: []byte("x"), Value: []byte("1")}}); err != nil {
		t.Fatalf("a write while leading: %v", err)
	}
	_, err := cli.Delete(ctx, p+"leader/1")
	must(t, err)
	_, err = cli.Put(ctx, p+"leader/2", "b")
	must(t, err)
	if _, err := m.Commit([]store.Change{{Bucket: "chats", Key: []byte("x"), Value: []byte("2")}}); !errors.Is(err, ErrFenced) {
		t.Fatalf("a deposed leader's write = %v, want ErrFenced", err)
	}
	if err := <-lost; !errors.Is(err, ErrFenced) {
		t.Errorf("the node was told %v", err)
	}
	resp, err := cli.Get(ctx, p+"data/chats/x")
	must(t, err)
	if string(resp.Kvs[0].Value) != "1" {
		t.Errorf("etcd holds %q, want the leader's write only", resp.Kvs[0].Value)
	}
}

// TestJournalRecovery: a leader that died after committing a large
// transaction's journal but before applying it; the next leader applies
// it, and drops a journal never committed.
func TestJournalRecovery(t *testing.T) {
	p := newPrefix()
	cli := client(t, shared.Endpoints())
	ctx := context.Background()
	put, err := cli.Put(ctx, p+"leader/1", "a")
	must(t, err)
	m := &Mirror{kv: cli, layout: layout{p}, tag: "dead", timeout: 5 * time.Second,
		fence: clientv3.Compare(clientv3.CreateRevision(p+"leader/1"), "=", put.Header.Revision)}
	var changes []store.Change
	for i := range 300 {
		changes = append(changes, store.Change{Bucket: "chats", Key: fmt.Appendf(nil, "%04d", i), Value: []byte("v")})
	}
	changes = append(changes, store.Change{Bucket: "chats", Seq: 301})
	chunks := chunkBy(changes, 100, maxBytes) // as a journal of several parts
	if len(chunks) < 3 {
		t.Fatalf("300 changes in %d chunks", len(chunks))
	}
	for i, c := range chunks {
		_, err := cli.Put(ctx, fmt.Sprintf("%sjournal/dead-1/%06d", p, i), encodeChunk(c))
		must(t, err)
	}
	_, err = cli.Put(ctx, p+"journal/dead-1/commit", fmt.Sprint(len(chunks)))
	must(t, err)
	_, err = cli.Put(ctx, p+"journal/dead-2/000000", encodeChunk(changes[:1]))
	must(t, err)
	n, err := m.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1 applied", n, err)
	}
	count, err := cli.Get(ctx, p+"data/chats/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	must(t, err)
	if count.Count != 300 {
		t.Errorf("%d records applied, want 300", count.Count)
	}
	left, err := cli.Get(ctx, p+"journal/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	must(t, err)
	if left.Count != 0 {
		t.Errorf("%d journal keys left", left.Count)
	}
	seq, err := cli.Get(ctx, p+"seq/chats")
	must(t, err)
	if len(seq.Kvs) != 1 || seq.Kvs[0].Value[7] != 45 { // 301 = 0x12d
		t.Errorf("sequence not applied: %v", seq.Kvs)
	}
}

func TestChunkRoundTrip(t *testing.T) {
	in := []store.Change{{Bucket: "a", Key: []byte{0, 1}, Value: []byte{}}, {Bucket: "b", Key: []byte("k"), Delete: true}, {Bucket: "c", Seq: 1 << 40}}
	out, err := decodeChunk([]byte(encodeChunk(in)))
	must(t, err)
	if fmt.Sprint(out) != fmt.Sprint(in) {
		t.Errorf("round trip: %v, want %v", out, in)
	}
	if _, err := decodeChunk([]byte("p\x05ab")); err == nil {
		t.Error("a damaged chunk decoded")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestNodeRefusesAStandaloneDatabase: a bbolt database pointed at a
// cluster without being migrated must not be replaced by etcd's data.
func TestNodeRefusesAStandaloneDatabase(t *testing.T) {
	s := openStore(t)
	must(t, s.Update(func(tx *store.Tx) error { return tx.PutChat(store.Chat{ID: -1, Agency: "Sở Y tế"}) }))
	n := &Node{Client: client(t, shared.Endpoints()), Store: s, Log: quiet(),
		Config: Config{Prefix: newPrefix(), NodeName: "a"}, Lead: func(context.Context) error { return nil }}
	if err := n.Run(context.Background()); !errors.Is(err, ErrNotACopy) {
		t.Fatalf("Run = %v, want ErrNotACopy", err)
	}
	must(t, s.View(func(tx *store.Tx) error {
		if _, ok, _ := tx.Chat(-1); !ok {
			t.Error("the database was changed")
		}
		return nil
	}))
}

// TestNoNodeLeadsDuringAMigration: with a migration into etcd unfinished,
// a node waits and says why instead of running on half the data.
func TestNoNodeLeadsDuringAMigration(t *testing.T) {
	p := newPrefix()
	cli := client(t, shared.Endpoints())
	_, err := cli.Put(context.Background(), p+"migrating", "digest")
	must(t, err)
	n := startNode(t, p, "a")
	waitFor(t, "the node to say why it does not lead", func() bool {
		err := n.Status()
		return err != nil && strings.Contains(err.Error(), "migration into etcd is unfinished")
	})
	select {
	case <-n.leading:
		t.Fatal("the node led during a migration")
	default:
	}
	_, err = cli.Delete(context.Background(), p+"migrating")
	must(t, err)
	n.waitLeading(t)
}
