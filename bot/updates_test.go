package bot

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// runBot runs the update loop of a rig's sender and store until the test
// ends.
func (r *rig) runBot(now func() time.Time) {
	b := &Bot{API: r.s.API, Store: r.st, Render: r.s.Render, Sender: r.s, Log: r.s.Log,
		Config: Config{AdminChat: deptChat, PollTimeout: time.Second}, Username: r.tg.Bot().UserName, Now: now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	r.tb.Cleanup(func() { cancel(); <-done })
}

// TestUpdatesAfterAWeekOfSilence: Telegram numbers the first update after
// a week without any at random, possibly below the stored offset; the bot
// must still see it.
func TestUpdatesAfterAWeekOfSilence(t *testing.T) {
	tests := map[string]struct {
		lastHandled time.Duration // how long ago the stored offset was written
		answered    bool
	}{
		"a week of silence": {8 * 24 * time.Hour, true},
		// Within the week the stored offset is right: Telegram keeps
		// counting up, and an id below it was handled already.
		"an hour ago": {time.Hour, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			err := r.st.Update(func(tx *store.Tx) error { return tx.SetOffset(900000000, time.Now().Add(-tc.lastHandled)) })
			if err != nil {
				t.Fatal(err)
			}
			r.start()
			r.runBot(nil)
			user := telegramtest.NewUser(5, "An")
			r.tg.SendText(telegramtest.PrivateChat(user), user, "/id") // numbered below 900000000 by the fake
			if tc.answered {
				waitFor(t, r, user.ID, "Mã nhóm (dùng cho CANHBAO_ADMIN_CHAT_ID)")
				return
			}
			time.Sleep(2 * time.Second)
			if n := len(r.tg.Messages(user.ID)); n != 0 {
				t.Fatalf("%d answers to an update below the offset", n)
			}
		})
	}
}

// TestAcknowledgementWhileTheCardIsInFlight: a press that lands while the
// card is still on its way is shown by an edit once the card is recorded.
func TestAcknowledgementWhileTheCardIsInFlight(t *testing.T) {
	r := newRig(t)
	r.approve(-7001)
	r.tg.OnRequest(func(method string, _ url.Values) *telegramtest.Fault {
		if method == "sendMessage" {
			return &telegramtest.Fault{Delay: time.Second}
		}
		return nil
	})
	if err := r.st.Update(func(tx *store.Tx) error { return tx.PutSource(store.Source{Name: "src", LastSuccess: time.Now()}) }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.Ingest("src", []store.Alert{{Key: "k", Title: "Lỗ hổng VPN", Published: time.Now()}}, store.IngestOptions{Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.s.Wake()
	r.tg.WaitRequests(t, "sendMessage", 1, 5*time.Second) // in flight now
	b := &Bot{Store: r.st, Render: r.s.Render, Log: r.s.Log, Config: Config{EditDelay: 100 * time.Millisecond}}
	user := telegramtest.NewUser(9, "Lý Thị Mai")
	err := r.st.Update(func(tx *store.Tx) error {
		res, err := b.acknowledge(tx, -7001, []uint64{1}, &user, ackExtra{})
		if err == nil && res[0] != ackAdded {
			t.Errorf("result %v", res[0])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r.tg.WaitFor(t, 10*time.Second, func() bool {
		m := r.tg.Messages(-7001)
		return len(m) == 1 && strings.Contains(m[0].Plain, "Đã nhận: Lý Thị Mai")
	}, "the card edited after it was recorded")
}
