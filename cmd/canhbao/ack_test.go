package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// ackRig runs the service with one high-severity source serving items
// 1..n of rssItems, and the given groups approved, each subscribed by its
// own contact (user id 900+i).
func ackRig(t *testing.T, n int, configure func(*Config), groups ...tgbotapi.Chat) (*telegramtest.Server, Config) {
	t.Helper()
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, n))
	cfg := testConfig(t, tg, store.Source{Name: "cert", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	if configure != nil {
		configure(&cfg)
	}
	var chats []store.Chat
	for i, g := range groups {
		chats = append(chats, store.Chat{ID: g.ID, Title: g.Title, Agency: g.Title,
			RequestedBy: int64(900 + i), RequestedByName: fmt.Sprintf("Đầu mối %d", i)})
	}
	seedChats(t, cfg.DB, chats...)
	start(t, tg, cfg)
	return tg, cfg
}

// answerTo waits for the bot's message in chat that replies to msg.
func answerTo(t *testing.T, tg *telegramtest.Server, chat int64, msg int) telegramtest.Sent {
	t.Helper()
	var found telegramtest.Sent
	tg.WaitFor(t, 10*time.Second, func() bool {
		for _, m := range tg.Messages(chat) {
			if m.ReplyToMessageID == msg {
				found = m
				return true
			}
		}
		return false
	}, fmt.Sprintf("an answer to message %d in %d", msg, chat))
	return found
}

// ask sends text in chat and returns the bot's answer to it.
func ask(t *testing.T, tg *telegramtest.Server, chat tgbotapi.Chat, from tgbotapi.User, text string) telegramtest.Sent {
	t.Helper()
	m := tg.SendText(chat, from, text)
	return answerTo(t, tg, chat.ID, m.MessageID)
}

// wantAllAcknowledged asks /pending as someone else than who acknowledged
// (answers to one person due together are sent as one message).
func wantAllAcknowledged(t *testing.T, tg *telegramtest.Server, group tgbotapi.Chat) {
	t.Helper()
	if a := ask(t, tg, group, telegramtest.NewUser(999, "Kiểm tra"), "/pending"); !strings.Contains(a.Plain, "Nhóm đã xác nhận tất cả cảnh báo") {
		t.Errorf("%s still has alerts to acknowledge:\n%s", group.Title, a.Plain)
	}
}

// TestShortRepliesAcknowledge: a short acknowledging text in reply to a
// card counts and is answered once; chatter and negations are left alone.
func TestShortRepliesAcknowledge(t *testing.T) {
	// Three groups, so that Telegram's 20 messages a minute per group
	// (answers and card edits) do not slow the test down.
	groups := []tgbotapi.Chat{telegramtest.Group(-8101, "Sở Nội vụ"), telegramtest.Group(-8102, "Sở Ngoại vụ"), telegramtest.Group(-8103, "Sở Du lịch")}
	tg, _ := ackRig(t, 2, nil, groups...)
	group := groups[0]
	cards := make([]telegramtest.Sent, len(groups))
	for i, g := range groups {
		cards[i] = waitText(t, tg, g.ID, key(1))
	}
	card1 := cards[0]
	card2 := waitText(t, tg, group.ID, key(2))

	for i, text := range []string{"đã nhận", "OK", "nhận.", "Đã xem 👍", "ĐÃ RÕ!!", "da nhan a", "Em đã nhận được thông tin ạ", "👍", "Received, thanks"} {
		user := telegramtest.NewUser(int64(500+i), fmt.Sprintf("Cán bộ %d", i))
		g := groups[i%len(groups)]
		m := tg.Reply(g, user, cards[i%len(groups)].MessageID, text)
		a := answerTo(t, tg, g.ID, m.MessageID)
		if want := fmt.Sprintf("Cán bộ %d đã xác nhận cảnh báo #1", i); !strings.Contains(a.Plain, want) || strings.Count(a.Plain, "\n") > 0 {
			t.Errorf("%q answered %q, want one line with %q", text, a.Plain, want)
		}
	}
	someone := telegramtest.NewUser(600, "Lê Văn Cường")
	var chatter []int
	for _, text := range []string{"chưa nhận", "Không nhận được", "ok?", "Đã nhận chưa?", "Ai phụ trách máy chủ này?", "nhận được chưa", "Máy chủ của mình không dùng sản phẩm này"} {
		chatter = append(chatter, tg.Reply(group, someone, card2.MessageID, text).MessageID)
	}
	// A repeated acknowledgement by the same person is not answered again.
	first := telegramtest.NewUser(500, "Cán bộ 0")
	chatter = append(chatter, tg.Reply(group, first, card1.MessageID, "ok").MessageID)

	if a := ask(t, tg, group, someone, "/pending"); !strings.Contains(a.Plain, "#2") || strings.Contains(a.Plain, "#1 ") {
		t.Errorf("pending after chatter:\n%s", a.Plain)
	}
	for _, m := range tg.Messages(group.ID) {
		for _, c := range chatter {
			if m.ReplyToMessageID == c {
				t.Errorf("chatter %d was answered: %s", c, m.Plain)
			}
		}
	}
}

// TestRepliesToRemindersAcknowledge: the reminder is the newest message a
// group sees; a reply to it, its button and the command it shows all
// acknowledge every alert it lists. It names the group's contact.
func TestRepliesToRemindersAcknowledge(t *testing.T) {
	groups := []tgbotapi.Chat{telegramtest.Group(-8201, "Sở Tư pháp"), telegramtest.Group(-8202, "Sở Xây dựng"),
		telegramtest.Group(-8203, "Sở Công Thương"), telegramtest.Group(-8204, "Sở Tài chính")}
	tg, _ := ackRig(t, 2, func(c *Config) { c.RemindUrgent = 5 * time.Second }, groups...)
	user := telegramtest.NewUser(700, "Đỗ Thị Dung")
	for i, g := range groups {
		rem := waitText(t, tg, g.ID, "Nhắc việc", "chưa xác nhận 2 cảnh báo", "#1", "#2")
		if n := countText(tg, g.ID, "Nhắc việc"); n != 1 {
			t.Errorf("%s got %d reminders for two overdue alerts, want 1", g.Title, n)
		}
		if want := fmt.Sprintf(`<a href="tg://user?id=%d">Đầu mối %d</a>`, 900+i, i); !strings.Contains(rem.Text, want) {
			t.Errorf("reminder does not mention the contact %s:\n%s", want, rem.Text)
		}
		var m tgbotapi.Message
		switch i {
		case 0:
			m = tg.Reply(g, user, rem.MessageID, "/ack")
		case 1:
			m = tg.Reply(g, user, rem.MessageID, "Đã nhận ạ")
		case 2:
			cmds := rem.Code()
			if len(cmds) != 1 {
				t.Fatalf("reminder shows %v to type:\n%s", cmds, rem.Plain)
			}
			m = tg.SendText(g, user, cmds[0])
		case 3:
			if got := rem.CallbackData(); len(got) != 1 || got[0] != "ack" {
				t.Fatalf("reminder buttons %v", got)
			}
			tg.PressButton(g.ID, rem.MessageID, user, "ack")
		}
		if i < 3 {
			if a := answerTo(t, tg, g.ID, m.MessageID); !strings.Contains(a.Plain, "Đỗ Thị Dung đã xác nhận cảnh báo #1, #2") {
				t.Errorf("answer in %s: %s", g.Title, a.Plain)
			}
		}
		wantAllAcknowledged(t, tg, g)
	}
}

// TestDigestReminderTextSentBack: the reminder of a 25-alert digest tells
// a command that works as written; the older wording "/ack 1,2,…,20,+5"
// is accepted too, and so are replies to the digest itself.
func TestDigestReminderTextSentBack(t *testing.T) {
	groups := []tgbotapi.Chat{telegramtest.Group(-8301, "UBND phường Ba Đình"), telegramtest.Group(-8302, "UBND phường Hoàn Kiếm"),
		telegramtest.Group(-8303, "UBND phường Tây Hồ"), telegramtest.Group(-8304, "UBND phường Long Biên")}
	tg, _ := ackRig(t, 25, func(c *Config) { c.RemindUrgent = 2 * time.Second }, groups...)
	user := telegramtest.NewUser(701, "Ngô Văn Em")
	digests := make([]telegramtest.Sent, len(groups))
	for i, g := range groups {
		digests[i] = waitText(t, tg, g.ID, "Tổng hợp 25 cảnh báo mới")
	}
	// Before the reminder: replies to the digest.
	tg.Reply(groups[2], user, digests[2].MessageID, "/ack")
	tg.Reply(groups[3], user, digests[3].MessageID, "Đã nhận ạ.")
	for _, g := range groups[2:] {
		waitText(t, tg, g.ID, "Ngô Văn Em đã xác nhận cảnh báo #1–#25")
	}
	rem := waitText(t, tg, groups[0].ID, "Nhắc việc", "25 cảnh báo")
	cmds := rem.Code()
	if len(cmds) != 1 || cmds[0] != "/ack 1-25" {
		t.Fatalf("reminder tells people to type %q:\n%s", cmds, rem.Plain)
	}
	if a := ask(t, tg, groups[0], user, cmds[0]); !strings.Contains(a.Plain, "đã xác nhận cảnh báo #1–#25") {
		t.Errorf("the reminder's own command: %s", a.Plain)
	}
	waitText(t, tg, groups[1].ID, "Nhắc việc")
	if a := ask(t, tg, groups[1], user, "/ack 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,+5"); !strings.Contains(a.Plain, "đã xác nhận cảnh báo #1–#25") {
		t.Errorf("the older reminder's command: %s", a.Plain)
	}
	for _, g := range groups {
		wantAllAcknowledged(t, tg, g)
		if g.ID != groups[0].ID && g.ID != groups[1].ID && countText(tg, g.ID, "Nhắc việc") != 0 {
			t.Errorf("%s was reminded after acknowledging", g.Title)
		}
	}
}

// TestDoneRepliesAndNotes: /done as a reply to a card, notes appended
// and confirmed in one line each, the report button's forced reply, the
// "not used" answer, and a reply to a copied letter.
func TestDoneRepliesAndNotes(t *testing.T) {
	health, district := telegramtest.Group(-8401, "Sở Y tế"), telegramtest.Group(-8402, "UBND huyện Mê Linh")
	tg, _ := ackRig(t, 1, nil, health, district)
	an := telegramtest.NewUser(801, "Nguyễn Văn An")
	binh := telegramtest.NewUser(802, "Trần Thị Bình")
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")
	card := waitText(t, tg, health.ID, key(1))

	m := tg.Reply(health, an, card.MessageID, "/done đã vá 40/42 máy")
	if a := answerTo(t, tg, health.ID, m.MessageID); !strings.Contains(a.Plain, "Đã ghi nhận báo cáo xử lý của Nguyễn Văn An cho cảnh báo #1") ||
		!strings.HasSuffix(a.Plain, ": đã vá 40/42 máy") {
		t.Errorf("first /done answered: %s", a.Plain)
	}
	if a := ask(t, tg, health, an, "/done 1 đã vá nốt 2 máy"); !strings.HasSuffix(a.Plain, ": đã vá nốt 2 máy") {
		t.Errorf("second /done answered: %s", a.Plain)
	}
	// The report button asks with a forced reply; the reply is the note.
	tg.PressButton(health.ID, card.MessageID, binh, "note:1")
	prompt := waitText(t, tg, health.ID, "Đề nghị đồng chí Trần Thị Bình trả lời tin nhắn này", "#1")
	if !strings.Contains(prompt.ReplyMarkup, `"force_reply":true`) || !strings.Contains(prompt.Text, "tg://user?id=802") {
		t.Errorf("prompt markup %s, text %s", prompt.ReplyMarkup, prompt.Text)
	}
	m = tg.Reply(health, binh, prompt.MessageID, "Đã khởi động lại dịch vụ")
	if a := answerTo(t, tg, health.ID, m.MessageID); !strings.Contains(a.Plain, "Trần Thị Bình cho cảnh báo #1") {
		t.Errorf("note by forced reply answered: %s", a.Plain)
	}
	// The district does not run the product.
	dcard := waitText(t, tg, district.ID, key(1))
	tg.PressButton(district.ID, dcard.MessageID, binh, "nouse:1")
	tg.WaitFor(t, 5*time.Second, func() bool {
		for _, a := range tg.CallbackAnswers() {
			if a.Text == "Đã ghi nhận: đơn vị không sử dụng sản phẩm này." {
				return true
			}
		}
		return false
	}, "the not-used press answered")

	rep := ask(t, tg, dept, admin, "/report 1")
	for _, want := range []string{"2/2 đã xác nhận", "Sở Y tế — đã xử lý", "UBND huyện Mê Linh — không sử dụng",
		": đã vá 40/42 máy", ": đã vá nốt 2 máy", "Trần Thị Bình, ", ": Đã khởi động lại dịch vụ"} {
		if !strings.Contains(rep.Plain, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.Plain)
		}
	}
	if strings.Index(rep.Plain, "đã vá 40/42") > strings.Index(rep.Plain, "đã vá nốt") {
		t.Errorf("notes out of order:\n%s", rep.Plain)
	}
	// A reply to a copied letter acknowledges it.
	letter := tg.SendDocument(dept, admin, "Công văn 45/SKHCN-ATTT")
	tg.Reply(dept, admin, letter.MessageID, "/broadcast")
	var copied telegramtest.Sent
	tg.WaitFor(t, 10*time.Second, func() bool {
		for _, m := range tg.Messages(district.ID) {
			if m.Method == "copyMessage" {
				copied = m
				return true
			}
		}
		return false
	}, "the letter copied")
	m = tg.Reply(district, binh, copied.MessageID, "Đã nhận")
	if a := answerTo(t, tg, district.ID, m.MessageID); !strings.Contains(a.Plain, "Trần Thị Bình đã xác nhận cảnh báo #2") {
		t.Errorf("reply to the letter answered: %s", a.Plain)
	}
}

// TestSameReplyToTwoCards: one person replying "/ack" under one card and
// then under another within a minute makes two acknowledgements (a
// repeated command is otherwise answered once).
func TestSameReplyToTwoCards(t *testing.T) {
	group := telegramtest.Group(-8501, "Sở Văn hóa")
	tg, _ := ackRig(t, 2, nil, group)
	user := telegramtest.NewUser(511, "Phan Thị Giang")
	for n := 1; n <= 2; n++ {
		card := waitText(t, tg, group.ID, key(n))
		m := tg.Reply(group, user, card.MessageID, "/ack")
		if a := answerTo(t, tg, group.ID, m.MessageID); !strings.Contains(a.Plain, fmt.Sprintf("Phan Thị Giang đã xác nhận cảnh báo #%d", n)) {
			t.Errorf("/ack under card %d answered %q", n, a.Plain)
		}
	}
	wantAllAcknowledged(t, tg, group)
}
