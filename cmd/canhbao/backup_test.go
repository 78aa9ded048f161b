package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// runCLI runs `canhbao args…` in-process with the given settings.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// checkCopy opens a backup and checks it is a consistent database: every
// queued delivery still has its outbox entry and no sent one does.
func checkCopy(t *testing.T, path string, wantChats int) (sent, queued int) {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the copy does not open: %v", err)
	}
	defer st.Close()
	err = st.View(func(tx *store.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		if len(chats) != wantChats {
			t.Errorf("%d chats in the copy, want %d", len(chats), wantChats)
		}
		out, err := tx.Outbox()
		if err != nil {
			return err
		}
		waiting := make(map[[2]int64]bool)
		for _, o := range out {
			for _, id := range o.AlertIDs {
				waiting[[2]int64{int64(id), o.ChatID}] = true
			}
		}
		for id := tx.LastAlertID(); id > 0; id-- {
			ds, err := tx.Deliveries(id)
			if err != nil {
				return err
			}
			for _, d := range ds {
				w := waiting[[2]int64{int64(d.AlertID), d.ChatID}]
				switch d.State {
				case store.DeliverySent:
					sent++
					if w || d.MessageID == 0 {
						t.Errorf("sent delivery %+v still queued or without a message", d)
					}
				case store.DeliveryQueued:
					queued++
					if !w {
						t.Errorf("queued delivery %+v has no outbox entry", d)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent, queued
}

// TestBackupWhileRunningAndStopped takes a backup through the control
// socket in the middle of a fan-out, then another with the service
// stopped, and checks that both open and hold consistent data.
func TestBackupWhileRunningAndStopped(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 2))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.SendRate = 20 // a fan-out of 80 messages takes four seconds
	var chats []store.Chat
	for i := range 40 {
		chats = append(chats, store.Chat{ID: int64(-9001 - i), Agency: fmt.Sprintf("Đơn vị %d", i+1)})
	}
	seedChats(t, cfg.DB, chats...)
	s := start(t, tg, cfg)
	env := map[string]string{"CANHBAO_DB": cfg.DB, "CANHBAO_FEEDS": "test=" + feed.URL}

	tg.WaitFor(t, 10*time.Second, func() bool { return len(tg.Messages(0)) >= 20 }, "the fan-out under way")
	fi, err := os.Stat(socketPath(cfg.DB))
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v %v", fi.Mode(), err)
	}
	live := filepath.Join(t.TempDir(), "live.db")
	code, stdout, stderr := runCLI(t, env, "backup", live)
	if code != 0 || !strings.Contains(stdout, "backup written to "+live) {
		t.Fatalf("backup while running: exit %d\n%s%s", code, stdout, stderr)
	}
	sent, queued := checkCopy(t, live, 40)
	t.Logf("live copy: %d sent, %d queued", sent, queued)
	if queued == 0 {
		t.Log("the fan-out had finished before the backup; consistency was checked on a quiet database")
	}

	tg.WaitMessages(t, 0, 80, 15*time.Second)
	time.Sleep(300 * time.Millisecond)
	s.stop()
	if _, err := os.Stat(socketPath(cfg.DB)); !os.IsNotExist(err) {
		t.Errorf("the socket outlived the service: %v", err)
	}
	stopped := filepath.Join(t.TempDir(), "stopped.db")
	code, stdout, stderr = runCLI(t, env, "backup", stopped)
	if code != 0 || !strings.Contains(stdout, "backup written to") {
		t.Fatalf("backup with the service stopped: exit %d\n%s%s", code, stdout, stderr)
	}
	if sent, queued := checkCopy(t, stopped, 40); sent != 80 || queued != 0 {
		t.Errorf("stopped copy: %d sent, %d queued, want 80 and 0", sent, queued)
	}

	// Restored, the copy is a working database: the service starts on
	// it and sends nothing again.
	cfg2 := cfg
	cfg2.DB = stopped
	before := len(tg.Messages(0))
	start(t, tg, cfg2)
	time.Sleep(2 * time.Second)
	if n := len(tg.Messages(0)); n != before {
		t.Errorf("the restored service sent %d messages again", n-before)
	}
}

// TestBackupRefusesIncompleteCopy: a service that stops half-way through
// a backup must not leave a truncated file that looks like a database.
func TestBackupRefusesIncompleteCopy(t *testing.T) {
	db := filepath.Join(t.TempDir(), "canhbao.db")
	seedChats(t, db, store.Chat{ID: -9001, Agency: "Đơn vị"})
	ln, err := net.Listen("unix", socketPath(db))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", completeTrailer)
		w.Write(bytes.Repeat([]byte{0}, 8192)) // and then the database failed
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	out := filepath.Join(t.TempDir(), "copy.db")
	code, _, stderr := runCLI(t, map[string]string{"CANHBAO_DB": db}, "backup", out)
	if code == 0 || !strings.Contains(stderr, "stopped answering before the end") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a partial copy was left at %s", out)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".canhbao-backup-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestSecondServiceFailsFast: a second `canhbao run` on the same database
// stops at once with a message that says why, and leaves the first alone.
func TestSecondServiceFailsFast(t *testing.T) {
	tg, feed, cfg, _ := oneAlertService(t)

	env := map[string]string{"CANHBAO_DB": cfg.DB, "CANHBAO_FEEDS": "test=" + feed.URL,
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_ENDPOINT": tg.Endpoint()}
	began := time.Now()
	code, _, stderr := runCLI(t, env, "run")
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("the second service took %v to give up", took)
	}
	if code != 1 || strings.Count(stderr, "\n") != 1 ||
		!strings.Contains(stderr, "database is in use by another process") || !strings.Contains(stderr, "already running") {
		t.Errorf("exit %d: %q", code, stderr)
	}
	// The first one still answers on its socket.
	out := filepath.Join(t.TempDir(), "copy.db")
	if code, _, stderr := runCLI(t, env, "backup", out); code != 0 {
		t.Errorf("backup after the refused start: %s", stderr)
	}
	checkCopy(t, out, 1)
}

// TestBackupNeverHarmsTheDatabase: the database itself, under its own
// name, a symlink or a hard link, is refused while the service runs; an
// existing file is kept unless -force; the service goes on and nothing it
// recorded is lost.
func TestBackupNeverHarmsTheDatabase(t *testing.T) {
	tg, feed, cfg, _ := oneAlertService(t)
	env := map[string]string{"CANHBAO_DB": cfg.DB, "CANHBAO_FEEDS": "test=" + feed.URL}

	dir := t.TempDir()
	symlink, hardlink := filepath.Join(dir, "sym.db"), filepath.Join(dir, "hard.db")
	if err := os.Symlink(cfg.DB, symlink); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(cfg.DB, hardlink); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(cfg.DB)
	for _, target := range []string{cfg.DB, rel, symlink, hardlink} {
		for _, args := range [][]string{{"backup", target}, {"backup", "-force", target}} {
			code, stdout, stderr := runCLI(t, env, args...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, "is the database itself") {
				t.Errorf("%v: exit %d, %q %q", args, code, stdout, stderr)
			}
		}
	}
	if after, err := os.Stat(cfg.DB); err != nil || !os.SameFile(before, after) {
		t.Fatalf("the live database was replaced: %v", err)
	}

	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, env, "backup", existing)
	if b, _ := os.ReadFile(existing); code != 1 || string(b) != "keep me" || !strings.Contains(stderr, "-force") {
		t.Errorf("existing file without -force: exit %d, %q, file %q", code, stderr, b)
	}
	if code, _, stderr := runCLI(t, env, "backup", existing, "-force"); code != 0 {
		t.Fatalf("-force: %s", stderr)
	}
	checkCopy(t, existing, 1)

	// The service still records: a new item is delivered and stored.
	feed.set(rssItems(1, 2))
	waitText(t, tg, -9101, key(2))
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestExportSaysWhatWentWrong: an unknown alert, a missing database and a
// stopped service each get an answer that says so.
func TestExportSaysWhatWentWrong(t *testing.T) {
	_, feed, cfg, s := oneAlertService(t)
	env := map[string]string{"CANHBAO_DB": cfg.DB, "CANHBAO_FEEDS": "test=" + feed.URL}
	check := func(state string, wantCode int, want string, args ...string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, env, args...)
		if code != wantCode || !strings.Contains(stderr, want) || strings.Count(stderr, "\n") > 1 {
			t.Errorf("%s %v: exit %d, stdout %d bytes, %q", state, args, code, len(stdout), stderr)
		}
	}
	check("running", 1, "canhbao: export: no such alert 99\n", "export", "-alert", "99")
	check("running", 0, "", "export", "-alert", "1")
	s.stop()
	check("stopped", 1, "canhbao: export: no such alert 99\n", "export", "-alert", "99")
	check("stopped", 0, "", "export", "-alert", "1")
	env["CANHBAO_DB"] = filepath.Join(t.TempDir(), "none.db")
	check("no database", 1, "the service is not running and there is no database at", "export")
}

// oneAlertService runs the service with one approved chat (-9101) and one
// feed, and waits until the chat has the feed's first alert.
func oneAlertService(t *testing.T) (*telegramtest.Server, *feedServer, Config, *service) {
	t.Helper()
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 1))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	seedChats(t, cfg.DB, store.Chat{ID: -9101, Agency: "Đơn vị"})
	s := start(t, tg, cfg)
	waitText(t, tg, -9101, key(1))
	return tg, feed, cfg, s
}
