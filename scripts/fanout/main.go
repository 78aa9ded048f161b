//go:build linux

// Command fanout runs the real canhbao binary against the in-process fake
// Bot API (which enforces Telegram's flood limits) for the fan-out rows of
// the performance goals, and prints for each: the rate achieved on
// Telegram's clock against the ceiling, 429s, lost and duplicated
// messages, the service's CPU time per delivered message (over its whole
// run, start-up included, and between its first and last message) and its
// peak resident memory.
//
//	go run ./scripts/fanout            # every row
//	go run ./scripts/fanout -row 2     # one row
//	go run ./scripts/fanout -row 2 -env GOMAXPROCS=1   # the service with more environment
//
// It reads the service's CPU time and memory from /proc, so it is built
// on Linux only.
//
// The database of each row is prepared before the service starts: the
// approved groups, the queued alerts (department advisories, one outbox
// entry per group) and, for the memory row, 10,000 stored alerts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// row is one measured fan-out.
type row struct {
	name           string
	groups, alerts int
	rate           int
	flood          int // the fake's overall limit per second; 0 for none
	stored         int // alerts already in the database, not queued
	// poll is how many new items the feed brings at the first poll (each
	// group then gets one digest, counted in alerts).
	poll int
}

var rows = []row{
	{"100 groups × 10 alerts, CANHBAO_SEND_RATE=25, Telegram's 30/s enforced", 100, 10, 25, 30, 0, 0},
	{"5,000 groups × 1 alert, rate 1,000/s", 5000, 1, 1000, 0, 0, 0},
	{"1,000 groups × 5 alerts, rate 1,000/s", 1000, 5, 1000, 0, 0, 0},
	{"memory: 1,000 groups, 10,000 stored alerts, one new alert to all", 1000, 1, 25, 30, 10000, 0},
	{"memory: 1,000 groups, one poll of 10,000 new items (200 pushed as a digest, the rest held)", 1000, 1, 25, 30, 0, 10000},
}

func main() {
	only := flag.Int("row", 0, "run only this row (1-based)")
	flag.Var(&serviceEnv, "env", "a NAME=value the service runs with (repeatable), e.g. GOMAXPROCS=1")
	flag.Parse()
	dir, err := os.MkdirTemp("", "canhbao-fanout")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "canhbao")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/canhbao").CombinedOutput(); err != nil {
		fail(fmt.Errorf("go build (run from the repository's root): %v\n%s", err, out))
	}
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		n, _ := strconv.Atoi(r.URL.Query().Get("items"))
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>`)
		now := time.Now().UTC().Format(time.RFC1123Z)
		for i := range n {
			fmt.Fprintf(w, `<item><title>Multiple vulnerabilities in product %d (CVE-2026-%d)</title><link>https://example.org/advisory/%d</link>`+
				`<guid>https://example.org/advisory/%d</guid><pubDate>%s</pubDate><description>CVSS 7.5. An attacker could exploit these vulnerabilities to execute code.</description></item>`,
				i, 10000+i, i, i, now)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	defer feed.Close()
	for i, r := range rows {
		if *only != 0 && *only != i+1 {
			continue
		}
		if err := measure(i+1, r, bin, filepath.Join(dir, fmt.Sprint(i+1)), feed.URL); err != nil {
			fail(fmt.Errorf("row %d: %w", i+1, err))
		}
	}
}

func measure(n int, r row, bin, dir, feedURL string) error {
	t := &harness{}
	defer t.cleanup()
	var opts []telegramtest.Option
	opts = append(opts, telegramtest.WithFloodControl(r.flood))
	tg := telegramtest.New(t, opts...)
	db := filepath.Join(dir, "canhbao.db")
	groups, err := prepare(db, r)
	if err != nil {
		return err
	}
	want := r.groups * r.alerts
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run")
	cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN="+tg.Token(), "TELEGRAM_API_ENDPOINT="+tg.Endpoint(),
		"CANHBAO_DB="+db, fmt.Sprintf("CANHBAO_SEND_RATE=%d", r.rate), fmt.Sprintf("CANHBAO_FEEDS=big=%s?items=%d", feedURL, r.poll),
		"CANHBAO_POLL_INTERVAL=1h", "CANHBAO_ADMIN_CHAT_ID=-1009000000001", "CANHBAO_ADMIN_IDS=77", "CANHBAO_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, serviceEnv...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Minute)
	peakAnon := 0
	// The CPU the service spent between the first message and the last,
	// sampled every 20 ms: its cost per message without start-up (opening
	// and checking the database, the first poll) and the idle second after.
	var cpuFirst, cpuLast time.Duration
	for sent := 0; sent < want && time.Now().Before(deadline); {
		peakAnon = max(peakAnon, procStatus(cmd.Process.Pid, "RssAnon:"))
		time.Sleep(20 * time.Millisecond)
		if sent = sentToGroups(tg); sent > 0 && cpuFirst == 0 {
			cpuFirst = procCPU(cmd.Process.Pid)
		}
	}
	cpuLast = procCPU(cmd.Process.Pid)
	time.Sleep(time.Second) // anything more would be a duplicate
	// The kernel's high-water mark of the service's own memory (the
	// rusage of a child also counts this program's memory at the fork).
	// It includes the database file's pages the service touched through
	// bbolt's memory map; RssAnon, sampled every 20 ms, is the service's
	// own memory (Go heap and stacks) alone.
	peak := procStatus(cmd.Process.Pid, "VmHWM:")
	peakAnon = max(peakAnon, procStatus(cmd.Process.Pid, "RssAnon:"))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var times []time.Time
	lost, dups := 0, 0
	for _, g := range groups {
		got := tg.SendTimes(g)
		times = append(times, got...)
		lost += max(r.alerts-len(got), 0)
		dups += max(len(got)-r.alerts, 0)
	}
	slices.SortFunc(times, time.Time.Compare)
	achieved := 0.0
	if len(times) > 1 {
		achieved = float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	}
	ceiling := min(float64(r.rate), float64(r.groups))
	perMsg := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(max(len(times), 1)) }
	fmt.Printf("%d. %s\n   achieved %.1f msg/s = %.3f of the ceiling (%.0f/s); 429s %d; lost %d; duplicates %d; CPU %.3f ms per message (%.3f during the fan-out); peak RSS %.1f MB (of which anonymous, sampled: %.1f MB)\n",
		n, r.name, achieved, achieved/ceiling, ceiling, tg.FloodRefusals(), lost, dups,
		perMsg(cpu), perMsg(cpuLast-cpuFirst), float64(peak)/1024, float64(peakAnon)/1024)
	return nil
}

// serviceEnv is added to the service's environment (-env), so that a
// setting such as GOMAXPROCS is measured on the service alone and not on
// this program's fake Bot API as well.
var serviceEnv envList

// envList collects repeated -env flags.
type envList []string

func (l *envList) String() string { return strings.Join(*l, " ") }

func (l *envList) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not NAME=value", v)
	}
	*l = append(*l, v)
	return nil
}

// procCPU is the CPU time (user and system) a process has used so far,
// in clock ticks of 10 ms.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (in parentheses, which may hold
	// spaces): utime and stime are the 12th and 13th.
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.Atoi(f[11])
	sys, _ := strconv.Atoi(f[12])
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// procStatus reads one memory figure (in KiB) of a process's status.
func procStatus(pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb
		}
	}
	return 0
}

// prepare writes the database of a row: approved supergroups, alerts
// stored but not queued, and alerts queued to every group.
func prepare(db string, r row) ([]int64, error) {
	st, err := store.Open(db, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	groups := make([]int64, r.groups)
	err = st.Update(func(tx *store.Tx) error {
		for i := range groups {
			groups[i] = -1000000000000 - int64(i)
			if err := tx.PutChat(store.Chat{ID: groups[i], Type: "supergroup", Title: fmt.Sprintf("Nhóm %d", i),
				Agency: fmt.Sprintf("Đơn vị %d", i), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.stored > 0 {
		old := make([]store.Alert, r.stored)
		for i := range old {
			old[i] = store.Alert{Key: fmt.Sprintf("old-%d", i), Title: "Multiples vulnérabilités dans le noyau Linux",
				Summary: "De multiples vulnérabilités ont été découvertes.", Link: fmt.Sprintf("https://example.org/%d", i),
				Severity: store.SeverityMedium}
		}
		// A first poll: undated items are stored, not pushed.
		if _, err := st.Ingest("archive", old, store.IngestOptions{Now: time.Now(), Backfill: time.Hour}); err != nil {
			return nil, err
		}
	}
	if r.poll > 0 {
		return groups, nil // the service's poll queues the messages
	}
	for i := range r.alerts {
		if _, _, err := st.Publish(store.Alert{Title: fmt.Sprintf("Lỗ hổng nghiêm trọng %d", i), Summary: "Đề nghị cập nhật bản vá ngay.",
			Severity: store.SeverityCritical, Link: "https://example.gov.vn/canh-bao"}, time.Now(), store.AuditEntry{Action: "publish"}); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// sentToGroups counts the messages sent to the groups (all but the
// department's chat). It reads only their times: copying every message
// 50 times a second held the fake's lock long enough to slow the fan-out
// it measures.
func sentToGroups(tg *telegramtest.Server) int {
	return len(tg.SendTimes(0)) - len(tg.SendTimes(-1009000000001))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fanout:", err)
	os.Exit(1)
}

// harness lets the fake Bot API, written for tests, run in this program:
// it stands in for the testing.TB the fake reports to.
type harness struct {
	testing.TB
	cleanups []func()
}

func (h *harness) Helper()                   {}
func (h *harness) Cleanup(f func())          { h.cleanups = append(h.cleanups, f) }
func (h *harness) Fatal(args ...any)         { fail(errors.New(fmt.Sprint(args...))) }
func (h *harness) Fatalf(f string, a ...any) { fail(fmt.Errorf(f, a...)) }
func (h *harness) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
func (h *harness) Logf(f string, a ...any)   {}

func (h *harness) cleanup() {
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		h.cleanups[i]()
	}
}
