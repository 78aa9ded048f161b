package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

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

// waitDelivery waits until the delivery of alert to chat is in state.
func (r *rig) waitDelivery(alert uint64, chat int64, state store.DeliveryState) store.Delivery {
	r.tb.Helper()
	var d store.Delivery
	r.tg.WaitFor(r.tb, 10*time.Second, func() bool {
		d = r.delivery(alert, chat)
		return d.State == state
	}, fmt.Sprintf("delivery of #%d to %d %s", alert, chat, state))
	return d
}

// waitOutboxEmpty waits until every entry has been settled.
func (r *rig) waitOutboxEmpty(timeout time.Duration) {
	r.tb.Helper()
	r.tg.WaitFor(r.tb, timeout, func() bool { return len(r.outbox()) == 0 }, "an empty outbox")
}

// fast shortens the sender's pacing and backoff so that a test of the
// mechanism takes a second, not minutes.
func (r *rig) fast() *rig {
	r.s.chatEvery, r.s.groupWindow, r.s.groupMax = 50*time.Millisecond, 2*time.Second, 20
	r.s.retryBase = 100 * time.Millisecond
	return r
}

// text queues a prepared message for chat.
func textTo(chat int64, html string) store.Outgoing {
	return store.Outgoing{Kind: store.OutText, ChatID: chat, Text: html}
}

// requestsTo returns the requests for method that named chat.
func (r *rig) requestsTo(method string, chat int64) []telegramtest.Request {
	var out []telegramtest.Request
	for _, q := range r.tg.Requests(method) {
		if q.Params.Get("chat_id") == fmt.Sprint(chat) {
			out = append(out, q)
		}
	}
	return out
}

// count returns how many messages in chat contain part.
func (r *rig) count(chat int64, part string) int {
	n := 0
	for _, m := range r.tg.Messages(chat) {
		if strings.Contains(m.Plain, part) {
			n++
		}
	}
	return n
}

func TestFanOutReachesEveryGroupOnce(t *testing.T) {
	r := newRig(t)
	ids := groups(100)
	r.approve(ids...)
	r.start()
	a1 := r.publish("Lỗ hổng thứ nhất")
	a2 := r.publish("Lỗ hổng thứ hai")
	r.tg.WaitMessages(t, 0, 2*len(ids), 20*time.Second)
	r.waitOutboxEmpty(5 * time.Second)
	for _, id := range ids {
		for _, a := range []store.Alert{a1, a2} {
			if n := r.count(id, fmt.Sprintf("#%d ·", a.ID)); n != 1 {
				t.Errorf("chat %d has %d cards of #%d, want 1", id, n, a.ID)
			}
			if d := r.delivery(a.ID, id); d.State != store.DeliverySent || d.MessageID == 0 {
				t.Errorf("delivery of #%d to %d: %+v", a.ID, id, d)
			}
		}
	}
	if n := len(r.tg.Messages(0)); n != 2*len(ids) {
		t.Errorf("%d messages in all, want %d", n, 2*len(ids))
	}
}

// At a high overall rate the dispatcher sends a few messages per wake
// (tokensFor); no second of Telegram's clock may see more than the rate.
func TestOverallRateHoldsInEverySecond(t *testing.T) {
	r := newRig(t)
	const rate = 300
	r.s.Rate, r.s.Workers = rate, 12
	ids := groups(450)
	r.approve(ids...)
	r.start()
	a := r.publish("Lỗ hổng")
	r.tg.WaitMessages(t, 0, len(ids), time.Minute)
	r.waitOutboxEmpty(10 * time.Second)
	if most := r.tg.MaxSendsWithin(0, time.Second); most > rate {
		t.Errorf("%d messages within one second, want at most %d", most, rate)
	}
	for _, id := range ids {
		if n := r.count(id, fmt.Sprintf("#%d ·", a.ID)); n != 1 {
			t.Errorf("chat %d has %d cards, want 1", id, n)
		}
	}
}

func TestOutcomesAreRecordedInBatches(t *testing.T) {
	r := newRig(t)
	// A slow disk: whatever is answered while one transaction is being
	// written goes into the next.
	r.s.complete = func(dept int64, rs []store.Result) error {
		time.Sleep(20 * time.Millisecond)
		return r.st.Complete(dept, rs)
	}
	ids := groups(100)
	r.approve(ids...)
	r.start()
	r.publish("Lỗ hổng")
	r.waitOutboxEmpty(20 * time.Second)
	// The counters move just after the commit that empties the outbox.
	r.tg.WaitFor(t, 5*time.Second, func() bool { return r.s.recorded.Load() == int64(len(ids)) }, "every outcome counted")
	batches, recorded := r.s.batches.Load(), r.s.recorded.Load()
	t.Logf("%d results in %d transactions", recorded, batches)
	// A worker is free again once its outcome is recorded, so while one
	// batch is written the next gathers: about half the workers each.
	if recorded != int64(len(ids)) || batches*3 > recorded {
		t.Errorf("%d results in %d transactions: want at least 3 (of %d workers) a transaction", recorded, batches, r.s.Workers)
	}
}

func TestPacingOneMessageASecondPerChat(t *testing.T) {
	r := newRig(t)
	private, group := int64(301), int64(-4001)
	var entries []store.Outgoing
	for i := range 4 {
		entries = append(entries, textTo(private, fmt.Sprintf("riêng %d", i)), textTo(group, fmt.Sprintf("nhóm %d", i)))
	}
	r.enqueue(entries...)
	start := time.Now()
	r.start()
	r.tg.WaitMessages(t, 0, 8, 10*time.Second)
	elapsed := time.Since(start)
	for _, chat := range []int64{private, group} {
		if n := r.tg.MaxSendsWithin(chat, time.Second); n != 1 {
			t.Errorf("chat %d got %d messages within one second, want 1: %v", chat, n, r.tg.SendTimes(chat))
		}
	}
	// Both chats were served side by side: 3 s, not 7.
	if elapsed > 5*time.Second {
		t.Errorf("8 messages to two chats took %v", elapsed)
	}
}

func TestGroupSlidingWindow(t *testing.T) {
	r := newRig(t).fast()
	r.s.groupWindow, r.s.groupMax = 2*time.Second, 5
	group := int64(-4001)
	var entries []store.Outgoing
	for i := range 8 {
		entries = append(entries, textTo(group, fmt.Sprintf("tin %d", i)))
	}
	r.enqueue(entries...)
	r.start()
	r.tg.WaitMessages(t, group, 8, 10*time.Second)
	times := r.tg.SendTimes(group)
	if n := r.tg.MaxSendsWithin(group, 2*time.Second); n > 5 {
		t.Errorf("%d messages within the 2 s window, want at most 5: %v", n, times)
	}
	if gap := times[5].Sub(times[0]); gap < 2*time.Second {
		t.Errorf("the 6th message came %v after the 1st, want ≥ 2s", gap)
	}
	if n := r.tg.MaxSendsWithin(group, 50*time.Millisecond); n > 1 {
		t.Errorf("%d messages within 50ms", n)
	}
}

func TestEditsArePacedLikeMessages(t *testing.T) {
	r := newRig(t)
	group := int64(-4001)
	r.approve(group)
	r.start()
	a := r.publish("Lỗ hổng")
	card := r.tg.WaitMessages(t, group, 1, 5*time.Second)[0]
	if err := r.st.Update(func(tx *store.Tx) error {
		if _, err := tx.AddAck(store.Ack{AlertID: a.ID, ChatID: group, UserID: 7, Name: "Bình", At: time.Now()}); err != nil {
			return err
		}
		if _, err := tx.Enqueue(store.Outgoing{Kind: store.OutEdit, ChatID: group, AlertIDs: []uint64{a.ID}, EditMessageID: card.MessageID}); err != nil {
			return err
		}
		_, err := tx.Enqueue(textTo(group, "tin sau"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r.s.Wake()
	r.tg.WaitMessages(t, group, 2, 5*time.Second)
	r.tg.WaitFor(t, 5*time.Second, func() bool { return len(r.tg.Edits(group)) == 1 }, "the edit")
	var times []time.Time
	for _, q := range append(r.requestsTo("sendMessage", group), r.requestsTo("editMessageText", group)...) {
		times = append(times, q.Time)
	}
	slices.SortFunc(times, time.Time.Compare)
	for i := 1; i < len(times); i++ {
		// Request times are when the fake read the request; the pace is
		// kept between answers, which follow at once.
		if gap := times[i].Sub(times[i-1]); gap < 990*time.Millisecond {
			t.Errorf("requests %d and %d to the group %v apart: %v", i-1, i, gap, times)
		}
	}
	if !strings.Contains(r.tg.Edits(group)[0].Plain, "Bình") {
		t.Errorf("edit: %s", r.tg.Edits(group)[0].Plain)
	}
}

func TestFloodWaitResendsAfterRetryAfter(t *testing.T) {
	r := newRig(t)
	a, b := int64(-4001), int64(-4002)
	r.approve(a, b)
	r.tg.FloodWait(a, 2, 1)
	r.start()
	alert := r.publish("Lỗ hổng")
	r.tg.WaitMessages(t, a, 1, 10*time.Second)
	r.waitDelivery(alert.ID, a, store.DeliverySent) // the answer is back
	reqs := r.requestsTo("sendMessage", a)
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Fatalf("requests to the flooded chat: %+v", reqs)
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 2*time.Second || gap > 3*time.Second {
		t.Errorf("resent %v after the 429 with retry_after 2", gap)
	}
	if reqs[0].Params.Get("text") != reqs[1].Params.Get("text") {
		t.Errorf("the resend is not the same message")
	}
	// The other chat was not held up.
	if sb := r.tg.SendTimes(b); len(sb) != 1 || sb[0].After(reqs[1].Time) {
		t.Errorf("the other group was served at %v, the flooded one at %v", sb, reqs[1].Time)
	}
}

func TestFloodedChatDoesNotHoldUpOthers(t *testing.T) {
	r := newRig(t).fast()
	slow, failing := int64(-4001), int64(-4002)
	others := []int64{-4003, -4004, -4005}
	r.tg.FloodWait(slow, 30, 1)
	r.tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		if p.Get("chat_id") == fmt.Sprint(failing) {
			return &telegramtest.Fault{Code: 500, Description: "Internal Server Error"}
		}
		return nil
	})
	var entries []store.Outgoing
	for i := range 3 {
		for _, chat := range append([]int64{slow, failing}, others...) {
			entries = append(entries, textTo(chat, fmt.Sprintf("tin %d", i)))
		}
	}
	r.enqueue(entries...)
	r.start()
	for _, chat := range others {
		r.tg.WaitMessages(t, chat, 3, 5*time.Second)
	}
	if n := len(r.tg.Messages(slow)); n != 0 {
		t.Errorf("the flood-waited chat got %d messages", n)
	}
	if n := len(r.requestsTo("sendMessage", slow)); n != 1 {
		t.Errorf("%d requests to the flood-waited chat within its retry_after", n)
	}
	for _, o := range r.outbox() {
		if o.ChatID == slow && o.Attempts > 0 && time.Until(o.NotBefore) < 25*time.Second {
			t.Errorf("flood-waited entry due at %v", o.NotBefore)
		}
	}
}

func TestFloodWaitFromSeveralChatsPausesEverything(t *testing.T) {
	r := newRig(t)
	a, b, c := int64(-4001), int64(-4002), int64(-4003)
	r.approve(a, b)
	r.tg.FloodWait(0, 2, 2) // the next two requests, whatever the chat
	r.start()
	r.publish("Lỗ hổng")
	r.tg.WaitFor(t, 5*time.Second, func() bool {
		n := 0
		for _, q := range r.tg.Requests("sendMessage") {
			if q.Status == 429 {
				n++
			}
		}
		return n == 2
	}, "two 429s")
	floodAt := time.Now()
	time.Sleep(200 * time.Millisecond) // the outcomes are recorded
	r.enqueue(textTo(c, "chat thứ ba"))
	got := r.tg.WaitMessages(t, c, 1, 5*time.Second)
	if wait := got[0].Time.Sub(floodAt); wait < 1700*time.Millisecond {
		t.Errorf("a third chat was sent to %v after two chats were flood-limited for 2s", wait)
	}
	r.tg.WaitMessages(t, a, 1, 5*time.Second)
	r.tg.WaitMessages(t, b, 1, 5*time.Second)
}

func TestKickedGroupBecomesGone(t *testing.T) {
	r := newRig(t)
	kicked, deleted, ok := int64(-4001), int64(-4002), int64(-4003)
	blocked := int64(301) // a private chat whose user blocked the bot
	r.approve(kicked, deleted, ok)
	if err := r.st.Update(func(tx *store.Tx) error {
		return tx.PutChat(store.Chat{ID: blocked, Type: "private", Agency: "Cán bộ trực", Status: store.ChatApproved})
	}); err != nil {
		t.Fatal(err)
	}
	r.tg.Kick(kicked)
	r.tg.Kick(blocked)
	r.tg.DeleteChat(deleted)
	a1 := r.publish("Lỗ hổng một")
	a2 := r.publish("Lỗ hổng hai")
	r.start()
	r.tg.WaitMessages(t, ok, 2, 5*time.Second)
	r.waitOutboxEmpty(5 * time.Second)
	reasons := map[int64]string{
		kicked:  "403 Forbidden: bot was kicked from the group chat",
		deleted: "400 Bad Request: chat not found",
		blocked: "403 Forbidden: bot was blocked by the user",
	}
	for chat, reason := range reasons {
		c := r.chat(chat)
		if c.Status != store.ChatGone || c.GoneFrom != store.ChatApproved || c.GoneReason != reason || c.Agency == "" {
			t.Errorf("chat %d after %q: %+v", chat, reason, c)
		}
		for _, a := range []store.Alert{a1, a2} {
			if d := r.delivery(a.ID, chat); d.State != store.DeliveryFailed || d.Error != reason {
				t.Errorf("delivery of #%d to %d: %+v", a.ID, chat, d)
			}
		}
		// One attempt: the second alert was dropped with the first.
		if n := len(r.requestsTo("sendMessage", chat)); n != 1 {
			t.Errorf("%d requests to gone chat %d", n, chat)
		}
	}
	// The department is told once per chat, and of nothing else.
	time.Sleep(300 * time.Millisecond)
	var text string
	for _, m := range r.tg.Messages(deptChat) {
		text += m.Plain + "\n"
	}
	for chat := range reasons {
		if n := strings.Count(text, fmt.Sprintf("(%d)", chat)); n != 1 {
			t.Errorf("department told of chat %d %d times:\n%s", chat, n, text)
		}
	}
	if strings.Contains(text, "Gửi thất bại") {
		t.Errorf("department got delivery failures besides the gone notices:\n%s", text)
	}
}

func TestMigrationMovesChatHistoryAndQueue(t *testing.T) {
	r := newRig(t)
	old, super := int64(-4001), int64(-1001234567890)
	r.approve(old)
	r.start()
	first := r.publish("Lỗ hổng cũ")
	r.tg.WaitMessages(t, old, 1, 5*time.Second)
	r.waitOutboxEmpty(5 * time.Second)
	r.tg.Migrate(old, super) // the bot reads no updates here: only the 400 tells it
	second := r.publish("Lỗ hổng mới")
	got := r.tg.WaitMessages(t, super, 1, 5*time.Second)
	if !strings.Contains(got[0].Plain, fmt.Sprintf("#%d", second.ID)) {
		t.Errorf("in the supergroup: %s", got[0].Plain)
	}
	r.waitOutboxEmpty(5 * time.Second)
	if c := r.chat(super); c.Status != store.ChatApproved || c.Agency != "Agency 4001" {
		t.Errorf("new chat: %+v", c)
	}
	if c := r.chat(old); c.MigratedTo != super || c.Status == store.ChatApproved {
		t.Errorf("old chat: %+v", c)
	}
	for _, a := range []store.Alert{first, second} {
		if d := r.delivery(a.ID, super); d.State != store.DeliverySent {
			t.Errorf("delivery of #%d under the new id: %+v", a.ID, d)
		}
	}
	r.tg.WaitFor(t, 5*time.Second, func() bool { return r.count(deptChat, "siêu nhóm") == 1 }, "the migration notice")
	// Later alerts go to the new id directly.
	r.publish("Lỗ hổng thứ ba")
	r.tg.WaitMessages(t, super, 2, 5*time.Second)
	if n := len(r.requestsTo("sendMessage", old)); n != 2 {
		t.Errorf("%d requests to the old id, want 2 (the first card, the refused one)", n)
	}
}

func TestTransientFailuresRetryUntilTelegramIsBack(t *testing.T) {
	r := newRig(t).fast()
	a := int64(-4001)
	r.approve(a)
	r.tg.FailNext("sendMessage", 2, 502) // nginx's HTML page
	r.tg.FailNext("sendMessage", 1, 500) // Telegram's JSON 500
	r.start()
	alert := r.publish("Lỗ hổng")
	r.tg.WaitMessages(t, a, 1, 10*time.Second)
	if n := len(r.requestsTo("sendMessage", a)); n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
	// Recorded first: cutting the connection under an answer on its way
	// back would make Telegram's copy a duplicate, as it would for real.
	r.waitDelivery(alert.ID, a, store.DeliverySent)
	r.tg.Down()
	second := r.publish("Lỗ hổng hai")
	r.tg.WaitFor(t, 5*time.Second, func() bool {
		for _, o := range r.outbox() {
			if o.Attempts >= 2 && strings.Contains(o.LastError, "connection refused") {
				return true
			}
		}
		return false
	}, "retries while Telegram is down")
	r.tg.Up()
	r.tg.WaitMessages(t, a, 2, 10*time.Second)
	r.waitDelivery(second.ID, a, store.DeliverySent)
	r.waitDelivery(alert.ID, a, store.DeliverySent)
	if n := r.count(a, "#"); n != 2 {
		t.Errorf("%d cards, want 2", n)
	}
}

func TestGiveUpMarksFailedAndTellsDepartment(t *testing.T) {
	r := newRig(t).fast()
	r.s.GiveUp = 2 * time.Second
	a, b := int64(-4001), int64(-4002)
	r.approve(a, b)
	r.tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		if p.Get("chat_id") == fmt.Sprint(a) {
			return &telegramtest.Fault{Code: 502, HTTPStatus: 502, RawBody: "<html><body>502 Bad Gateway</body></html>"}
		}
		return nil
	})
	r.start()
	start := time.Now()
	alert := r.publish("Lỗ hổng")
	r.tg.WaitMessages(t, b, 1, 5*time.Second)
	notice := waitFor(t, r, deptChat, "Gửi thất bại")
	if took := time.Since(start); took < 2*time.Second || took > 5*time.Second {
		t.Errorf("gave up after %v, want about 2s", took)
	}
	d := r.delivery(alert.ID, a)
	if d.State != store.DeliveryFailed || !strings.HasPrefix(d.Error, "gave up after 2s") {
		t.Errorf("delivery: %+v", d)
	}
	if !strings.Contains(notice.Plain, "Agency 4001") || !strings.Contains(notice.Plain, fmt.Sprintf("#%d", alert.ID)) {
		t.Errorf("notice: %s", notice.Plain)
	}
	if c := r.chat(a); c.Status != store.ChatApproved {
		t.Errorf("a failing chat must stay subscribed: %+v", c)
	}
}

// waitFor waits for a message in chat containing part.
func waitFor(t *testing.T, r *rig, chat int64, part string) telegramtest.Sent {
	t.Helper()
	var found telegramtest.Sent
	r.tg.WaitFor(t, 10*time.Second, func() bool {
		for _, m := range r.tg.Messages(chat) {
			if strings.Contains(m.Plain, part) {
				found = m
				return true
			}
		}
		return false
	}, fmt.Sprintf("%q in chat %d", part, chat))
	return found
}

func TestMalformedMessageSentOnceAsPlainText(t *testing.T) {
	r := newRig(t)
	broken, long := int64(301), int64(302)
	r.enqueue(textTo(broken, "Giá trị a < b & <b>đậm</b>"), textTo(long, "<b>"+strings.Repeat("Cảnh báo 🔴 ", 500)+"</b>"))
	r.start()
	m := r.tg.WaitMessages(t, broken, 1, 5*time.Second)[0]
	if m.ParseMode != "" || m.Plain != "Giá trị a < b & đậm" {
		t.Errorf("plain fallback: mode %q text %q", m.ParseMode, m.Plain)
	}
	if reqs := r.requestsTo("sendMessage", broken); len(reqs) != 2 || !strings.Contains(reqs[0].Description, "can't parse entities") {
		t.Errorf("requests: %+v", reqs)
	}
	l := r.tg.WaitMessages(t, long, 1, 5*time.Second)[0]
	if n := len(utf16.Encode([]rune(l.Plain))); n > MaxMessage || !strings.HasSuffix(l.Plain, "…") || l.ParseMode != "" {
		t.Errorf("too long, then plain: %d UTF-16 units, mode %q, ends %q", n, l.ParseMode, l.Plain[len(l.Plain)-10:])
	}
}

func TestMalformedTwiceFails(t *testing.T) {
	r := newRig(t)
	a := int64(-4001)
	r.approve(a)
	r.tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		if p.Get("chat_id") == fmt.Sprint(a) {
			return &telegramtest.Fault{Code: 400, Description: "Bad Request: can't parse entities: unsupported start tag \"x\" at byte offset 3"}
		}
		return nil
	})
	r.start()
	alert := r.publish("Lỗ hổng")
	notice := waitFor(t, r, deptChat, "Gửi thất bại")
	reqs := r.requestsTo("sendMessage", a)
	if len(reqs) != 2 || reqs[0].Params.Get("parse_mode") != "HTML" || reqs[1].Params.Get("parse_mode") != "" {
		t.Fatalf("want one HTML attempt and one plain: %+v", reqs)
	}
	if d := r.delivery(alert.ID, a); d.State != store.DeliveryFailed || !strings.Contains(d.Error, "can't parse entities") {
		t.Errorf("delivery: %+v", d)
	}
	if !strings.Contains(notice.Plain, "Telegram không đọc được định dạng của tin nhắn") {
		t.Errorf("notice: %s", notice.Plain)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(r.requestsTo("sendMessage", a)); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func TestLongAlertIsCutSafely(t *testing.T) {
	r := newRig(t)
	a := int64(-4001)
	r.approve(a)
	r.start()
	summary := strings.Repeat("Tin tặc khai thác <lỗ hổng> & chiếm quyền 🔴 điều khiển. ", 200)
	alert, _, err := r.st.Publish(store.Alert{Title: "Lỗ hổng rất dài", Summary: summary, Severity: store.SeverityCritical,
		Link: "https://example.gov.vn/canh-bao/dai?a=1&b=2"}, time.Now(), store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	r.s.Wake()
	m := r.tg.WaitMessages(t, a, 1, 5*time.Second)[0] // the fake parsed it: no tag or entity was cut
	if n := len(utf16.Encode([]rune(m.Plain))); n > MaxMessage {
		t.Errorf("%d UTF-16 units", n)
	}
	if !utf8.ValidString(m.Plain) || !strings.Contains(m.Plain, "…") {
		t.Errorf("cut: %q", m.Plain)
	}
	if !strings.Contains(m.Text, `href="https://example.gov.vn/canh-bao/dai?a=1&amp;b=2"`) {
		t.Errorf("link lost:\n%s", m.Text[len(m.Text)-300:])
	}
	r.waitDelivery(alert.ID, a, store.DeliverySent)
}

func TestNoticesMergedFailuresFirst(t *testing.T) {
	r := newRig(t)
	kicked := int64(-4999)
	r.approve(kicked)
	r.tg.Kick(kicked)
	// Sixty agencies ask to subscribe on the first morning.
	for i := range 60 {
		chat := int64(-6001 - i)
		if err := r.st.Update(func(tx *store.Tx) error {
			return tx.Notify(deptChat, store.Notice{Event: store.EventSubscribeRequest, ChatID: chat,
				Agency: fmt.Sprintf("Ủy ban nhân dân xã số %d", i+1), UserID: int64(1000 + i), UserName: "Nguyễn Văn An",
				Detail: fmt.Sprintf("UBND xã %d - Tổ ATTT", i+1)}, false)
		}); err != nil {
			t.Fatal(err)
		}
	}
	r.publish("Lỗ hổng") // the kicked group's failure comes after them
	r.start()
	start := time.Now()
	gone := waitFor(t, r, deptChat, "Không gửi được tới")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the department heard of the kicked group after %v", took)
	}
	r.waitOutboxEmpty(15 * time.Second)
	msgs := r.tg.Messages(deptChat)
	all := ""
	for _, m := range msgs {
		all += m.Plain + "\n"
	}
	for i := range 60 {
		if n := strings.Count(all, fmt.Sprintf("xã số %d\n", i+1)); n != 1 {
			t.Errorf("request %d appears %d times", i+1, n)
		}
	}
	t.Logf("61 notices in %d messages", len(msgs))
	if len(msgs) > 5 {
		t.Errorf("61 notices took %d messages", len(msgs))
	}
	// The failure went out ahead of the requests queued before it.
	if idx := slices.IndexFunc(msgs, func(m telegramtest.Sent) bool { return m.MessageID == gone.MessageID }); idx > 1 {
		t.Errorf("the gone notice was message %d of %d", idx+1, len(msgs))
	}
	for _, m := range msgs {
		if n := len(m.CallbackData()); n > 2*maxMergedRequests {
			t.Errorf("%d buttons in one message", n)
		}
	}
	if n := r.tg.MaxSendsWithin(deptChat, time.Second); n > 1 {
		t.Errorf("the department chat got %d messages within a second", n)
	}
}

func TestShutdownWithRequestsInFlight(t *testing.T) {
	r := newRig(t)
	ids := groups(8)
	r.approve(ids...)
	r.tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		return &telegramtest.Fault{Delay: time.Minute}
	})
	r.start()
	r.publish("Lỗ hổng")
	r.tg.WaitRequests(t, "sendMessage", 8, 5*time.Second)
	start := time.Now()
	r.stop()
	// Requests in flight get drainTime to finish, then are abandoned.
	if took := time.Since(start); took > drainTime+time.Second {
		t.Errorf("stopping took %v", took)
	}
	out := r.outbox()
	if len(out) != 8 {
		t.Fatalf("%d entries left, want 8", len(out))
	}
	for _, o := range out {
		if o.Attempts != 0 || o.LastError != "" || !o.NotBefore.IsZero() {
			t.Errorf("an interrupted send counted as a failure: %+v", o)
		}
	}
}

func TestOneBadRecordDoesNotHoldUpTheBatch(t *testing.T) {
	r := newRig(t)
	ids := groups(20)
	r.approve(ids...)
	var poison atomic.Uint64
	r.s.complete = func(dept int64, rs []store.Result) error {
		time.Sleep(10 * time.Millisecond) // so that batches form
		for _, res := range rs {
			if res.ID == poison.Load() {
				return errors.New("store: decode deliveries/…: invalid character")
			}
		}
		return r.st.Complete(dept, rs)
	}
	a := r.publish("Lỗ hổng")
	out := r.outbox()
	poison.Store(out[len(out)/2].ID)
	bad := out[len(out)/2].ChatID
	r.start()
	r.tg.WaitMessages(t, 0, len(ids), 10*time.Second)
	for _, id := range ids {
		if id != bad {
			r.waitDelivery(a.ID, id, store.DeliverySent)
		}
	}
	// The unrecorded one stays queued, and is not sent again in this run.
	time.Sleep(time.Second)
	if left := r.outbox(); len(left) != 1 || left[0].ID != poison.Load() {
		t.Errorf("outbox: %+v", left)
	}
	if n := len(r.tg.Messages(bad)); n != 1 {
		t.Errorf("the chat whose record failed got %d messages", n)
	}
	if !strings.Contains(r.logs.String(), "left in the outbox until the next start") {
		t.Errorf("log:\n%s", r.logs.String())
	}
}

func TestHangingChatsHoldAWorkerOnlyUntilTheTimeout(t *testing.T) {
	r := newRig(t).fast()
	r.s.Workers, r.s.sendTimeout = 2, 300*time.Millisecond
	hung := []int64{-4001, -4002}
	r.tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		if slices.Contains([]string{"-4001", "-4002"}, p.Get("chat_id")) {
			return &telegramtest.Fault{Delay: time.Minute}
		}
		return nil
	})
	r.enqueue(textTo(hung[0], "một"), textTo(hung[1], "hai"), textTo(-4003, "ba"), textTo(-4003, "bốn"))
	start := time.Now()
	r.start()
	r.tg.WaitMessages(t, -4003, 2, 5*time.Second)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the free chat waited %v behind two hanging ones", took)
	}
	// The free chat had the longer queue and went first; each hung chat
	// then holds a worker for the timeout and no longer.
	r.tg.WaitFor(t, 3*time.Second, func() bool {
		for _, o := range r.outbox() {
			if slices.Contains(hung, o.ChatID) && (o.Attempts == 0 || !strings.Contains(o.LastError, "deadline exceeded")) {
				return false
			}
		}
		return true
	}, "both hung requests timed out")
}

func TestPlainTextKeepsStrayAngleBrackets(t *testing.T) {
	for in, want := range map[string]string{
		"<b>#1</b> a &lt; b &amp; c": "#1 a < b & c",
		"a < b & <b>đậm</b>":         "a < b & đậm",
		"x <":                        "x <",
		"<a href=\"u\">link</a> <3":  "link <3",
		"1<2 và 3>2":                 "1<2 và 3>2",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("🔴 cảnh báo ", 1000)
	if got := plainFallback(long); len(utf16.Encode([]rune(got))) > MaxMessage || !utf8.ValidString(got) {
		t.Errorf("plain fallback of %d runes is %d UTF-16 units", len([]rune(long)), len(utf16.Encode([]rune(got))))
	}
}

// TestUnrenderableEntryFailsAlone: an outbox entry that makes rendering
// panic (here an alert card that names no alert) fails on its own; the
// process lives on and the next message is sent.
func TestUnrenderableEntryFailsAlone(t *testing.T) {
	r := newRig(t).fast()
	group := int64(-4101)
	r.approve(group)
	r.enqueue(store.Outgoing{Kind: store.OutAlert, ChatID: group}, textTo(group, "tin tiếp theo"))
	r.start()
	r.tg.WaitMessages(t, group, 1, 10*time.Second)
	r.waitOutboxEmpty(10 * time.Second)
	if n := r.count(group, "tin tiếp theo"); n != 1 {
		t.Errorf("the next message arrived %d times, want 1", n)
	}
}

// TestMessageID reads the message id of Telegram's answers, in the usual
// layout and any other.
func TestMessageID(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want int
	}{
		{`{"message_id":4711,"from":{"id":1,"is_bot":true},"chat":{"id":-100},"date":1,"text":"x"}`, 4711},
		{`{"message_id":7}`, 7},
		{`{ "chat": {"id": -100}, "message_id": 12 }`, 12},
		{`{"reply_to_message":{"message_id":3},"message_id":9}`, 9},
		{`{"message_id":12x}`, 0},
		{`true`, 0},
		{``, 0},
	} {
		if got := messageID(json.RawMessage(tc.raw)); got != tc.want {
			t.Errorf("messageID(%s) = %d, want %d", tc.raw, got, tc.want)
		}
	}
}

// TestCardRenderedOncePerVersion: the cards of a fan-out share one
// rendering, but an edited alert, or one acknowledged before its card
// left, is rendered anew.
func TestCardRenderedOncePerVersion(t *testing.T) {
	r := newRig(t)
	r.approve(-1, -2, -3)
	a := r.publish("Lỗ hổng trong OpenSSH")
	entries := map[int64]store.Outgoing{}
	for _, o := range r.outbox() {
		entries[o.ChatID] = o
	}
	text := func(chat int64) string {
		t.Helper()
		req, err := r.s.build(entries[chat], nil)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := req.(tgbotapi.MessageConfig)
		if !ok {
			t.Fatalf("request %T", req)
		}
		if m.ReplyMarkup == nil {
			t.Fatalf("card to %d without buttons", chat)
		}
		return m.Text
	}
	first := text(-1)
	if !strings.Contains(first, "OpenSSH") || text(-2) != first {
		t.Fatalf("cards of one fan-out differ or lack the title:\n%s\n%s", first, text(-2))
	}
	a.Title = "Lỗ hổng trong OpenSSH (cập nhật: đã có bản vá)"
	if err := r.st.Update(func(tx *store.Tx) error { return tx.PutAlert(a) }); err != nil {
		t.Fatal(err)
	}
	if got := text(-3); !strings.Contains(got, "đã có bản vá") {
		t.Errorf("card after the edit shows the old alert:\n%s", got)
	}
	if err := r.st.Update(func(tx *store.Tx) error {
		_, err := tx.AddAck(store.Ack{AlertID: a.ID, ChatID: -3, UserID: 9, Name: "Nguyễn Văn An", At: time.Now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := text(-3); !strings.Contains(got, "Nguyễn Văn An") {
		t.Errorf("card of an acknowledged alert does not show who:\n%s", got)
	}
}

// A job handed to a worker just before its chat's queue was cancelled
// (the agency unsubscribed) is not sent: the worker sees that queued
// entries changed since the dispatcher read them and reads them again.
func TestJobCancelledAfterDispatchIsNotSent(t *testing.T) {
	r := newRig(t)
	r.approve(-4001, -4002)
	r.publish("Lỗ hổng")
	entries := r.outbox()
	j := job{entries: entries[:1], gen: r.st.OutboxGeneration()}
	if got, err := r.s.fresh(j); err != nil || len(got) != 1 {
		t.Fatalf("before any change: %d entries, %v", len(got), err)
	}
	if err := r.st.Update(func(tx *store.Tx) error {
		_, err := tx.CancelQueued(deptChat, entries[0].ChatID, "unsubscribed", time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.s.fresh(j); err != nil || len(got) != 0 {
		t.Fatalf("after the cancel: %d entries, %v", len(got), err)
	}
	if o := r.s.deliver(context.Background(), j); len(o.results) != 0 || !o.at.IsZero() {
		t.Errorf("outcome %+v, want nothing sent", o)
	}
	if n := len(r.tg.Messages(entries[0].ChatID)); n != 0 {
		t.Errorf("%d messages reached the cancelled chat", n)
	}
}

// tokensFor hands out the overall limiter's tokens a whole burst per wake
// of the dispatcher (so that the pipeline wakes for eight messages at
// 1,000/s, not one), keeps the rate when its timer fires a little late,
// and never lets more than the rate through in any second.
func TestTokensForGrantsAWholeBurstPerWake(t *testing.T) {
	for _, tc := range []struct {
		rate      float64
		late      time.Duration // how late every timer fires
		perWake   int           // on time
		most      int           // in any one wake
		lowestAll float64       // of the rate, over ten seconds
	}{
		{25, 0, 1, 1, 0.98},
		{25, 5 * time.Millisecond, 1, 2, 0.98},
		{300, 0, 2, 2, 0.98},
		{1000, 0, 8, 8, 0.98},
		// A little late: the wake also takes the tokens of its lateness.
		{1000, 3 * time.Millisecond, 8, 11, 0.98},
		// Later than half a burst's time (staleAfter): the reservation
		// is dropped rather than sent on top of what piled up meanwhile.
		{1000, 6 * time.Millisecond, 8, 8, 0.3},
		{1000, 20 * time.Millisecond, 8, 8, 0.25},
	} {
		t.Run(fmt.Sprintf("rate=%v/late=%v", tc.rate, tc.late), func(t *testing.T) {
			d := &dispatcher{global: globalLimiter(tc.rate)}
			start := time.Unix(1_800_000_000, 0)
			now, end := start, start.Add(10*time.Second)
			var grants []time.Time
			for now.Before(end) {
				n := 0
				for first := true; ; first = false {
					at := d.tokensFor(now, first)
					if at.After(now) {
						if n > tc.most {
							t.Fatalf("%d messages in one wake at %v, want at most %d", n, now.Sub(start), tc.most)
						}
						now = at.Add(tc.late)
						break
					}
					grants = append(grants, now)
					n++
				}
			}
			if got := float64(len(grants)) / 10 / tc.rate; got < tc.lowestAll {
				t.Errorf("%.3f of the rate, want at least %.2f", got, tc.lowestAll)
			}
			if most := telegramtest.MostWithin(grants, time.Second); most > int(tc.rate) {
				t.Fatalf("%d messages within one second, want at most %v", most, tc.rate)
			}
			if tc.late == 0 {
				// Every wake but the first, which finds the burst full,
				// hands out exactly a burst.
				wakes := 0
				for i := 1; i < len(grants); i++ {
					if grants[i] != grants[i-1] {
						wakes++
					}
				}
				if per := float64(len(grants)) / float64(wakes+1); per < float64(tc.perWake)*0.99 {
					t.Errorf("%.2f messages per wake, want %d", per, tc.perWake)
				}
			}
		})
	}
}
