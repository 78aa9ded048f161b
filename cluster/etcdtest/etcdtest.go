// Package etcdtest starts a real etcd cluster inside a test process, on
// loopback, so that clustered mode is tested against etcd itself and
// without any service started for the tests.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is an in-process etcd cluster.
type Cluster struct {
	dir     string
	members []*member
	durable bool
}

type member struct {
	mu         sync.Mutex
	name       string
	peer, clnt url.URL
	etcd       *embed.Etcd
	closing    chan struct{} // closed when a killed member's Close ended (see Kill)
	// tls, when set, makes the member serve clients over TLS only.
	tls *transport.TLSInfo
}

// Start starts n members and waits until they serve. The cluster stops
// when t ends (Close).
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c, err := New(t.TempDir(), n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// New starts n members with their data under dir. They do not sync to
// disk: a test cluster's data dies with the test.
func New(dir string, n int) (*Cluster, error) { return start(dir, n, false) }

// NewDurable is New with every write synced to disk, as production etcd
// does, for benchmarks whose figures must mean something.
func NewDurable(dir string, n int) (*Cluster, error) { return start(dir, n, true) }

func start(dir string, n int, durable bool) (*Cluster, error) {
	c := &Cluster{dir: dir, durable: durable}
	var initial []string
	for i := range n {
		m := &member{name: fmt.Sprintf("m%d", i), peer: freeURL(), clnt: freeURL()}
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peer.String())
	}
	errs := make(chan error, n)
	for _, m := range c.members {
		go func() { errs <- m.start(dir, strings.Join(initial, ","), "new", durable) }()
	}
	for range n {
		if err := <-errs; err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func freeURL() url.URL {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

func (m *member) start(dir, initial, state string, durable bool) error {
	m.waitClosed() // a killed member's ports are free again
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = filepath.Join(dir, m.name)
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{m.peer}, []url.URL{m.peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{m.clnt}, []url.URL{m.clnt}
	cfg.InitialCluster, cfg.InitialClusterToken, cfg.ClusterState = initial, "canhbao-test", state
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop()) // its shutdown is noisy
	// Short raft timers keep failover tests short; loaded CI machines
	// need the election timeout well above the heartbeat.
	cfg.TickMs, cfg.ElectionMs = 50, 500
	cfg.UnsafeNoFsync = !durable
	if m.tls != nil {
		cfg.ClientTLSInfo = *m.tls
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("etcd member %s: %w", m.name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("etcd member %s: %w", m.name, err)
	case <-time.After(60 * time.Second):
		e.Close()
		return fmt.Errorf("etcd member %s did not start within a minute", m.name)
	}
	m.mu.Lock()
	m.etcd = e
	m.mu.Unlock()
	return nil
}

// Endpoints are the client URLs of every member.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.clnt.String()
	}
	return out
}

// Stop stops member i, as a machine failure would.
func (c *Cluster) Stop(i int) {
	m := c.members[i]
	m.mu.Lock()
	e := m.etcd
	m.etcd = nil
	m.mu.Unlock()
	if e != nil {
		e.Close()
	}
	m.waitClosed()
}

// Restart starts a stopped member i again from its data.
func (c *Cluster) Restart(i int) error {
	var initial []string
	for _, m := range c.members {
		initial = append(initial, m.name+"="+m.peer.String())
	}
	return c.members[i].start(c.dir, strings.Join(initial, ","), "existing", c.durable)
}

// Close stops every member.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for i := range c.members {
		wg.Go(func() { c.Stop(i) })
	}
	wg.Wait()
}
