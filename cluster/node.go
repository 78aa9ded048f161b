package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/canhbao/canhbao/store"
)

// Config is how a node reaches etcd and presents itself.
type Config struct {
	Endpoints          []string
	Prefix             string
	CACert, Cert, Key  string // files; all empty for plain connections
	Username, Password string
	NodeName           string
	// LeaseTTL bounds how long a dead leader holds the election: a
	// standby takes over about this long after the leader stops
	// renewing.
	LeaseTTL time.Duration
}

// Connect opens a client to etcd. It does not wait for the cluster: a
// node starts while etcd is down and follows once it is up.
func Connect(cfg Config) (*clientv3.Client, error) {
	cc := clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: 5 * time.Second,
		Username: cfg.Username, Password: cfg.Password, Logger: zap.NewNop(),
		DialKeepAliveTime: 5 * time.Second, DialKeepAliveTimeout: 3 * time.Second}
	if cfg.CACert != "" || cfg.Cert != "" {
		t, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		cc.TLS = t
	}
	cli, err := clientv3.New(cc)
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	return cli, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("CANHBAO_ETCD_CACERT: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CANHBAO_ETCD_CACERT: %s holds no PEM certificate", cfg.CACert)
		}
	}
	if cfg.Cert != "" || cfg.Key != "" {
		pair, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("CANHBAO_ETCD_CERT/CANHBAO_ETCD_KEY: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	return t, nil
}

// Node is one canhbao process on the cluster: it always follows etcd
// into its local copy, and campaigns to be the active node; while it
// leads it runs Lead.
type Node struct {
	Client *clientv3.Client
	Store  *store.Store
	Config Config
	Log    *slog.Logger
	// Lead runs the active node's work (polling, sending, answering)
	// until its context ends.
	Lead func(ctx context.Context) error

	follower *Follower

	mu        sync.Mutex
	leading   bool
	validTill time.Time // the lease lasts at least until then
	stepDown  context.CancelCauseFunc
	problem   error // why the node cannot lead now, for /readyz
	leader    atomic.Value
}

// errLeaseEnding stops sending before the lease can run out.
var errLeaseEnding = errors.New("cluster: the etcd lease could not be renewed in time; sending paused")

func (n *Node) ttl() time.Duration {
	if n.Config.LeaseTTL < time.Second {
		return 5 * time.Second
	}
	return n.Config.LeaseTTL.Truncate(time.Second)
}

// margin is how long before the lease could expire a leader stops
// handing messages to Telegram.
func (n *Node) margin() time.Duration { return n.ttl() / 5 }

// ErrNotACopy refuses to start on a database file that holds data but
// never followed a cluster: following would replace it with etcd's data.
var ErrNotACopy = errors.New("CANHBAO_DB holds a database that was never part of a cluster; following etcd would replace it. " +
	"Move it into etcd with `canhbao migrate -to etcd` (service stopped), or point CANHBAO_DB at a new file for this node's copy")

// Run follows and campaigns until ctx ends. It fails at once only when
// the local file is a database of its own (ErrNotACopy); otherwise etcd
// being down only delays it.
func (n *Node) Run(ctx context.Context) error {
	if _, origin, err := n.Store.Replica(); err != nil {
		return err
	} else if origin == "" {
		if has, err := hasRecords(n.Store); err != nil {
			return err
		} else if has {
			return ErrNotACopy
		}
	}
	n.follower = &Follower{Client: n.Client, Store: n.Store, Prefix: n.Config.Prefix, Log: n.Log.With("part", "follower")}
	n.Store.SetMirror(nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { n.follower.Run(ctx) })
	wait := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := n.term(ctx)
		if ctx.Err() != nil {
			return nil
		}
		n.setProblem(err)
		n.Log.Warn("not leading", slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
		if err == nil {
			wait = 500 * time.Millisecond
		}
	}
	return nil
}

// term is one lease: campaign, lead while it lasts, step down.
func (n *Node) term(ctx context.Context) error {
	ttl := n.ttl()
	grant, err := n.Client.Grant(ctx, int64(ttl/time.Second))
	if err != nil {
		return fmt.Errorf("etcd unreachable or without quorum: %w", err)
	}
	sent := time.Now() // the lease lasts at least ttl from before it was asked for
	session, err := concurrency.NewSession(n.Client, concurrency.WithLease(grant.ID), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("etcd session: %w", err)
	}
	defer session.Orphan()
	n.mu.Lock()
	n.validTill = sent.Add(ttl) // this lease's, not the last term's
	n.mu.Unlock()
	tctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { n.renew(tctx, stop, grant.ID) })
	go func() {
		select {
		case <-session.Done():
			stop(errors.New("the etcd lease ended"))
		case <-tctx.Done():
		}
	}()
	election := concurrency.NewElection(session, layout{n.Config.Prefix}.leader())
	wg.Go(func() { n.watchLeader(tctx, election) })
	n.setProblem(nil)
	if err := election.Campaign(tctx, n.Config.NodeName); err != nil {
		return causeOr(tctx, fmt.Errorf("campaign: %w", err))
	}
	err = n.lead(tctx, session, election)
	// Whether shutting down or stepping down, let another node (or this
	// one's next term) take over at once rather than after the lease.
	rctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_, _ = n.Client.Revoke(rctx, grant.ID)
	cancel()
	return err
}

// causeOr is why ctx ended, when something ended it on purpose, else err.
func causeOr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// lead runs Lead while this node holds the election.
func (n *Node) lead(ctx context.Context, session *concurrency.Session, election *concurrency.Election) error {
	lctx, stepDown := context.WithCancelCause(ctx)
	defer stepDown(nil)
	mirror := &Mirror{kv: n.Client, layout: layout{n.Config.Prefix}, tag: fmt.Sprintf("%x", int64(session.Lease())),
		fence:   clientv3.Compare(clientv3.CreateRevision(election.Key()), "=", election.Rev()),
		timeout: max(n.ttl()-n.margin(), time.Second),
		lost:    func(err error) { stepDown(err) }}
	start := time.Now()
	if resp, err := n.Client.Get(lctx, layout{n.Config.Prefix}.migrating(), clientv3.WithCountOnly()); err != nil {
		return err
	} else if resp.Count > 0 {
		return errors.New("a migration into etcd is unfinished: run `canhbao migrate -to etcd` again (every node stopped) to finish it")
	}
	if done, err := mirror.Recover(lctx); err != nil {
		return err
	} else if done > 0 {
		n.Log.Info("finished large transactions the previous leader committed", slog.Int("transactions", done))
	}
	if err := n.follower.CaughtUp(lctx); err != nil {
		return err
	}
	n.mu.Lock()
	n.leading, n.stepDown = true, stepDown
	n.mu.Unlock()
	defer func() {
		n.Store.SetMirror(nil)
		n.mu.Lock()
		n.leading, n.stepDown = false, nil
		n.mu.Unlock()
	}()
	n.Store.SetMirror(mirror)
	n.Log.Info("leading: this node is now the active one", slog.String("node", n.Config.NodeName),
		slog.Duration("took over in", time.Since(start).Round(time.Millisecond)))
	err := n.Lead(lctx)
	if cause := context.Cause(lctx); cause != nil && !errors.Is(cause, context.Canceled) {
		n.Log.Warn("stepped down", slog.String("reason", cause.Error()))
		return cause
	}
	if err == nil {
		err = errors.New("the active node's work ended")
	}
	return err
}

// renew keeps the lease alive and records how long it is sure to last:
// the lease is renewed when etcd answers, so it lasts at least the TTL
// from the moment the request was sent.
func (n *Node) renew(ctx context.Context, stop context.CancelCauseFunc, id clientv3.LeaseID) {
	ttl := n.ttl()
	tick := time.NewTicker(ttl / 5)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, ttl/3)
		resp, err := n.Client.KeepAliveOnce(rctx, id)
		cancel()
		switch {
		case err == nil && resp.TTL > 0:
			n.renewed(sent.Add(time.Duration(resp.TTL) * time.Second))
			n.setProblem(nil)
		case err == nil || errors.Is(err, rpctypes.ErrLeaseNotFound):
			stop(errors.New("the etcd lease expired"))
			return
		default:
			n.setProblem(fmt.Errorf("etcd: cannot renew the lease (no quorum?): %w", err))
		}
		if !n.leaseValid(time.Now()) {
			if n.isLeading() {
				n.Log.Error("etcd lease about to expire: sending paused until etcd answers", slog.String("node", n.Config.NodeName))
			}
			stop(errLeaseEnding)
			return
		}
	}
}

func (n *Node) renewed(till time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if till.After(n.validTill) {
		n.validTill = till
	}
}

func (n *Node) leaseValid(now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return now.Add(n.margin()).Before(n.validTill)
}

// Allow is asked before each request that hands something to Telegram.
// It refuses unless this node leads and its lease is sure to outlast the
// request's start by the margin; a refusal also ends the node's term, so
// that the work in hand stops rather than records a failure.
func (n *Node) Allow() error {
	n.mu.Lock()
	leading, stepDown := n.leading, n.stepDown
	n.mu.Unlock()
	if !leading {
		return ErrFenced
	}
	if !n.leaseValid(time.Now()) {
		stepDown(errLeaseEnding)
		return errLeaseEnding
	}
	return nil
}

// watchLeader remembers who leads, for /readyz on a standby.
func (n *Node) watchLeader(ctx context.Context, e *concurrency.Election) {
	for resp := range e.Observe(ctx) {
		if len(resp.Kvs) > 0 {
			n.leader.Store(string(resp.Kvs[0].Value))
		}
	}
}

func (n *Node) setProblem(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.problem = err
}

// Status says what /readyz reports: nil on the active node when etcd
// answers, otherwise why this node does not serve as the active one.
func (n *Node) Status() error {
	n.mu.Lock()
	leading, problem := n.leading, n.problem
	n.mu.Unlock()
	if problem != nil {
		return problem
	}
	if leading {
		return nil
	}
	leader, _ := n.leader.Load().(string)
	if leader == "" || leader == n.Config.NodeName {
		return errors.New("standby; no leader elected yet")
	}
	return fmt.Errorf("standby; the active node is %s", leader)
}

func (n *Node) isLeading() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leading
}

var errFound = errors.New("found")

// hasRecords reports whether s holds any record at all.
func hasRecords(s *store.Store) (bool, error) {
	err := s.Dump(func(store.Change) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}
