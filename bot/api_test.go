package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestClassifyTelegramAnswers sends through the real client to the fake,
// which answers each fault in Telegram's exact shape, and checks what the
// sender makes of the answer.
func TestClassifyTelegramAnswers(t *testing.T) {
	const group, private = int64(-4001), int64(301)
	type tc struct {
		setup  func(tg *telegramtest.Server)
		chat   int64
		text   string
		entry  store.Outgoing
		want   store.Status
		errHas string
		check  func(t *testing.T, r store.Result, now time.Time)
	}
	fault := func(f telegramtest.Fault) func(*telegramtest.Server) {
		return func(tg *telegramtest.Server) {
			tg.OnRequest(func(string, url.Values) *telegramtest.Fault { return &f })
		}
	}
	cases := map[string]tc{
		"429 waits exactly retry_after": {
			setup: func(tg *telegramtest.Server) { tg.FloodWait(group, 7, 1) },
			want:  store.Retry, errHas: "429 Too Many Requests: retry after 7",
			check: func(t *testing.T, r store.Result, now time.Time) {
				if r.RetryAt != now.Add(7*time.Second) || r.Plain {
					t.Errorf("retry at %v (now %v)", r.RetryAt, now)
				}
			},
		},
		"429 is never given up": {
			setup: func(tg *telegramtest.Server) { tg.FloodWait(group, 3, 1) },
			entry: store.Outgoing{Created: time.Now().Add(-48 * time.Hour)},
			want:  store.Retry, errHas: "429",
		},
		"kicked from a group": {
			setup: func(tg *telegramtest.Server) { tg.Kick(group) },
			want:  store.Gone, errHas: "403 Forbidden: bot was kicked from the group chat",
		},
		"blocked by the user": {
			setup: func(tg *telegramtest.Server) { tg.Kick(private) },
			chat:  private, want: store.Gone, errHas: "403 Forbidden: bot was blocked by the user",
		},
		"chat not found": {
			setup: func(tg *telegramtest.Server) { tg.DeleteChat(group) },
			want:  store.Gone, errHas: "400 Bad Request: chat not found",
		},
		"the department's own chat is never retired": {
			setup: func(tg *telegramtest.Server) { tg.Kick(deptChat) },
			chat:  deptChat, want: store.Failed, errHas: "403",
		},
		"migrated to a supergroup": {
			setup: func(tg *telegramtest.Server) { tg.Migrate(group, -1001234567890) },
			want:  store.Migrated, errHas: "group chat was upgraded to a supergroup chat",
			check: func(t *testing.T, r store.Result, _ time.Time) {
				if r.MigrateTo != -1001234567890 {
					t.Errorf("migrate to %d", r.MigrateTo)
				}
			},
		},
		"can't parse entities: once as plain text": {
			text: "a < b", want: store.Retry, errHas: "can't parse entities",
			check: func(t *testing.T, r store.Result, now time.Time) {
				if !r.Plain || r.RetryAt.After(now) {
					t.Errorf("want an immediate plain retry: %+v", r)
				}
			},
		},
		"too long: once as plain text": {
			text: strings.Repeat("x", 4097), want: store.Retry, errHas: "message is too long",
			check: func(t *testing.T, r store.Result, _ time.Time) {
				if !r.Plain {
					t.Error("not plain")
				}
			},
		},
		"malformed again as plain text fails": {
			text: "a < b", entry: store.Outgoing{Plain: true},
			setup: fault(telegramtest.Fault{Code: 400, Description: "Bad Request: can't parse entities: Unsupported start tag"}),
			want:  store.Failed, errHas: "can't parse entities",
		},
		"edit not modified counts as done": {
			entry: store.Outgoing{Kind: store.OutEdit, EditMessageID: 42},
			setup: fault(telegramtest.Fault{Code: 400, Description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}),
			want:  store.Sent,
			check: func(t *testing.T, r store.Result, _ time.Time) {
				if r.MessageID != 42 || r.Error != "" {
					t.Errorf("%+v", r)
				}
			},
		},
		"other 400 fails at once": {
			setup: fault(telegramtest.Fault{Code: 400, Description: "Bad Request: message to edit not found"}),
			want:  store.Failed, errHas: "message to edit not found",
		},
		"500 retries with backoff": {
			setup: func(tg *telegramtest.Server) { tg.FailNext("", 1, 500) },
			want:  store.Retry, errHas: "500 Internal Server Error",
			check: wantBackoff,
		},
		"502 HTML page retries": {
			setup: func(tg *telegramtest.Server) { tg.FailNext("", 1, 502) },
			want:  store.Retry, check: wantBackoff,
		},
		"connection closed retries": {
			setup: fault(telegramtest.Fault{Hangup: true}),
			want:  store.Retry, errHas: "EOF", check: wantBackoff,
		},
		"401 retries (a revoked token may be restored)": {
			setup: fault(telegramtest.Fault{Code: 401, Description: "Unauthorized"}),
			want:  store.Retry, errHas: "401 Unauthorized",
		},
		"gives up after GiveUp": {
			setup: func(tg *telegramtest.Server) { tg.FailNext("", 1, 502) },
			entry: store.Outgoing{Created: time.Now().Add(-25 * time.Hour)},
			want:  store.Failed, errHas: "gave up after 24h0m0s",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tg := telegramtest.New(t)
			if c.setup != nil {
				c.setup(tg)
			}
			s := &Sender{API: NewAPI(tg.Token(), tg.Endpoint(), 5*time.Second), DeptChat: deptChat, GiveUp: 24 * time.Hour,
				Log: slog.New(slog.DiscardHandler)}
			chat := cmpOr(c.chat, group)
			o := c.entry
			o.ID, o.ChatID = 1, chat
			o.Kind = cmpOr(o.Kind, store.OutText)
			if o.Created.IsZero() {
				o.Created = time.Now()
			}
			var req tgbotapi.Chattable
			text := cmpOr(c.text, "<b>Cảnh báo</b>")
			if o.Kind == store.OutEdit {
				e := tgbotapi.NewEditMessageText(chat, o.EditMessageID, text)
				e.ParseMode = tgbotapi.ModeHTML
				req = e
			} else {
				m := tgbotapi.NewMessage(chat, text)
				if !o.Plain {
					m.ParseMode = tgbotapi.ModeHTML
				}
				req = m
			}
			_, err := s.API.Call(context.Background(), req)
			if err == nil {
				t.Fatal("the fake accepted the request")
			}
			now := time.Now()
			r := s.classify(o, err, now)
			if r.Status != c.want || !strings.Contains(r.Error, c.errHas) || r.ID != 1 {
				t.Errorf("got status %d error %q, want %d with %q", r.Status, r.Error, c.want, c.errHas)
			}
			if c.check != nil {
				c.check(t, r, now)
			}
		})
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func wantBackoff(t *testing.T, r store.Result, now time.Time) {
	t.Helper()
	if d := r.RetryAt.Sub(now); d < 1600*time.Millisecond || d > 2400*time.Millisecond {
		t.Errorf("first retry in %v, want 2s ± 20%%", d)
	}
}

func TestTransientRetryEndsExactlyAtGiveUp(t *testing.T) {
	s := &Sender{GiveUp: time.Hour}
	now := time.Now()
	o := store.Outgoing{Created: now.Add(-59 * time.Minute), Attempts: 10}
	r := s.transient(o, "502", now)
	if r.Status != store.Retry || !r.RetryAt.Equal(o.Created.Add(time.Hour)) {
		t.Errorf("last retry at %v, want the deadline %v", r.RetryAt, o.Created.Add(time.Hour))
	}
	if r := s.transient(o, "502", o.Created.Add(time.Hour)); r.Status != store.Failed {
		t.Errorf("at the deadline: %+v", r)
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	for n, want := range map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 3: 8 * time.Second, 20: time.Minute} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := backoff(n, time.Second, time.Minute)
			if d < want*8/10 || d > want*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ± 20%%", n, d, want)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("backoff(%d) has no jitter: %v", n, seen)
		}
	}
}

// TestErrorsNeverCarryTheToken: transport errors quote the request URL,
// which holds the token.
func TestErrorsNeverCarryTheToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	const token = "7000000001:SECRET-token-must-not-leak"
	api := NewAPI(token, "http://"+addr+"/bot%s/%s", 2*time.Second)
	_, err = api.Call(context.Background(), tgbotapi.NewMessage(-4001, "x"))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error: %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("the cause is lost: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var logs syncBuffer
	if err := api.Connect(ctx, slog.New(slog.NewTextHandler(&logs, nil))); err == nil {
		t.Fatal("connected to nothing")
	}
	if strings.Contains(logs.String(), "SECRET") || !strings.Contains(logs.String(), "<token>") {
		t.Errorf("log:\n%s", logs.String())
	}

	// A request cancelled by its context says so, without the token.
	tg := telegramtest.New(t)
	tg.OnRequest(func(string, url.Values) *telegramtest.Fault { return &telegramtest.Fault{Delay: time.Minute} })
	api = NewAPI(tg.Token(), tg.Endpoint(), time.Minute)
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = api.Call(ctx, tgbotapi.NewMessage(-4001, "x"))
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), tg.Token()) {
		t.Errorf("cancelled call: %v", err)
	}
}

func TestShortAnswerKeepsOnlyTheMessageID(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"sent message", `{"ok":true,"result":{"message_id":4711,"from":{"id":1,"is_bot":true},"chat":{"id":-100,"type":"supergroup"},"date":1,"text":"C\u1ea3nh b\u00e1o","reply_markup":{"inline_keyboard":[[{"text":"ok","callback_data":"ack:1"}]]}}}`,
			`{"ok":true,"result":{"message_id":4711}}`},
		{"edit answered true", `{"ok":true,"result":true}`, `{"ok":true,"result":true}`},
		{"other layout", `{"ok":true,"result":{"chat":{"id":1},"message_id":5}}`, `{"ok":true,"result":{"chat":{"id":1},"message_id":5}}`},
		{"not a number", `{"ok":true,"result":{"message_id":"x"}}`, `{"ok":true,"result":{"message_id":"x"}}`},
		{"cut short", `{"ok":true,"result":{"message_id":12`, `{"ok":true,"result":{"message_id":12`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := shortAnswer(io.NopCloser(strings.NewReader(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// The API's own timeout bounds a request whose context has no deadline,
// or a later one; an earlier deadline of the caller's wins.
func TestRequestTimeout(t *testing.T) {
	tg := telegramtest.New(t)
	tg.OnRequest(func(string, url.Values) *telegramtest.Fault { return &telegramtest.Fault{Delay: time.Minute} })
	for _, tc := range []struct {
		name          string
		deadline      time.Duration // the caller's; 0 for none
		timeout, took time.Duration
	}{
		{"no deadline", 0, 200 * time.Millisecond, 200 * time.Millisecond},
		{"a later deadline", time.Hour, 200 * time.Millisecond, 200 * time.Millisecond},
		{"an earlier deadline", 100 * time.Millisecond, time.Hour, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			api := NewAPI(tg.Token(), tg.Endpoint(), tc.timeout)
			start := time.Now()
			done := make(chan error, 1)
			go func() {
				_, err := api.Call(ctx, tgbotapi.NewMessage(-4001, "x"))
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("got %v, want the deadline exceeded", err)
				}
				if took := time.Since(start); took < tc.took {
					t.Errorf("gave up after %v, before the %v it was given", took, tc.took)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the request outlived its timeout")
			}
		})
	}
}
