package bot

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// deptChat is the department's chat in the sender tests: a supergroup, so
// that it is paced like a group.
const deptChat = int64(-1009000000001)

// syncBuffer is a log sink safe for the sender's goroutines.
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

// rig is a Sender over a fresh store and a fake Bot API.
type rig struct {
	tb   testing.TB
	tg   *telegramtest.Server
	st   *store.Store
	s    *Sender
	logs *syncBuffer

	cancel context.CancelFunc
	done   chan struct{}
}

func newRig(tb testing.TB, opts ...telegramtest.Option) *rig {
	tb.Helper()
	tg := telegramtest.New(tb, opts...)
	st, err := store.Open(filepath.Join(tb.TempDir(), "canhbao.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	logs := &syncBuffer{}
	r := &rig{tb: tb, tg: tg, st: st, logs: logs}
	r.s = &Sender{
		API:      NewAPI(tg.Token(), tg.Endpoint(), 10*time.Second),
		Store:    st,
		Render:   NewRenderer(Vietnamese),
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DeptChat: deptChat,
		GiveUp:   24 * time.Hour,
		Workers:  8,
	}
	return r
}

// start runs the sender until the test ends or stop is called.
func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		_ = r.s.Run(ctx)
	}()
	r.tb.Cleanup(r.stop)
}

// stop ends the sender and checks that it stopped within five seconds.
func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.tb.Error("sender did not stop within 5 seconds")
	}
	if r.tb.Failed() {
		r.tb.Logf("sender log:\n%s", r.logs.String())
	}
}

// approve stores approved group chats.
func (r *rig) approve(ids ...int64) {
	r.tb.Helper()
	err := r.st.Update(func(tx *store.Tx) error {
		for _, id := range ids {
			if err := tx.PutChat(store.Chat{ID: id, Type: "group", Title: fmt.Sprintf("Group %d", id),
				Agency: fmt.Sprintf("Agency %d", -id), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.tb.Fatal(err)
	}
}

// groups returns n group ids starting at -5001.
func groups(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(-5001 - i)
	}
	return out
}

// publish stores a department advisory, which queues one card to every
// approved chat, and wakes the sender.
func (r *rig) publish(title string) store.Alert {
	r.tb.Helper()
	a, _, err := r.st.Publish(store.Alert{Title: title, Summary: "Cập nhật bản vá ngay.", Severity: store.SeverityHigh,
		Link: "https://example.gov.vn/canh-bao"}, time.Now(), store.AuditEntry{Action: "publish"})
	if err != nil {
		r.tb.Fatal(err)
	}
	r.s.Wake()
	return a
}

// enqueue adds outbox entries in one transaction and wakes the sender.
func (r *rig) enqueue(entries ...store.Outgoing) []uint64 {
	r.tb.Helper()
	var ids []uint64
	err := r.st.Update(func(tx *store.Tx) error {
		for _, o := range entries {
			id, err := tx.Enqueue(o)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	r.s.Wake()
	return ids
}

func (r *rig) outbox() []store.Outgoing {
	r.tb.Helper()
	var out []store.Outgoing
	if err := r.st.View(func(tx *store.Tx) (err error) { out, err = tx.Outbox(); return err }); err != nil {
		r.tb.Fatal(err)
	}
	return out
}

func (r *rig) chat(id int64) store.Chat {
	r.tb.Helper()
	var c store.Chat
	if err := r.st.View(func(tx *store.Tx) (err error) { c, _, err = tx.Chat(id); return err }); err != nil {
		r.tb.Fatal(err)
	}
	return c
}

func (r *rig) delivery(alert uint64, chat int64) store.Delivery {
	r.tb.Helper()
	var d store.Delivery
	if err := r.st.View(func(tx *store.Tx) (err error) { d, _, err = tx.Delivery(alert, chat); return err }); err != nil {
		r.tb.Fatal(err)
	}
	return d
}

// waitOutboxEmpty waits until every entry has been settled.
func (r *rig) waitOutboxEmpty(timeout time.Duration) {
	r.tb.Helper()
	r.tg.WaitFor(r.tb, timeout, func() bool { return len(r.outbox()) == 0 }, "an empty outbox")
}
