package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestEndToEnd walks the whole path a department uses: an agency
// subscribes, the department approves, the poller finds alerts, they reach
// the group, staff acknowledge them, and the department reads the report.
func TestEndToEnd(t *testing.T) {
	tg := telegramtest.New(t)
	doc := readTestdata(t, "cisa-all-advisories-first2.xml")
	feed := newFeedServer(t, withoutItems(doc))
	cfg := testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	start(t, tg, cfg)

	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	contact := telegramtest.NewUser(201, "Nguyễn Văn An")
	staff := telegramtest.NewUser(202, "Trần Thị Bình")
	stranger := telegramtest.NewUser(203, "Lê Văn Cường")
	health := telegramtest.Group(-4001, "Sở Y tế - ATTT")
	district := telegramtest.Group(-4002, "UBND huyện Đông Anh")
	dept := telegramtest.Group(deptChat, "Sở TT&TT - Trực ATTT")

	// The command menu is published.
	tg.WaitFor(t, 5*time.Second, func() bool {
		for _, c := range tg.Commands() {
			if c.Command == "ack" && c.Description == "Xác nhận đã nhận cảnh báo" {
				return true
			}
		}
		return false
	}, "the command menu")

	// 2. An agency contact subscribes; the department is asked.
	tg.AddBot(health, contact)
	waitText(t, tg, health.ID, "/subscribe")
	tg.SendText(health, contact, "/subscribe Sở Y tế")
	waitText(t, tg, health.ID, "Yêu cầu đăng ký của Sở Y tế đã được gửi Sở Khoa học và Công nghệ")
	req := waitText(t, tg, deptChat, "Yêu cầu đăng ký", "Sở Y tế", "-4001", "Nguyễn Văn An")
	if got := req.CallbackData(); len(got) != 2 || got[0] != "approve:-4001" || got[1] != "reject:-4001" {
		t.Fatalf("request buttons: %v", got)
	}

	// 3. Only department staff may approve.
	tg.PressButton(deptChat, req.MessageID, stranger, "approve:-4001")
	tg.WaitFor(t, 5*time.Second, func() bool { return len(tg.CallbackAnswers()) == 1 }, "refusal answer")
	if a := tg.CallbackAnswers()[0]; !strings.Contains(a.Text, "chỉ dành cho cán bộ Sở") {
		t.Fatalf("refusal: %+v", a)
	}
	// (In a private chat: a group that is not subscribed yet gets one
	// answer per ten minutes, and this one had its answer.)
	tg.SendText(telegramtest.PrivateChat(stranger), stranger, "/approve -4001")
	waitText(t, tg, stranger.ID, "chỉ dành cho cán bộ Sở")
	tg.PressButton(deptChat, req.MessageID, admin, "approve:-4001")
	waitText(t, tg, health.ID, "Sở Khoa học và Công nghệ đã duyệt đăng ký của Sở Y tế")

	// The decided request is edited: who decided and when, no buttons.
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(deptChat, req.MessageID)
		return m.Keyboard == nil && strings.Contains(m.Plain, "Đã duyệt bởi "+admin.FirstName+" lúc ")
	}, "the request card edited")

	tg.SendText(district, contact, "/subscribe@canhbao_test_bot UBND huyện Đông Anh")
	req2 := waitText(t, tg, deptChat, "Yêu cầu đăng ký", "UBND huyện Đông Anh")
	before := len(tg.Messages(deptChat))
	tg.SendText(dept, admin, "/approve -4002")
	waitText(t, tg, district.ID, "Sở Khoa học và Công nghệ đã duyệt")
	waitText(t, tg, deptChat, "Đã duyệt UBND huyện Đông Anh")
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(deptChat, req2.MessageID)
		return m.Keyboard == nil && strings.Contains(m.Plain, "Đã duyệt bởi")
	}, "the second request card edited")
	time.Sleep(300 * time.Millisecond)
	if n := len(tg.Messages(deptChat)) - before; n != 1 {
		t.Errorf("/approve in the department's chat sent %d messages there, want 1", n)
	}

	// 4. The source publishes; every approved group gets each alert once.
	feed.set(doc)
	for _, chat := range []int64{health.ID, district.ID} {
		// Items are numbered oldest first.
		card := waitText(t, tg, chat, "#2", "CISA Adds Two Known Exploited Vulnerabilities to Catalog")
		for _, want := range []string{"Nguồn: cisa", "CVE-2026-81578", "Thời gian công bố: 19:00 31/08/2026", "Xem chi tiết"} {
			if !strings.Contains(card.Plain, want) {
				t.Errorf("card in %d lacks %q:\n%s", chat, want, card.Plain)
			}
		}
		if !strings.Contains(card.Text, `<a href="https://www.cisa.gov/news-events/alerts/2026/08/31/cisa-adds-two-known-exploited-vulnerabilities-catalog">`) {
			t.Errorf("card link:\n%s", card.Text)
		}
		if got := card.CallbackData(); len(got) != 3 || got[0] != "ack:2" || got[1] != "note:2" || got[2] != "nouse:2" {
			t.Errorf("card button: %v", got)
		}
		waitText(t, tg, chat, "#1", "ASE2000")
	}

	// 5. Acknowledge with the button, twice by the same person.
	card1 := waitText(t, tg, health.ID, "#1")
	tg.PressButton(health.ID, card1.MessageID, staff, "ack:1")
	tg.WaitFor(t, 5*time.Second, func() bool { return len(tg.CallbackAnswers()) == 3 }, "ack answer")
	if a := tg.CallbackAnswers()[2]; a.Text != "Đã ghi nhận xác nhận." {
		t.Fatalf("ack answer: %+v", a)
	}
	tg.PressButton(health.ID, card1.MessageID, staff, "ack:1")
	tg.WaitFor(t, 5*time.Second, func() bool { return len(tg.CallbackAnswers()) == 4 }, "second ack answer")
	if a := tg.CallbackAnswers()[3]; !strings.Contains(a.Text, "đã được xác nhận trước đó") {
		t.Fatalf("second ack answer: %+v", a)
	}
	// The card shows who acknowledged.
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(health.ID, card1.MessageID)
		return strings.Contains(m.Plain, "Đã nhận: Trần Thị Bình")
	}, "live card edit")

	// /ack #2 and /ack by reply; wrong ids get clear answers.
	tg.SendText(health, contact, "/ack #2")
	waitText(t, tg, health.ID, "Nguyễn Văn An đã xác nhận cảnh báo #2")
	tg.SendText(health, contact, "/ack 2")
	waitText(t, tg, health.ID, "Nguyễn Văn An đã xác nhận cảnh báo #2 trước đó.")
	tg.SendText(health, contact, "/ack 99")
	waitText(t, tg, health.ID, "Không tìm thấy cảnh báo #99")
	tg.SendText(health, contact, "/ack abc")
	waitText(t, tg, health.ID, "Số cảnh báo không hợp lệ: abc")
	tg.SendText(health, contact, "/ack@some_other_bot 1") // not ours: no answer
	dcard := waitText(t, tg, district.ID, "#1")
	tg.Reply(district, staff, dcard.MessageID, "/ack")
	waitText(t, tg, district.ID, "Trần Thị Bình đã xác nhận cảnh báo #1")

	// An agency cannot acknowledge what it was not sent.
	other := telegramtest.Group(-4003, "Báo tỉnh")
	tg.SendText(other, contact, "/ack 1")
	waitText(t, tg, other.ID, "Cảnh báo #1 chưa được gửi tới nhóm này")

	// 6. /pending lists what the chat has not acknowledged.
	tg.SendText(district, staff, "/pending")
	p := waitText(t, tg, district.ID, "Cảnh báo chưa xác nhận (1)")
	if !strings.Contains(p.Plain, "#2") || strings.Contains(p.Plain, "#1 ") {
		t.Fatalf("pending:\n%s", p.Plain)
	}
	tg.SendText(health, staff, "/pending")
	waitText(t, tg, health.ID, "Nhóm đã xác nhận tất cả cảnh báo")

	// 7. Reports are for the department only.
	tg.SendText(health, contact, "/report 1")
	tg.WaitFor(t, 5*time.Second, func() bool { return strings.Contains(lastText(tg, health.ID), "chỉ dành cho cán bộ Sở") }, "report refusal")
	tg.SendText(dept, admin, "/report 2")
	rep := waitText(t, tg, deptChat, "Báo cáo cảnh báo #2")
	for _, want := range []string{"1/2 đã xác nhận", "Sở Y tế — đã nhận: Nguyễn Văn An lúc", "UBND huyện Đông Anh — chưa nhận"} {
		if !strings.Contains(rep.Plain, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.Plain)
		}
	}
	tg.SendText(dept, admin, "/agencies")
	ag := waitText(t, tg, deptChat, "Đơn vị (2)")
	if !strings.Contains(ag.Plain, "Sở Y tế — -4001 — đã duyệt") {
		t.Errorf("agencies:\n%s", ag.Plain)
	}
	tg.SendText(dept, admin, "/alerts")
	al := waitText(t, tg, deptChat, "Cảnh báo gần đây")
	if !strings.Contains(al.Plain, "#1") || !strings.Contains(al.Plain, "2/2 đã xác nhận") || !strings.Contains(al.Plain, "1/2 đã xác nhận") {
		t.Errorf("alerts:\n%s", al.Plain)
	}

	// 8. Help lists what the caller may use; unknown commands are answered.
	tg.SendText(health, contact, "/help")
	h := waitText(t, tg, health.ID, "Lệnh cho đơn vị")
	if strings.Contains(h.Plain, "/approve") {
		t.Errorf("agency help shows admin commands:\n%s", h.Plain)
	}
	tg.SendText(telegramtest.PrivateChat(admin), admin, "/start")
	ah := waitText(t, tg, admin.ID, "Lệnh cho cán bộ Sở")
	if !strings.Contains(ah.Plain, "/approve") || !strings.Contains(ah.Plain, "/report") {
		t.Errorf("admin help:\n%s", ah.Plain)
	}
	tg.SendText(health, contact, "/id")
	waitText(t, tg, health.ID, "Mã nhóm (dùng cho CANHBAO_ADMIN_CHAT_ID): -4001", "Mã người dùng của người gửi lệnh (dùng cho CANHBAO_ADMIN_IDS): 201")
	tg.SendText(telegramtest.PrivateChat(admin), admin, "/frobnicate")
	waitText(t, tg, admin.ID, "Lệnh không hợp lệ")

	// Unsubscribe: members may not, chat administrators may.
	tg.SendText(district, staff, "/unsubscribe")
	waitText(t, tg, district.ID, "Chỉ quản trị viên của nhóm")
	tg.SetMember(district.ID, contact.ID, "administrator")
	tg.SendText(district, contact, "/unsubscribe")
	waitText(t, tg, district.ID, "Đã ngừng gửi cảnh báo tới nhóm")
	waitText(t, tg, deptChat, "UBND huyện Đông Anh", "đã hủy nhận cảnh báo")

	// A new item reaches only the groups still subscribed, its text
	// escaped exactly.
	feed.set(withItem(doc, `<item><title>Exchange &lt; 2019 &amp; Outlook: &lt;script&gt;alert(1)&lt;/script&gt;</title>
<link>https://example.gov.vn/canh-bao/3</link><description>Nghiêm trọng, CVSS 9,8</description>
<pubDate>Mon, 31 Aug 26 13:00:00 +0000</pubDate><guid isPermaLink="false">/node/3</guid></item>`))
	c3 := waitText(t, tg, health.ID, "#3", "Exchange < 2019 & Outlook:")
	if strings.Contains(c3.Plain, "script") || !strings.Contains(c3.Text, "Exchange &lt; 2019 &amp; Outlook") {
		t.Errorf("escaping:\n%s", c3.Text)
	}
	time.Sleep(1500 * time.Millisecond) // two more polls: nothing new, nothing repeated
	for _, chat := range []int64{health.ID, district.ID} {
		seen := map[string]int{}
		for _, m := range tg.Messages(chat) {
			for _, n := range []string{"#1 ·", "#2 ·", "#3 ·"} {
				if strings.HasPrefix(strings.TrimLeft(m.Plain, "🔴🟠🟡🟢⚪ "), n) {
					seen[n]++
				}
			}
		}
		want := map[string]int{"#1 ·": 1, "#2 ·": 1, "#3 ·": 1}
		if chat == district.ID {
			delete(want, "#3 ·")
		}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("cards in %d: %v, want %v", chat, seen, want)
		}
	}
}

// TestWelcome checks what a chat is told when the bot is added to it: an
// agency's group how to subscribe, the department's chat what comes
// there, and, while no department chat is set, a group that department
// staff (or anyone, before staff are set) add how to make it the
// department's. An agency never reads that.
func TestWelcome(t *testing.T) {
	const contact = 501 // an agency's contact, not staff
	tests := []struct {
		name        string
		unset       bool // CANHBAO_ADMIN_CHAT_ID not set
		noStaff     bool // CANHBAO_ADMIN_IDS not set either
		chat, by    int64
		want, never []string
	}{
		{"an agency's group", false, false, -4101, contact,
			[]string{"Kính chào Quý đơn vị", "/subscribe &lt;tên đơn vị&gt;"}, []string{"CANHBAO_ADMIN_CHAT_ID", "nhóm trực"}},
		{"the department's chat", false, false, deptChat, adminID,
			[]string{"Nhóm này là nhóm trực của Sở Khoa học và Công nghệ", "yêu cầu đăng ký", "/help"}, []string{"/subscribe"}},
		{"a group staff add while the department's chat is not set", true, false, -4102, adminID,
			[]string{"/subscribe", "Nhóm trực của Sở Khoa học và Công nghệ chưa được khai báo", "/id", "CANHBAO_ADMIN_CHAT_ID", "khởi động lại"}, nil},
		{"any group while neither the chat nor staff are set", true, true, -4103, contact,
			[]string{"/subscribe", "CANHBAO_ADMIN_CHAT_ID"}, nil},
		{"an agency's group while only the chat is not set", true, false, -4104, contact,
			[]string{"/subscribe"}, []string{"CANHBAO_ADMIN_CHAT_ID", "nhóm trực"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := telegramtest.New(t)
			cfg := testConfig(t, tg)
			if tt.unset {
				cfg.AdminChat = 0
			}
			if tt.noStaff {
				cfg.AdminIDs = nil
			}
			start(t, tg, cfg)
			tg.AddBot(telegramtest.Group(tt.chat, "Nhóm"), telegramtest.NewUser(tt.by, "Người thêm bot"))
			got := tg.WaitMessages(t, tt.chat, 1, 5*time.Second)[0].Text
			expectAll(t, "the welcome", got, tt.want...)
			if i := slices.IndexFunc(tt.never, func(n string) bool { return strings.Contains(got, n) }); i >= 0 {
				t.Errorf("the welcome says %q:\n%s", tt.never[i], got)
			}
			time.Sleep(300 * time.Millisecond)
			if n := len(tg.Messages(tt.chat)); n != 1 {
				t.Errorf("%d messages on arrival; want one", n)
			}
		})
	}
}
