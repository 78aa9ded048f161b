package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// runBotWith runs the update loop like runBot, with the test's changes
// to the bot (staff, a longer wait) made before it starts.
func (r *rig) runBotWith(change func(b *Bot)) {
	b := &Bot{API: r.s.API, Store: r.st, Render: r.s.Render, Sender: r.s, Log: r.s.Log,
		Config: Config{AdminChat: deptChat, PollTimeout: time.Second}, Username: r.tg.Bot().UserName}
	change(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	r.tb.Cleanup(func() { cancel(); <-done })
}

// runPatientBot runs the update loop with replies waiting up to an hour
// for the message they answer to be recorded: a reply held for nothing is
// then never answered within the test.
func (r *rig) runPatientBot() {
	r.runBotWith(func(b *Bot) { b.recordWait = time.Hour })
}

// TestReplyIsNotHeldByOtherQueuedCards: a reply to the bot's fresh
// message that carries no alert is answered at once, whatever cards wait
// their turn for the same chat or are on their way to another one. Only a
// message about alerts on its way to the same chat can be the one replied
// to.
func TestReplyIsNotHeldByOtherQueuedCards(t *testing.T) {
	const chat, other = int64(-7001), int64(-7002)
	tests := map[string]struct {
		reply, answer string
		queue         func(r *rig)
	}{
		"cards queued for the same chat": {
			reply: "/ack", answer: "Tin nhắn được trả lời không gắn với cảnh báo nào",
			queue: func(r *rig) {
				later := time.Now().Add(time.Hour)
				r.enqueue(store.Outgoing{Kind: store.OutAlert, ChatID: chat, AlertIDs: []uint64{1}, NotBefore: later},
					store.Outgoing{Kind: store.OutReminder, ChatID: chat, AlertIDs: []uint64{1, 2}, NotBefore: later})
			},
		},
		"a card on its way to another chat": {
			reply: "/done đã vá", answer: "Cách dùng: /done",
			queue: func(r *rig) {
				// The other chat's card reaches Telegram; its outcome is
				// held back until the test ends.
				release := make(chan struct{})
				r.s.complete = func(dept int64, rs []store.Result) error {
					if resultsFor(r, rs, other) {
						<-release
					}
					return r.st.Complete(dept, rs)
				}
				r.tb.Cleanup(func() { close(release) })
				r.publish("Lỗ hổng VPN")
				waitFor(t, r, other, "Lỗ hổng VPN")
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := newRig(t).fast()
			r.approve(other)
			r.start()
			r.runPatientBot()
			r.enqueue(textTo(chat, "Mã nhóm: -7001"))
			answered := waitFor(t, r, chat, "Mã nhóm")
			r.waitOutboxEmpty(5 * time.Second)
			tc.queue(r)
			r.approve(chat)
			user := telegramtest.NewUser(9, "Lý Thị Mai")
			r.tg.Reply(telegramtest.Group(chat, "Group 7001"), user, answered.MessageID, tc.reply)
			waitFor(t, r, chat, tc.answer)
		})
	}
}

// resultsFor reports whether a batch of outcomes has one for chat.
func resultsFor(r *rig, rs []store.Result, chat int64) bool {
	found := false
	err := r.st.View(func(tx *store.Tx) error {
		for _, res := range rs {
			o, ok, err := tx.Outgoing(res.ID)
			if err != nil {
				return err
			}
			found = found || ok && o.ChatID == chat
		}
		return nil
	})
	return err == nil && found
}

// TestReplyBeforeTheCardIsRecorded: Telegram shows a card (and people
// answer it) a moment before its outcome is on disk; a reply in that
// moment waits for the record and acknowledges the card's alert.
func TestReplyBeforeTheCardIsRecorded(t *testing.T) {
	const chat = int64(-7001)
	r := newRig(t).fast()
	r.approve(chat)
	release := make(chan struct{})
	var held atomic.Bool
	r.s.complete = func(dept int64, rs []store.Result) error {
		if held.CompareAndSwap(false, true) {
			<-release // the card's outcome
		}
		return r.st.Complete(dept, rs)
	}
	r.start()
	t.Cleanup(func() {
		if held.Load() {
			select {
			case <-release:
			default:
				close(release)
			}
		}
	})
	r.runPatientBot()
	a := r.publish("Lỗ hổng VPN")
	card := waitFor(t, r, chat, "Lỗ hổng VPN")
	r.tg.WaitFor(t, 5*time.Second, held.Load, "the card's outcome held back")
	user := telegramtest.NewUser(9, "Lý Thị Mai")
	r.tg.Reply(telegramtest.Group(chat, "Group 7001"), user, card.MessageID, "/ack")
	// Give the bot time to answer wrongly if it does not wait.
	time.Sleep(500 * time.Millisecond)
	close(release)
	waitFor(t, r, chat, "Lý Thị Mai đã xác nhận cảnh báo")
	for _, m := range r.tg.Messages(chat) {
		if strings.Contains(m.Plain, "không gắn với cảnh báo") {
			t.Errorf("answered before the card was recorded: %q", m.Plain)
		}
	}
	if r.delivery(a.ID, chat).State != store.DeliverySent {
		t.Error("the card is not recorded as sent")
	}
}
