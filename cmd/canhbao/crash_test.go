package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// buildBinary builds cmd/canhbao into a temporary folder, as a release
// would be built.
func buildBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	bin := filepath.Join(t.TempDir(), "canhbao")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the real service running as a child process.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

func startProcess(t testing.TB, bin string, env []string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "run"), logs: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Dir = t.TempDir() // no stray .env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// kill ends the process with SIGKILL: no deferred function, no last write.
func (p *process) kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// term asks the process to stop and checks that it does so cleanly within
// five seconds.
func (p *process) term(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, p.logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no exit within 5s of SIGTERM")
	}
}

var cardKey = regexp.MustCompile(`K(\d{3}) thử nghiệm`)

// cards counts the alert cards per (chat, item).
func cards(tg *telegramtest.Server) map[[2]int64]int {
	out := make(map[[2]int64]int)
	for _, m := range tg.Messages(0) {
		if k := cardKey.FindStringSubmatch(m.Plain); k != nil {
			var n int64
			fmt.Sscan(k[1], &n)
			out[[2]int64{m.ChatID, n}]++
		}
	}
	return out
}

// TestCrashMidFanOut kills the real service with SIGKILL twice in the
// middle of a fan-out of 300 messages and restarts it: every group must get every
// alert, and only messages that were in flight may come twice.
//
// The bound: the sender hands a message to a worker only while fewer than
// Sender.CrashBound() messages (those in flight, and those answered whose
// outcome is not committed yet) are between "handed over" and "outcome
// committed", and an outcome is committed in the same transaction that
// removes the entry from the outbox. So at the kill at most that many
// messages can have reached Telegram without their entry leaving the
// outbox, and only those are sent again. Ingest stores an alert in one
// transaction with its dedupe key and deliveries, so a re-poll after the
// restart queues nothing twice.
func TestCrashMidFanOut(t *testing.T) {
	bin := buildBinary(t)
	const groupsN, items = 50, 6
	bound := (&bot.Sender{Workers: senderWorkers}).CrashBound()
	tg := telegramtest.New(t, telegramtest.WithLatency(20*time.Millisecond))
	feed := newFeedServer(t, rssItems(1, items))
	dir := t.TempDir()
	db := filepath.Join(dir, "canhbao.db")
	var chats []store.Chat
	for i := range groupsN {
		chats = append(chats, store.Chat{ID: int64(-8001 - i), Agency: fmt.Sprintf("Đơn vị %d", i+1)})
	}
	seedChats(t, db, chats...)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"TELEGRAM_BOT_TOKEN=" + tg.Token(),
		"TELEGRAM_API_ENDPOINT=" + tg.Endpoint(),
		"CANHBAO_DB=" + db,
		"CANHBAO_FEEDS=test=" + feed.URL,
		"CANHBAO_POLL_INTERVAL=1s",
		"CANHBAO_BACKFILL=1000000h",
		"CANHBAO_ADMIN_CHAT_ID=" + itoa(deptChat),
		"CANHBAO_SEND_RATE=100",
		"CANHBAO_DIGEST_OVER=0",
		"CANHBAO_LOG_LEVEL=debug",
		"CANHBAO_HTTP_ADDR=", // no dashboard: parallel runs would share its port
	}
	want := groupsN * items

	// Two kills, at about a third and at two thirds of the fan-out.
	var logs strings.Builder
	for _, frac := range []int{3, 6} {
		p := startProcess(t, bin, env)
		tg.WaitFor(t, 20*time.Second, func() bool { return len(tg.Messages(0)) >= want*frac/10 }, "the fan-out under way")
		p.kill(t)
		logs.WriteString(p.logs.String())
		if n := len(tg.Messages(0)); n >= want {
			t.Fatalf("the fan-out had finished (%d messages) before the kill", n)
		} else {
			t.Logf("killed after %d of %d messages", n, want)
		}
	}
	last := startProcess(t, bin, env)
	tg.WaitFor(t, 30*time.Second, func() bool { return len(cards(tg)) == want }, "every group to get every alert")
	time.Sleep(1500 * time.Millisecond) // anything still to come, comes
	last.term(t)
	logs.WriteString(last.logs.String())

	got := cards(tg)
	dups := 0
	for i := range groupsN {
		for n := 1; n <= items; n++ {
			c := got[[2]int64{int64(-8001 - i), int64(n)}]
			if c == 0 {
				t.Errorf("group %d never got item %d", -8001-i, n)
			}
			dups += max(c-1, 0)
		}
	}
	t.Logf("%d duplicates across two kills; the bound is %d per kill (messages in flight plus those whose outcome was not yet recorded)", dups, bound)
	if dups > 2*bound {
		t.Errorf("%d duplicates, want at most %d (the messages in flight or unrecorded at each kill)", dups, 2*bound)
	}
	if n := len(tg.Messages(0)); n != want+dups {
		t.Errorf("%d messages, want %d cards and %d duplicates: something else was sent", n, want, dups)
	}
	_, secret, _ := strings.Cut(tg.Token(), ":")
	if strings.Contains(logs.String(), secret) {
		t.Error("the token is in the log")
	}
	if strings.Contains(logs.String(), "panic") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors in the log:\n%s", logs.String())
	}
}
