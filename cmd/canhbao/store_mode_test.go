package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/cluster/etcdtest"
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

var testPrefixes atomic.Int64

// onTestStore puts cfg on the store the tests run on: on etcd, each test
// gets its own prefix of the shared cluster and is the only node.
func onTestStore(cfg Config) Config {
	if testCluster == nil {
		return cfg
	}
	cfg.Store = "etcd"
	cfg.Etcd = cluster.Config{Endpoints: testCluster.Endpoints(), Prefix: fmt.Sprintf("/e2e%d/", testPrefixes.Add(1)),
		NodeName: "test", LeaseTTL: 2 * time.Second}
	return cfg
}
