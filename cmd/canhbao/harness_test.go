package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// feedServer serves a feed document that the test can change between
// polls, as a real source publishes new items.
type feedServer struct {
	*httptest.Server
	mu   sync.Mutex
	body []byte
}

func newFeedServer(t testing.TB, body []byte) *feedServer {
	f := &feedServer{body: body}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(f.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) set(body []byte) {
	f.mu.Lock()
	f.body = body
	f.mu.Unlock()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withoutItems returns a real RSS document with its items taken out: the
// state of a source before it publishes.
func withoutItems(doc []byte) []byte {
	s := string(doc)
	i, j := strings.Index(s, "<item>"), strings.LastIndex(s, "</item>")
	return []byte(s[:i] + s[j+len("</item>"):])
}

// withItem returns doc with one more item before the others.
func withItem(doc []byte, item string) []byte {
	s := string(doc)
	i := strings.Index(s, "<item>")
	if i < 0 {
		i = strings.Index(s, "</channel>")
	}
	return []byte(s[:i] + item + "\n" + s[i:])
}

// syncBuffer is a log sink safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// service is canhbao running in-process against a fake Bot API.
type service struct {
	t      *testing.T
	tg     *telegramtest.Server
	cfg    Config
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

const (
	deptChat = int64(-1009000000001)
	adminID  = int64(111)
)

// testConfig is a configuration for the in-process service: fast polls,
// no backfill so that real (old) documents are pushed.
func testConfig(t testing.TB, tg *telegramtest.Server, feeds ...store.Source) Config {
	return onTestStore(Config{
		Token: tg.Token(), APIEndpoint: tg.Endpoint(),
		DB:    filepath.Join(t.TempDir(), "canhbao.db"),
		Feeds: feeds, PollInterval: time.Second,
		AdminIDs: []int64{adminID}, AdminChat: deptChat, Lang: bot.Vietnamese,
		Backfill: 1 << 62, SendRate: 1000, GiveUp: 24 * time.Hour,
		RemindUrgent: 4 * time.Hour, Remind: 24 * time.Hour, Escalate: 72 * time.Hour,
		DigestOver: 5, SourceAlertAfter: 6 * time.Hour, LogLevel: "debug",
		editDelay: 200 * time.Millisecond, remindEvery: 100 * time.Millisecond, pollTimeout: time.Second,
		IncidentWithin: 72 * time.Hour, IncidentStale: 24 * time.Hour, letterEvery: 100 * time.Millisecond,
	})
}

// start runs the service until the test ends (or stop is called).
func start(t *testing.T, tg *telegramtest.Server, cfg Config) *service {
	t.Helper()
	s := &service{t: t, tg: tg, cfg: cfg, logs: &syncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	log := newLogger(s.logs, cfg)
	go func() { s.done <- serve(ctx, cfg, log) }()
	t.Cleanup(func() { s.stop() })
	return s
}

// stop ends the service and checks that it stopped cleanly in time.
func (s *service) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("service: %v", err)
		}
	case <-time.After(5 * time.Second):
		s.t.Error("service did not stop within 5 seconds")
	}
	if s.t.Failed() {
		s.t.Logf("service log:\n%s", s.logs.String())
	}
}

// lastText is the newest message in chat, or "".
func lastText(tg *telegramtest.Server, chat int64) string {
	m := tg.Messages(chat)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1].Plain
}

// waitText waits for a message in chat whose visible text contains every
// part, and returns it.
func waitText(t *testing.T, tg *telegramtest.Server, chat int64, parts ...string) telegramtest.Sent {
	t.Helper()
	var found telegramtest.Sent
	tg.WaitFor(t, 10*time.Second, func() bool {
		for _, m := range tg.Messages(chat) {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(m.Plain, p)
			}
			if ok {
				found = m
				return true
			}
		}
		return false
	}, "a message in "+itoa(chat)+" containing "+strings.Join(parts, " + "))
	return found
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
