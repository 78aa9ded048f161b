package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

const damagedLine = "canhbao: database damaged: restore from a backup, see README ("

// fillWithFF overwrites every page of the file after its two meta pages
// with 0xFF, as a failing disk does.
func fillWithFF(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xFF}, int(fi.Size()-2*page)), 2*page); err != nil {
		t.Fatal(err)
	}
}

// TestCommandsRefuseDamagedDatabase: every command that opens a damaged
// database stops with the same one line and exit code 1, no stack trace,
// and leaves the file as it was; an empty file is not made a new
// database.
func TestCommandsRefuseDamagedDatabase(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"pages of 0xFF", fillWithFF},
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := t.TempDir() + "/canhbao.db"
			seedChats(t, db, store.Chat{ID: -9001, Agency: "Đơn vị"})
			c.damage(t, db)
			before, _ := os.ReadFile(db)
			env := map[string]string{"CANHBAO_DB": db, "CANHBAO_FEEDS": "test=http://127.0.0.1:1/feed.xml",
				"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_ENDPOINT": "http://127.0.0.1:1/bot%s/%s"}
			for _, args := range [][]string{{"run"}, {"export"}, {"backup", t.TempDir() + "/copy.db"}, {"check"}} {
				code, _, stderr := runCLI(t, env, args...)
				if code != 1 || !strings.HasPrefix(stderr, damagedLine) || strings.Count(stderr, "\n") != 1 {
					t.Errorf("%v: exit %d, %q", args, code, stderr)
				}
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
				t.Error("the damaged file was changed")
			}
		})
	}
}

// TestServiceStopsOnDamageWhileRunning: pages damaged under the running
// service stop it with the one line instead of a crash loop in the sender.
func TestServiceStopsOnDamageWhileRunning(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 1))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	// Enough chats (waiting for approval, so that they receive nothing)
	// that the chats bucket spans pages of its own: writes after the
	// damage rewrite the small buckets, but the next poll's fan-out must
	// read every chat, damaged pages included, whatever the sender
	// happened to read or write meanwhile.
	chats := []store.Chat{{ID: -9101, Agency: "Đơn vị"}}
	for i := range 300 {
		chats = append(chats, store.Chat{ID: int64(-20000 - i), Agency: fmt.Sprintf("Đơn vị chờ %d", i), Status: store.ChatPending})
	}
	seedChats(t, cfg.DB, chats...)
	s := start(t, tg, cfg)
	waitText(t, tg, -9101, key(1))

	fillWithFF(t, cfg.DB)
	feed.set(rssItems(2, 3)) // the next poll stores, the sender reads
	select {
	case err := <-s.done:
		s.cancel = nil
		if !errors.Is(err, store.ErrDamaged) {
			t.Fatalf("the service stopped with %v", err)
		}
		if strings.Contains(s.logs.String(), "goroutine ") {
			t.Errorf("a stack trace in the log:\n%s", s.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the service runs on a damaged file:\n%s", s.logs.String())
	}
}

// TestCheckCommand: `canhbao check FILE` passes a sound backup.
func TestCheckCommand(t *testing.T) {
	db := t.TempDir() + "/canhbao.db"
	seedChats(t, db, store.Chat{ID: -9001, Agency: "Đơn vị"})
	code, stdout, stderr := runCLI(t, map[string]string{"CANHBAO_DB": t.TempDir() + "/other.db"}, "check", db)
	if code != 0 || stdout != "database sound: "+db+"\n" {
		t.Errorf("exit %d: %q %q", code, stdout, stderr)
	}
}
