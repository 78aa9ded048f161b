package bot

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

var alertNumberRe = regexp.MustCompile(`#(\d+)`)

// alertsIn reads the alert numbers a message shows ("#12").
func alertsIn(plain string) []uint64 {
	var out []uint64
	for _, m := range alertNumberRe.FindAllStringSubmatch(plain, -1) {
		id, _ := strconv.ParseUint(m[1], 10, 64)
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// TestAcknowledgementProperty drives random sequences of cards, digests,
// reminder rounds and replies through the fake Bot API. Every reply that
// README says acknowledges (/ack or /done as a reply, a short
// acknowledging text, the button, the command a reminder shows) must
// acknowledge exactly the alerts the message shows, nothing else must,
// and /pending and /report must agree with what happened in the chat.
func TestAcknowledgementProperty(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { ackProperty(t, seed, 24) })
	}
}

func ackProperty(t *testing.T, seed uint64, steps int) {
	rnd := rand.New(rand.NewPCG(seed, 99))
	r := newRig(t).fast()
	chats := []tgbotapi.Chat{telegramtest.Group(-6101, "Sở Y tế"), telegramtest.Group(-6102, "Sở Tư pháp"), telegramtest.Group(-6103, "UBND xã")}
	for _, c := range chats {
		r.approve(c.ID)
	}
	if err := r.st.Update(func(tx *store.Tx) error { return tx.PutSource(store.Source{Name: "src", LastSuccess: time.Now()}) }); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.runBot(nil)
	users := []tgbotapi.User{telegramtest.NewUser(71, "An"), telegramtest.NewUser(72, "Bình"), telegramtest.NewUser(73, "Cường")}
	acknowledging := []string{"đã nhận", "OK", "Da xem 👍", "Em đã nhận được ạ", "nhận.", "Received"}
	chatter := []string{"chưa nhận", "ok?", "không nhận được", "Ai xử lý việc này?", "đã nhận nhưng chưa xử lý"}

	delivered := 0
	acked := make(map[int64]map[uint64]bool)
	for _, c := range chats {
		acked[c.ID] = make(map[uint64]bool)
	}
	settle := func() {
		r.s.Wake()
		r.waitOutboxEmpty(20 * time.Second)
	}
	// pendingAgrees asks /pending in a group and checks it against the
	// model.
	checks := 0
	pendingAgrees := func(c tgbotapi.Chat, step string) {
		t.Helper()
		checks++
		// Someone who took no part asks, so that the answer is not merged
		// with an answer to the person who acknowledged.
		// (A new person each time: one person's repeated command within a
		// minute is answered once.)
		m := r.tg.SendText(c, telegramtest.NewUser(int64(1000+checks), "Kiểm tra"), "/pending")
		var answer telegramtest.Sent
		r.tg.WaitFor(t, 10*time.Second, func() bool {
			for _, s := range r.tg.Messages(c.ID) {
				if s.ReplyToMessageID == m.MessageID {
					answer = s
					return true
				}
			}
			return false
		}, "the /pending answer")
		var want []uint64
		for id := uint64(1); id <= uint64(delivered); id++ {
			if !acked[c.ID][id] {
				want = append(want, id)
			}
		}
		if got := alertsIn(answer.Plain); !slices.Equal(got, want) {
			t.Fatalf("seed %d, after %s: /pending in %s shows %v, want %v:\n%s", seed, step, c.Title, got, want, answer.Plain)
		}
	}

	for i := range steps {
		switch k := rnd.IntN(10); {
		case k < 2 || delivered == 0: // a poll: one card, or a digest of three
			n := 1 + 2*rnd.IntN(2)
			var items []store.Alert
			for j := range n {
				items = append(items, store.Alert{Key: fmt.Sprintf("k%d-%d", i, j), Title: fmt.Sprintf("Lỗ hổng thử nghiệm %d-%d", i, j),
					Severity: store.SeverityHigh, Published: time.Now()})
			}
			if _, err := r.st.Ingest("src", items, store.IngestOptions{Now: time.Now(), DigestOver: 2}); err != nil {
				t.Fatal(err)
			}
			delivered += n
			settle()
		case k < 3: // a reminder round: everything unacknowledged is due
			dl := store.Deadlines{UrgentAfter: time.Nanosecond, After: time.Nanosecond}
			if _, err := r.st.QueueReminders(time.Now(), dl, deptChat); err != nil {
				t.Fatal(err)
			}
			settle()
		default: // someone answers a message about alerts
			c := chats[rnd.IntN(len(chats))]
			var about []telegramtest.Sent
			for _, m := range r.tg.Messages(c.ID) {
				if data := m.CallbackData(); len(data) > 0 && strings.HasPrefix(data[0], cbAck) && len(alertsIn(m.Plain)) > 0 {
					about = append(about, m)
				}
			}
			if len(about) == 0 {
				continue
			}
			m := about[rnd.IntN(len(about))]
			u := users[rnd.IntN(len(users))]
			counts := true
			var step string
			switch form := rnd.IntN(6); form {
			case 0:
				step = "/ack as a reply"
				r.tg.Reply(c, u, m.MessageID, "/ack")
			case 1:
				text := acknowledging[rnd.IntN(len(acknowledging))]
				step = fmt.Sprintf("%q as a reply", text)
				r.tg.Reply(c, u, m.MessageID, text)
			case 2:
				step = "/done as a reply"
				r.tg.Reply(c, u, m.MessageID, "/done đã cập nhật bản vá")
			case 3:
				step = "the button " + m.CallbackData()[0]
				r.tg.PressButton(c.ID, m.MessageID, u, m.CallbackData()[0])
			case 4:
				cmds := m.Code()
				if len(cmds) == 0 { // not a reminder: its number
					cmds = []string{fmt.Sprintf("/ack %d", alertsIn(m.Plain)[0])}
					if ids := alertsIn(m.Plain); len(ids) > 1 {
						cmds = []string{"/ack " + compactIDs(ids)}
					}
				}
				step = "the command " + cmds[0]
				r.tg.SendText(c, u, cmds[0])
			default:
				text := chatter[rnd.IntN(len(chatter))]
				step = fmt.Sprintf("chatter %q", text)
				r.tg.Reply(c, u, m.MessageID, text)
				counts = false
			}
			if counts {
				for _, id := range alertsIn(m.Plain) {
					acked[c.ID][id] = true
				}
			}
			pendingAgrees(c, fmt.Sprintf("step %d, %s on %q", i, step, firstLine(m.Plain)))
		}
	}
	settle()
	// /report agrees with the chats.
	err := r.st.View(func(tx *store.Tx) error {
		for id := uint64(1); id <= uint64(delivered); id++ {
			rep, err := tx.Report(id)
			if err != nil {
				return err
			}
			for _, row := range rep.Rows {
				if row.Acked() != acked[row.Chat.ID][id] {
					t.Errorf("seed %d: report of #%d says %s acknowledged = %v", seed, id, row.Chat.Name(), row.Acked())
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TestReplyToFollowUpAcknowledges: a follow-up note (same vulnerability as
// a card the group has) stands for its own alert; "ok" under it
// acknowledges that alert only.
func TestReplyToFollowUpAcknowledges(t *testing.T) {
	r := newRig(t).fast()
	group := telegramtest.Group(-6201, "Sở Giao thông")
	r.approve(group.ID)
	err := r.st.Update(func(tx *store.Tx) error {
		return errors.Join(tx.PutSource(store.Source{Name: "src", LastSuccess: time.Now()}), tx.PutSource(store.Source{Name: "vendor", LastSuccess: time.Now()}))
	})
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	r.runBot(nil)
	for i, title := range []string{"Lỗ hổng Ivanti EPMM", "Ivanti phát hành bản vá"} {
		if _, err := r.st.Ingest([]string{"src", "vendor"}[i], []store.Alert{{Key: fmt.Sprint(i), Title: title, Severity: store.SeverityHigh,
			CVEs: []string{"CVE-2026-1281"}, Published: time.Now()}}, store.IngestOptions{Now: time.Now(), FollowUpWindow: time.Hour}); err != nil {
			t.Fatal(err)
		}
		r.s.Wake()
		r.waitOutboxEmpty(10 * time.Second)
	}
	msgs := r.tg.Messages(group.ID)
	if len(msgs) != 2 || !strings.Contains(msgs[1].Plain, "Cùng lỗ hổng với cảnh báo #1") {
		t.Fatalf("want a card and a follow-up: %+v", msgs)
	}
	user := telegramtest.NewUser(75, "Hà")
	m := r.tg.Reply(group, user, msgs[1].MessageID, "ok")
	answer := waitFor(t, r, group.ID, "Hà đã xác nhận cảnh báo #2")
	if answer.ReplyToMessageID != m.MessageID {
		t.Errorf("answer replies to %d", answer.ReplyToMessageID)
	}
	err = r.st.View(func(tx *store.Tx) error {
		if tx.Acked(1, group.ID) || !tx.Acked(2, group.ID) {
			t.Errorf("acknowledged #1 %v, #2 %v; want only #2", tx.Acked(1, group.ID), tx.Acked(2, group.ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReplyToCardNamingSCNumberAcknowledges: an alert whose title looks
// like an incident number ("SC-4200" is a product) is still an alert: a
// reply under its card acknowledges it and is not taken for an incident.
func TestReplyToCardNamingSCNumberAcknowledges(t *testing.T) {
	r := newRig(t).fast()
	group := telegramtest.Group(-6202, "Sở Công Thương")
	r.approve(group.ID)
	if err := r.st.Update(func(tx *store.Tx) error {
		return tx.PutSource(store.Source{Name: "src", LastSuccess: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.runBot(nil)
	if _, err := r.st.Ingest("src", []store.Alert{{Key: "sc", Title: "Lỗ hổng trong bộ điều khiển SC-4200", Severity: store.SeverityHigh,
		Published: time.Now()}}, store.IngestOptions{Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r.s.Wake()
	r.waitOutboxEmpty(10 * time.Second)
	msgs := r.tg.Messages(group.ID)
	if len(msgs) != 1 {
		t.Fatalf("want one card: %+v", msgs)
	}
	r.tg.Reply(group, telegramtest.NewUser(76, "Lan"), msgs[0].MessageID, "đã nhận")
	waitFor(t, r, group.ID, "Lan đã xác nhận cảnh báo #1")
}
