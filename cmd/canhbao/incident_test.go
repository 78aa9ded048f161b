package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// lastWith returns the newest message in chat containing every part.
func lastWith(t *testing.T, tg *telegramtest.Server, chat int64, parts ...string) telegramtest.Sent {
	t.Helper()
	waitText(t, tg, chat, parts...)
	msgs := tg.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(msgs[i].Plain, p)
		}
		if ok {
			return msgs[i]
		}
	}
	return telegramtest.Sent{}
}

// TestIncidentGuided: a guided report answered step by step with buttons
// and replies, in privacy mode (only replies to the bot and presses), a
// discovery five days back flagged late, the department's buttons and
// updates from both sides, an attachment, and another agency that sees
// nothing of it.
func TestIncidentGuided(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	health := telegramtest.Group(-5401, "Sở Y tế")
	district := telegramtest.Group(-5402, "UBND huyện Sóc Sơn")
	seedChats(t, cfg.DB, store.Chat{ID: health.ID, Agency: "Sở Y tế"}, store.Chat{ID: district.ID, Agency: "UBND huyện Sóc Sơn"})
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	an := telegramtest.NewUser(301, "Nguyễn Văn An")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")

	tg.SendText(health, an, "/suco")
	p1 := waitText(t, tg, health.ID, "SC-1 · 1/7", "phát hiện khi nào")
	tg.PressButton(health.ID, p1.MessageID, an, "inc:1:d:other")
	p1b := lastWith(t, tg, health.ID, "SC-1 · 1/7", "ngày phát hiện sự cố")
	if !strings.Contains(p1b.ReplyMarkup, `"force_reply":true`) {
		t.Errorf("the date question does not open the reply field: %s", p1b.ReplyMarkup)
	}
	loc := bot.NewRenderer(bot.Vietnamese).Loc
	fiveDays := time.Now().In(loc).Add(-100 * time.Hour).Format("02/01/2006 15:04")
	tg.Reply(health, an, p1b.MessageID, "31/02")
	waitText(t, tg, health.ID, "Không đọc được ngày")
	tg.Reply(health, an, p1b.MessageID, fiveDays)
	p2 := waitText(t, tg, health.ID, "SC-1 · 2/7", "Hệ thống nào")
	if !strings.Contains(p2.Text, `<a href="tg://user?id=301">Nguyễn Văn An</a>`) {
		t.Errorf("the question does not mention the person answering: %s", p2.Text)
	}
	tg.Reply(health, an, p2.MessageID, "Cổng thông tin điện tử soyte.example.gov.vn")
	p3 := waitText(t, tg, health.ID, "SC-1 · 3/7")
	tg.PressButton(health.ID, p3.MessageID, an, "inc:1:t:defacement")
	p4 := waitText(t, tg, health.ID, "SC-1 · 4/7")
	tg.Reply(health, an, p4.MessageID, "Trang chủ bị thay bằng nội dung xấu lúc 7h sáng; người dân không truy cập được")
	p5 := waitText(t, tg, health.ID, "SC-1 · 5/7")
	tg.Reply(health, an, p5.MessageID, "Đã tạm dừng trang, khôi phục từ bản sao lưu")
	p6 := waitText(t, tg, health.ID, "SC-1 · 6/7")
	tg.PressButton(health.ID, p6.MessageID, an, "inc:1:s:yes")
	p7 := waitText(t, tg, health.ID, "SC-1 · 7/7")
	tg.Reply(health, an, p7.MessageID, "0912 345 678")

	confirm := waitText(t, tg, health.ID, "Đã gửi báo cáo sự cố SC-1")
	expectAll(t, "confirmation", confirm.Plain, "Thay đổi giao diện", "soyte.example.gov.vn", "Báo cáo muộn", "0912 345 678",
		"Cần hỗ trợ: VNCERT/CC 086.9100.317 · ir@vncert.vn")
	card := waitText(t, tg, deptChat, "Sự cố SC-1 · Sở Y tế")
	expectAll(t, "card", card.Plain, "Báo cáo muộn: 4 ngày 4 giờ sau khi phát hiện", "quy định trong 3 ngày", "Thay đổi giao diện", "Đề nghị hỗ trợ: Có",
		"Điện thoại liên hệ: 0912 345 678", "Người báo cáo: Nguyễn Văn An", "Trạng thái: Chờ tiếp nhận")
	if got := strings.Join(card.CallbackData(), " "); got != "inc:1:recv inc:1:help inc:1:fixed" {
		t.Errorf("card buttons: %s", got)
	}

	// The department receives it: the card changes in place and the
	// agency is told.
	tg.PressButton(deptChat, card.MessageID, admin, "inc:1:recv")
	waitText(t, tg, health.ID, "SC-1: Sở Khoa học và Công nghệ đã tiếp nhận báo cáo sự cố", "Phạm Quản Trị")
	tg.WaitFor(t, 10*time.Second, func() bool {
		m, _ := tg.Message(deptChat, card.MessageID)
		return strings.Contains(m.Plain, "Trạng thái: Đã tiếp nhận") && len(m.CallbackData()) == 3
	}, "the card shows the new status")
	// Agency staff cannot press the department's buttons.
	forged := tg.ForgeCallback(deptChat, card.MessageID, an, "inc:1:fixed")
	tg.WaitFor(t, 10*time.Second, func() bool {
		for _, a := range tg.CallbackAnswers() {
			if a.QueryID == forged {
				return a.ShowAlert && strings.Contains(a.Text, "chỉ dành cho cán bộ Sở")
			}
		}
		return false
	}, "the forged press refused")

	// Updates from both sides reach the other.
	tg.Reply(dept, admin, card.MessageID, "Đề nghị giữ nguyên nhật ký máy chủ để phân tích")
	waitText(t, tg, health.ID, "SC-1 — Sở Khoa học và Công nghệ (Phạm Quản Trị) cập nhật: Đề nghị giữ nguyên nhật ký")
	tg.Reply(health, an, confirm.MessageID, "Đã sao lưu nhật ký, gửi kèm")
	waitText(t, tg, deptChat, "SC-1 · Sở Y tế — Nguyễn Văn An cập nhật: Đã sao lưu nhật ký")
	tg.ReplyDocument(health, an, confirm.MessageID, "Nhật ký truy cập")
	tg.WaitFor(t, 10*time.Second, func() bool {
		for _, m := range tg.Messages(deptChat) {
			if m.Method == "copyMessage" && strings.Contains(m.Plain, "SC-1 · Sở Y tế — Nguyễn Văn An gửi tệp đính kèm") && strings.Contains(m.Plain, "Nhật ký truy cập") {
				return true
			}
		}
		return false
	}, "the attachment copied to the department with its caption")
	tg.SendText(health, an, "/incident 1 Đã khôi phục trang")
	waitText(t, tg, deptChat, "Nguyễn Văn An cập nhật: Đã khôi phục trang")
	tg.SendText(dept, admin, "/incident 1")
	detail := waitText(t, tg, deptChat, "Sự cố SC-1", "gửi tệp đính kèm: Nhật ký truy cập")
	expectAll(t, "timeline", detail.Plain, "Phạm Quản Trị (Sở Khoa học và Công nghệ): đã tiếp nhận", "Nguyễn Văn An (đơn vị): cập nhật: Đã sao lưu nhật ký",
		"(đơn vị): gửi tệp đính kèm: Nhật ký truy cập", "Phạm Quản Trị (Sở Khoa học và Công nghệ): cập nhật: Đề nghị giữ nguyên")

	tg.SendText(dept, admin, "/incidents")
	list := waitText(t, tg, deptChat, "Sự cố đang mở (1)")
	expectAll(t, "/incidents", list.Plain, "SC-1 · Sở Y tế · Thay đổi giao diện", "báo cáo muộn", "Đã tiếp nhận")
	tg.PressButton(deptChat, card.MessageID, admin, "inc:1:fixed")
	waitText(t, tg, health.ID, "ghi nhận sự cố đã được khắc phục")
	tg.SendText(dept, admin, "/incidents")
	waitText(t, tg, deptChat, "Không có sự cố nào đang mở")

	// Another agency sees nothing of it, even when it asks.
	tg.SendText(district, an, "/incident 1")
	waitText(t, tg, district.ID, "Không tìm thấy sự cố SC-1")
	tg.SendText(district, an, "/incidents")
	waitText(t, tg, district.ID, "chỉ dành cho cán bộ Sở")
	for _, m := range tg.Messages(district.ID) {
		if strings.Contains(m.Plain, "soyte") || strings.Contains(m.Plain, "giao diện") || strings.Contains(m.Plain, "nhật ký") {
			t.Errorf("another agency saw the incident: %s", m.Plain)
		}
	}
	if n := countText(tg, health.ID, "đã được khắc phục"); n != 1 {
		t.Errorf("%d resolution messages, want 1 (the forged press must change nothing)", n)
	}
}

// TestIncidentOneMessage: /incident <text> files at once as discovered
// now (not late), asks only for what is missing, and an open incident
// without news reminds its agency once per period.
func TestIncidentOneMessage(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	cfg.IncidentStale = 3 * time.Second
	health := telegramtest.Group(-5501, "Sở Y tế")
	seedChats(t, cfg.DB, store.Chat{ID: health.ID, Agency: "Sở Y tế"})
	start(t, tg, cfg)
	an := telegramtest.NewUser(301, "Nguyễn Văn An")

	tg.SendText(health, an, "/incident Máy chủ thư điện tử bị mã hóa dữ liệu, nghi ransomware")
	card := waitText(t, tg, deptChat, "Sự cố SC-1 · Sở Y tế", "Máy chủ thư điện tử bị mã hóa")
	if strings.Contains(card.Plain, "Báo cáo muộn") {
		t.Errorf("a report of an incident discovered now is late:\n%s", card.Plain)
	}
	waitText(t, tg, health.ID, "Đã gửi báo cáo sự cố SC-1", "bổ sung các thông tin còn thiếu")
	p2 := waitText(t, tg, health.ID, "SC-1 · 2/7", "Hệ thống nào")
	if countText(tg, health.ID, "SC-1 · 1/7")+countText(tg, health.ID, "SC-1 · 4/7") != 0 {
		t.Error("asked again for what the message said")
	}
	tg.Reply(health, an, p2.MessageID, "Máy chủ mail.example.gov.vn")
	waitText(t, tg, deptChat, "SC-1 · Sở Y tế — Nguyễn Văn An cập nhật: Hệ thống bị ảnh hưởng: Máy chủ mail.example.gov.vn")
	p3 := waitText(t, tg, health.ID, "SC-1 · 3/7")
	tg.Reply(health, an, p3.MessageID, "mã độc")
	waitText(t, tg, deptChat, "Loại sự cố: Mã độc")
	p5 := waitText(t, tg, health.ID, "SC-1 · 5/7")
	tg.Reply(health, an, p5.MessageID, "Đã cách ly máy chủ")
	p6 := waitText(t, tg, health.ID, "SC-1 · 6/7")
	tg.PressButton(health.ID, p6.MessageID, an, "inc:1:s:no")
	p7 := waitText(t, tg, health.ID, "SC-1 · 7/7")
	tg.Reply(health, an, p7.MessageID, "không có")
	waitText(t, tg, health.ID, "Số điện thoại chưa hợp lệ")

	// No news for the stale period: one reminder, then another only after
	// another period.
	rem := waitText(t, tg, health.ID, "Nhắc việc", "SC-1", "chưa có cập nhật")
	time.Sleep(1500 * time.Millisecond)
	if n := countText(tg, health.ID, "chưa có cập nhật"); n != 1 {
		t.Errorf("%d stale reminders within one period, want 1", n)
	}
	// A reply to the reminder is an update, and resets the period.
	tg.Reply(health, an, rem.MessageID, "Đang phối hợp với nhà cung cấp")
	waitText(t, tg, deptChat, "cập nhật: Đang phối hợp với nhà cung cấp")

	// Incidents have their own table in the export.
	tg.SendText(telegramtest.Group(deptChat, "Sở"), telegramtest.NewUser(adminID, "Quản trị"), "/export sự cố")
	tg.WaitFor(t, 10*time.Second, func() bool { return len(tg.Documents(deptChat)) == 1 }, "the incidents export")
	d := tg.Documents(deptChat)[0]
	rows := readCSV(t, d.Data)
	if !strings.HasSuffix(d.FileName, "-incidents.csv") || len(rows) != 2 || rows[0][0] != "Số sự cố" {
		t.Fatalf("incidents export %s: %v", d.FileName, rows)
	}
	want := map[int]string{0: "SC-1", 1: "Sở Y tế", 7: "Không", 8: "Máy chủ mail.example.gov.vn", 9: "Mã độc", 13: "Chờ tiếp nhận"}
	for i, w := range want {
		if rows[1][i] != w {
			t.Errorf("field %d = %q, want %q", i, rows[1][i], w)
		}
	}
	expectAll(t, "the timeline column", rows[1][15], "gửi báo cáo", "Đang phối hợp với nhà cung cấp")
	var out bytes.Buffer
	if err := export(context.Background(), cfg, exportArgs{query: store.ExportQuery{Sheet: bot.SheetIncidents}}, &out); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, out.Bytes()); len(rows) != 2 || rows[1][0] != "SC-1" {
		t.Errorf("canhbao export -incidents: %v", rows)
	}
}
