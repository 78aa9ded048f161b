package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/cluster/etcdtest"
	"github.com/canhbao/canhbao/store"
)

// The fault tests of active/standby on etcd: real canhbao processes (the
// built binary) on a real 3-member etcd cluster, sending one alert of a
// real advisory feed to a few hundred groups through the fake Bot API,
// while the test kills or pauses the active node, stops etcd members or
// slows the leader's link to etcd.

// faultTitle is the title of the one item of the advisory the fan-outs
// carry (the first item of CISA's feed).
const faultTitle = "CISA Adds Two Known Exploited Vulnerabilities to Catalog"

// firstItemOnly keeps the first item of a real RSS document.
func firstItemOnly(doc []byte) []byte {
	s := string(doc)
	i := strings.Index(s, "</item>") + len("</item>")
	j := strings.LastIndex(s, "</item>") + len("</item>")
	return []byte(s[:i] + s[j:])
}

// apiTap is one node's way to the fake Bot API: it forwards every request
// and notes its method and when it arrived, so that a test tells apart
// what each process handed to Telegram.
type apiTap struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []tapped
}

type tapped struct {
	method string
	at     time.Time
}

func newAPITap(t testing.TB, tg *telegramtest.Server) *apiTap {
	target, err := url.Parse(tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	fwd := httputil.NewSingleHostReverseProxy(target)
	fwd.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	a := &apiTap{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.reqs = append(a.reqs, tapped{method: path.Base(r.URL.Path), at: time.Now()})
		a.mu.Unlock()
		fwd.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// since lists the requests that arrived after t0, of the given methods
// (all when none is given).
func (a *apiTap) since(t0 time.Time, methods ...string) []tapped {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []tapped
	for _, r := range a.reqs {
		if r.at.After(t0) && (len(methods) == 0 || slices.Contains(methods, r.method)) {
			out = append(out, r)
		}
	}
	return out
}

// clusterNode is one canhbao process of the cluster, restartable.
type clusterNode struct {
	name string
	tap  *apiTap
	addr string // the dashboard's, for /readyz
	bin  string
	env  []string
	*process
	logs strings.Builder // of the processes that ended
}

func (n *clusterNode) start(t testing.TB) {
	if n.process != nil {
		n.logs.WriteString(n.process.logs.String())
	}
	n.process = startProcess(t, n.bin, n.env)
}

func (n *clusterNode) allLogs() string {
	s := n.logs.String()
	if n.process != nil {
		s += n.process.logs.String()
	}
	return s
}

func (n *clusterNode) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// readyz is the node's /readyz: its status code and text.
func (n *clusterNode) readyz() (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + n.addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// faultRig is an etcd cluster, the fake Bot API, a feed and the groups.
type faultRig struct {
	bin    string
	etcd   *etcdtest.Cluster
	tg     *telegramtest.Server
	feed   *feedServer
	doc    []byte
	prefix string
	groups map[int64]bool
	env    []string
}

type rigOptions struct {
	bin      string            // the binary, built when empty
	etcd     *etcdtest.Cluster // started when nil
	groups   int
	rate     int  // CANHBAO_SEND_RATE
	flood    bool // the fake enforces Telegram's limits with rate a second overall
	leaseTTL string
}

func newFaultRig(t testing.TB, o rigOptions) *faultRig {
	t.Helper()
	r := &faultRig{bin: o.bin, etcd: o.etcd, groups: map[int64]bool{}}
	if r.bin == "" {
		r.bin = buildBinary(t)
	}
	if r.etcd == nil {
		r.etcd = etcdtest.Start(t, 3)
	}
	r.prefix = fmt.Sprintf("/canhbao-%d/", rand.Int64())
	var chats []store.Chat
	for i := range o.groups {
		id := -1001500000000 - int64(i)
		r.groups[id] = true
		chats = append(chats, store.Chat{ID: id, Agency: fmt.Sprintf("Đơn vị %d", i+1), Status: store.ChatApproved})
	}
	seed := filepath.Join(t.TempDir(), "seed.db")
	clusterOf.Store(seed, cluster.Config{Endpoints: r.etcd.Endpoints(), Prefix: r.prefix, NodeName: "seed", LeaseTTL: 2 * time.Second})
	seedStore(t, seed, func(st *store.Store) error {
		return st.Update(func(tx *store.Tx) error {
			for _, c := range chats {
				if err := tx.PutChat(c); err != nil {
					return err
				}
			}
			return nil
		})
	})
	var opts []telegramtest.Option
	if o.flood {
		opts = append(opts, telegramtest.WithFloodControl(o.rate))
	}
	r.tg = telegramtest.New(t, opts...)
	r.doc = firstItemOnly(readTestdata(t, "cisa-all-advisories-first2.xml"))
	r.feed = newFeedServer(t, withoutItems(r.doc))
	r.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"TELEGRAM_BOT_TOKEN=" + r.tg.Token(),
		"CANHBAO_FEEDS=cisa=" + r.feed.URL,
		"CANHBAO_POLL_INTERVAL=1s",
		"CANHBAO_BACKFILL=1000000h",
		"CANHBAO_ADMIN_CHAT_ID=" + itoa(deptChat),
		"CANHBAO_SEND_RATE=" + fmt.Sprint(o.rate),
		"CANHBAO_LOG_LEVEL=debug",
		"CANHBAO_STORE=etcd",
		"CANHBAO_ETCD_PREFIX=" + r.prefix,
	}
	if o.leaseTTL != "" {
		r.env = append(r.env, "CANHBAO_ETCD_LEASE_TTL="+o.leaseTTL)
	}
	return r
}

// node adds a node reaching etcd at endpoints; it is not started.
func (r *faultRig) node(t testing.TB, name string, endpoints []string) *clusterNode {
	n := &clusterNode{name: name, tap: newAPITap(t, r.tg), addr: freeAddr(t), bin: r.bin}
	n.env = append(slices.Clone(r.env),
		"TELEGRAM_API_ENDPOINT="+n.tap.srv.URL+"/bot%s/%s",
		"CANHBAO_DB="+filepath.Join(t.TempDir(), name+".db"),
		"CANHBAO_HTTP_ADDR="+n.addr,
		"CANHBAO_NODE_NAME="+name,
		"CANHBAO_ETCD_ENDPOINTS="+strings.Join(endpoints, ","))
	return n
}

// eventually waits until cond holds, and fails the test with what
// (evaluated then) after timeout.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitActive waits until n calls Telegram after t0 (getMe opens every
// term as the active node), with one of methods when given, and returns
// when it did.
func (r *faultRig) waitActive(t testing.TB, n *clusterNode, t0 time.Time, timeout time.Duration, methods ...string) time.Time {
	t.Helper()
	var at time.Time
	eventually(t, timeout, func() bool {
		if reqs := n.tap.since(t0, methods...); len(reqs) > 0 {
			at = reqs[0].at
			return true
		}
		return false
	}, func() string {
		return fmt.Sprintf("%s to act as the active node %v; its log:\n%s", n.name, methods, n.allLogs())
	})
	return at
}

// waitReadyz waits until n's /readyz answers code with text containing
// part, and returns what it said.
func (r *faultRig) waitReadyz(t testing.TB, n *clusterNode, code int, part string, timeout time.Duration) string {
	t.Helper()
	var got string
	eventually(t, timeout, func() bool {
		c, body := n.readyz()
		got = fmt.Sprintf("%d %s", c, body)
		return c == code && strings.Contains(body, part)
	}, func() string { return fmt.Sprintf("%s's /readyz to answer %d %q (last: %s)", n.name, code, part, got) })
	return got
}

// startPair starts a as the active node and b as its standby.
func (r *faultRig) startPair(t testing.TB, a, b *clusterNode) {
	t.Helper()
	t0 := time.Now()
	a.start(t)
	r.waitActive(t, a, t0, 30*time.Second)
	b.start(t)
	r.waitReadyz(t, b, http.StatusServiceUnavailable, "standby; the active node is "+a.name, 30*time.Second)
}

// pairUnderFanOut starts a as the active node and b as its standby, has
// the advisory published and returns once after messages are sent.
func pairUnderFanOut(t *testing.T, o rigOptions, after int) (r *faultRig, a, b *clusterNode) {
	t.Helper()
	r = newFaultRig(t, o)
	a, b = r.node(t, "a", r.etcd.Endpoints()), r.node(t, "b", r.etcd.Endpoints())
	r.startPair(t, a, b)
	r.publish()
	r.waitSent(t, after, 30*time.Second, "the fan-out under way")
	return r, a, b
}

// stop ends the nodes with SIGTERM and checks their logs.
func (r *faultRig) stop(t testing.TB, nodes ...*clusterNode) {
	t.Helper()
	for _, n := range nodes {
		n.term(t)
	}
	r.checkLogs(t, nodes...)
}

// publish puts the advisory's item into the feed.
func (r *faultRig) publish() { r.feed.set(r.doc) }

// cards counts the alert's cards in each group.
func (r *faultRig) cards(t testing.TB) map[int64]int {
	out := map[int64]int{}
	for _, m := range r.tg.Messages(0) {
		if !r.groups[m.ChatID] {
			continue
		}
		if !strings.Contains(m.Plain, faultTitle) {
			t.Errorf("group %d got an unexpected message: %q", m.ChatID, m.Plain)
			continue
		}
		out[m.ChatID]++
	}
	return out
}

// sent is how many cards the groups hold, duplicates included.
func (r *faultRig) sent() int {
	n := 0
	for _, m := range r.tg.Messages(0) {
		if r.groups[m.ChatID] {
			n++
		}
	}
	return n
}

func (r *faultRig) waitSent(t testing.TB, n int, timeout time.Duration, what string) {
	t.Helper()
	r.tg.WaitFor(t, timeout, func() bool { return r.sent() >= n }, what)
}

// waitAll waits until every group holds the card.
func (r *faultRig) waitAll(t testing.TB, timeout time.Duration) {
	t.Helper()
	r.tg.WaitFor(t, timeout, func() bool {
		have := map[int64]bool{}
		for _, m := range r.tg.Messages(0) {
			if r.groups[m.ChatID] {
				have[m.ChatID] = true
			}
		}
		return len(have) == len(r.groups)
	}, "every group to get the alert")
}

// check counts losses and duplicates once the fan-out is over; it fails
// the test on any loss or on more duplicates than bound.
func (r *faultRig) check(t testing.TB, bound int, why string) (dups int) {
	t.Helper()
	time.Sleep(1500 * time.Millisecond) // anything still to come, comes
	got := r.cards(t)
	lost := 0
	for id := range r.groups {
		if got[id] == 0 {
			lost++
		}
		dups += max(got[id]-1, 0)
	}
	t.Logf("%d groups: %d lost, %d duplicates; the bound is %d (%s)", len(r.groups), lost, dups, bound, why)
	if lost > 0 {
		t.Errorf("%d groups never got the alert", lost)
	}
	if dups > bound {
		t.Errorf("%d duplicates, want at most %d", dups, bound)
	}
	return dups
}

// checkLogs fails on a leaked token or a panic in any node's log.
func (r *faultRig) checkLogs(t testing.TB, nodes ...*clusterNode) {
	t.Helper()
	_, secret, _ := strings.Cut(r.tg.Token(), ":")
	for _, n := range nodes {
		logs := n.allLogs()
		if strings.Contains(logs, secret) {
			t.Errorf("the token is in %s's log", n.name)
		}
		if strings.Contains(logs, "panic") {
			t.Errorf("%s panicked:\n%s", n.name, logs)
		}
	}
}

// crashBound is how many messages can be handed to Telegram without
// their outcome recorded: the most a node's death can make arrive twice.
func crashBound() int { return (&bot.Sender{Workers: senderWorkers}).CrashBound() }

// TestFailover runs the fault tests on one etcd cluster, each on its own
// prefix (the quorum test restores the members it stops).
func TestFailover(t *testing.T) {
	if testCluster != nil {
		t.Skip("the fault tests start their own etcd cluster, and ran in the run on bbolt")
	}
	shared := rigOptions{bin: buildBinary(t), etcd: etcdtest.Start(t, 3)}
	t.Run("KillLeader", func(t *testing.T) { failoverKillLeader(t, shared) })
	t.Run("PausedLeader", func(t *testing.T) { failoverPausedLeader(t, shared) })
	t.Run("EtcdQuorum", func(t *testing.T) { failoverEtcdQuorum(t, shared) })
	t.Run("SlowEtcd", func(t *testing.T) { failoverSlowEtcd(t, shared) })
}

// with is o on the binary and cluster of shared.
func (shared rigOptions) with(o rigOptions) rigOptions {
	o.bin, o.etcd = shared.bin, shared.etcd
	return o
}

// failoverKillLeader kills the active node (kill -9) a third of the
// way through a fan-out to 200 groups paced at 50 messages a second, with
// the default 5 s lease: the standby, silent until then, must send
// within 10 s, every group must get the alert, and only the messages in
// flight at the kill may come twice.
func failoverKillLeader(t *testing.T, shared rigOptions) {
	r, a, b := pairUnderFanOut(t, shared.with(rigOptions{groups: 200, rate: 50, flood: true}), 70)
	if early := b.tap.since(time.Time{}); len(early) > 0 {
		t.Errorf("the standby called Telegram %d times while a was active (first: %s)", len(early), early[0].method)
	}
	killed := time.Now()
	a.kill(t)
	atKill := r.sent()
	if atKill >= len(r.groups) {
		t.Fatalf("the fan-out was over (%d messages) before the kill", atKill)
	}
	active := r.waitActive(t, b, killed, 30*time.Second)
	first := r.waitActive(t, b, killed, 30*time.Second, "sendMessage")
	t.Logf("killed a after %d of %d messages; b took over in %v and sent its first message %v after the kill (lease 5 s)",
		atKill, len(r.groups), active.Sub(killed).Round(time.Millisecond), first.Sub(killed).Round(time.Millisecond))
	if took := first.Sub(killed); took >= 10*time.Second {
		t.Errorf("the standby sent %v after the kill, want < 10 s", took.Round(time.Millisecond))
	}
	r.waitAll(t, 60*time.Second)
	r.check(t, crashBound(), "messages in flight or unrecorded at the kill")
	r.stop(t, b)
	r.checkLogs(t, a)
}

// failoverPausedLeader stops the active node (SIGSTOP) mid fan-out
// for longer than its 2 s lease, lets the standby take over and finish,
// then resumes it (SIGCONT): the resumed process must not hand Telegram a
// single request, and must find itself on standby.
func failoverPausedLeader(t *testing.T, shared rigOptions) {
	r, a, b := pairUnderFanOut(t, shared.with(rigOptions{groups: 200, rate: 50, flood: true, leaseTTL: "2s"}), 70)
	a.signal(t, syscall.SIGSTOP)
	paused := time.Now()
	atPause := r.sent()
	r.waitAll(t, 60*time.Second)
	took := r.waitActive(t, b, paused, time.Second).Sub(paused)
	handed := len(a.tap.since(time.Time{}))
	resumed := time.Now()
	a.signal(t, syscall.SIGCONT)
	ready := r.waitReadyz(t, a, http.StatusServiceUnavailable, "standby; the active node is b", 20*time.Second)
	time.Sleep(time.Second) // a late request would come now
	t.Logf("paused a after %d of %d messages (%d requests from a); b took over %v later; a paused %v; a's /readyz after SIGCONT: %s",
		atPause, len(r.groups), handed, took.Round(time.Millisecond), resumed.Sub(paused).Round(time.Millisecond), ready)
	if late := a.tap.since(resumed); len(late) > 0 {
		var methods []string
		for _, q := range late {
			methods = append(methods, q.method)
		}
		t.Errorf("the resumed node handed Telegram %d requests after SIGCONT: %v", len(late), methods)
	} else {
		t.Logf("a sent nothing after SIGCONT")
	}
	r.check(t, crashBound(), "messages in flight or unrecorded at the pause")
	r.stop(t, a, b)
}

// failoverEtcdQuorum stops etcd members under a fan-out: one of three
// changes nothing; two stop the sending, and the active node says why in
// its log and /readyz; restarted, the cluster has sending resume by
// itself, and the fan-out completes.
func failoverEtcdQuorum(t *testing.T, shared rigOptions) {
	r, a, b := pairUnderFanOut(t, shared.with(rigOptions{groups: 200, rate: 25, flood: true, leaseTTL: "2s"}), 30)

	n := r.sent()
	r.etcd.Kill(2)
	r.waitSent(t, r.sent()+25, 20*time.Second, "sending to go on with one etcd member down")
	r.waitReadyz(t, a, http.StatusOK, "ready", 10*time.Second)
	r.waitReadyz(t, b, http.StatusServiceUnavailable, "standby; the active node is a", 10*time.Second)
	t.Logf("one member down: %d more messages, a still active and ready", r.sent()-n)

	lost := time.Now()
	r.etcd.Kill(1)
	r.tg.WaitFor(t, 15*time.Second, func() bool { return strings.Contains(a.allLogs(), "sending paused") },
		"a to log that it paused sending")
	pausedAt := r.sent()
	why := r.waitReadyz(t, a, http.StatusServiceUnavailable, "etcd", 10*time.Second)
	time.Sleep(3 * time.Second)
	if n := r.sent(); n != pausedAt {
		t.Errorf("%d messages sent without quorum after the node paused", n-pausedAt)
	}
	times := r.groupSendTimes()
	t.Logf("two members down: the last message %v later (%d messages then); a's /readyz: %s",
		times[len(times)-1].Sub(lost).Round(time.Millisecond), pausedAt, why)
	for _, line := range strings.Split(a.allLogs(), "\n") {
		if strings.Contains(line, "part=cluster") && !strings.Contains(line, "level=INFO") {
			t.Logf("a's log: %s", line)
		}
	}

	restored := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, i := range []int{1, 2} { // together: neither is ready without the other's vote
		wg.Go(func() { errs <- r.etcd.Restart(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r.waitSent(t, pausedAt+1, 30*time.Second, "sending to resume once quorum is back")
	t.Logf("quorum back: sending resumed %v after the restart", time.Since(restored).Round(time.Millisecond))
	r.waitAll(t, 60*time.Second)
	r.check(t, crashBound(), "messages in flight or unrecorded when quorum was lost")
	r.stop(t, a, b)
}

// failoverSlowEtcd delays the active node's link to etcd by 50 ms
// each way and sends one alert to 200 groups as fast as the fake
// answers: the fan-out completes without loss or duplicate. The rate it
// logs, against other delays: BenchmarkSlowEtcd.
func failoverSlowEtcd(t *testing.T, shared rigOptions) {
	rate := slowFanOut(t, shared.bin, shared.etcd, 50*time.Millisecond)
	t.Logf("etcd round trip +100 ms: %.0f messages/s", rate)
}

// BenchmarkSlowEtcd is the rate of a fan-out to 200 groups, Telegram
// unthrottled, as the active node's round trip to etcd grows.
//
//	go test -run XXX -bench SlowEtcd -benchtime 1x ./cmd/canhbao/
func BenchmarkSlowEtcd(b *testing.B) {
	bin, etcd := buildBinary(b), etcdtest.Start(b, 3)
	for _, rtt := range []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond} {
		b.Run(fmt.Sprintf("rtt=+%v", rtt), func(b *testing.B) {
			var sum float64
			for range b.N {
				sum += slowFanOut(b, bin, etcd, rtt/2)
			}
			b.ReportMetric(sum/float64(b.N), "msgs/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// slowFanOut runs one node whose link to etcd is delay slower each way,
// sends one alert to 200 groups through the unthrottled fake, checks
// that each got it once, and returns the rate.
func slowFanOut(t testing.TB, bin string, etcd *etcdtest.Cluster, delay time.Duration) float64 {
	t.Helper()
	r := newFaultRig(t, rigOptions{bin: bin, etcd: etcd, groups: 200, rate: 1000, leaseTTL: "2s"})
	slow := etcd.Proxy(t)
	slow.SetDelay(delay)
	a := r.node(t, "a", slow.Endpoints())
	t0 := time.Now()
	a.start(t)
	r.waitActive(t, a, t0, 30*time.Second)
	r.publish()
	r.waitAll(t, 90*time.Second)
	r.check(t, 0, "no fault but the delay")
	times := r.groupSendTimes()
	r.stop(t, a)
	return float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
}

// groupSendTimes are the times the fake accepted each group message.
func (r *faultRig) groupSendTimes() []time.Time {
	var out []time.Time
	for _, m := range r.tg.Messages(0) {
		if r.groups[m.ChatID] {
			out = append(out, m.Time)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// BenchmarkFailover kills the active node (kill -9) of two, with the
// default 5 s lease, once per iteration, and measures how long until the
// other one acts as the active node (its first Bot API request); the
// killed node is restarted as the standby before the next kill, at a
// random point of the lease's renewal.
//
//	go test -run XXX -bench Failover -benchtime 20x ./cmd/canhbao/
func BenchmarkFailover(b *testing.B) {
	r := newFaultRig(b, rigOptions{groups: 20, rate: 25})
	nodes := []*clusterNode{r.node(b, "a", r.etcd.Endpoints()), r.node(b, "b", r.etcd.Endpoints())}
	r.startPair(b, nodes[0], nodes[1])
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		leader, standby := nodes[i%2], nodes[(i+1)%2]
		killed := time.Now()
		leader.kill(b)
		took = append(took, r.waitActive(b, standby, killed, 30*time.Second).Sub(killed))
		b.StopTimer()
		leader.start(b)
		r.waitReadyz(b, leader, http.StatusServiceUnavailable, "standby; the active node is "+standby.name, 30*time.Second)
		time.Sleep(rand.N(time.Second)) // anywhere between two renewals
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(took[0]), "ms-min")
	b.ReportMetric(ms(took[len(took)/2]), "ms-median")
	b.ReportMetric(ms(took[len(took)-1]), "ms-max")
	b.ReportMetric(0, "ns/op")
	b.Logf("%d kills: failover %v", len(took), took)
	r.checkLogs(b, nodes...)
}
