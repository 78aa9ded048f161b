package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/cluster/etcdtest"
	"github.com/canhbao/canhbao/store"
)

// With CANHBAO_TEST_STORE=etcd the end-to-end tests run the service on an
// in-process 3-member etcd cluster instead of bbolt alone (.ci/run runs
// them both ways): the same behaviour is asked of both stores.
var testCluster *etcdtest.Cluster

func TestMain(m *testing.M) {
	if os.Getenv("CANHBAO_TEST_STORE") == "etcd" {
		dir, err := os.MkdirTemp("", "canhbao-etcd")
		if err != nil {
			panic(err)
		}
		if testCluster, err = etcdtest.New(dir, 3); err != nil {
			panic(err)
		}
		code := m.Run()
		testCluster.Close()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

var (
	testPrefixes atomic.Int64
	// clusterOf maps a test's database file to its prefix on the cluster.
	clusterOf sync.Map
)

// onTestStore puts cfg on the store the tests run on: on etcd, each test
// gets its own prefix of the shared cluster and is the only node.
func onTestStore(cfg Config) Config {
	if testCluster == nil {
		return cfg
	}
	cfg.Store = "etcd"
	cfg.Etcd = cluster.Config{Endpoints: testCluster.Endpoints(), Prefix: fmt.Sprintf("/e2e%d/", testPrefixes.Add(1)),
		NodeName: "test", LeaseTTL: 2 * time.Second}
	clusterOf.Store(cfg.DB, cfg.Etcd)
	return cfg
}

// seedStore lets a test write what the service should find at its start
// (agencies that subscribed earlier, sources): into the file on bbolt, and
// through an elected node into etcd on a cluster, since there the local
// file is only a copy.
func seedStore(t testing.TB, db string, fn func(*store.Store) error) {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, clustered := clusterOf.Load(db)
	if !clustered {
		if err := fn(st); err != nil {
			t.Fatal(err)
		}
		return
	}
	cli, err := cluster.Connect(v.(cluster.Config))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	result := make(chan error, 1)
	node := &cluster.Node{Client: cli, Store: st, Config: v.(cluster.Config), Log: slog.New(slog.DiscardHandler),
		Lead: func(context.Context) error { result <- fn(st); return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); node.Run(ctx) }()
	select {
	case err = <-result:
	case <-time.After(20 * time.Second):
		err = fmt.Errorf("no node elected: %v", node.Status())
	}
	cancel()
	<-done
	if err != nil {
		t.Fatal(err)
	}
}
