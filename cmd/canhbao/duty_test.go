package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
	"github.com/xuri/excelize/v2"
)

// TestDutyPeriod: a watch period asks every group of its tag; two
// register (one person by account, one by name, one rotating by day), the
// third is reminded and then named in the escalation. Critical alerts
// and reminders mention the people on duty only while a period runs;
// bad days get a clear answer; the roster is in the export.
func TestDutyPeriod(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	cfg.dutyGap = 5 * time.Second
	cfg.RemindUrgent = 10 * time.Second
	health := telegramtest.Group(-5601, "Sở Y tế")
	district := telegramtest.Group(-5602, "UBND huyện Sóc Sơn")
	press := telegramtest.Group(-5603, "Báo tỉnh")
	other := telegramtest.Group(-5604, "Viễn thông tỉnh")
	seedChats(t, cfg.DB,
		store.Chat{ID: health.ID, Agency: "Sở Y tế", Tags: []string{"trong-diem"}},
		store.Chat{ID: district.ID, Agency: "UBND huyện Sóc Sơn", Tags: []string{"trong-diem"}},
		store.Chat{ID: press.ID, Agency: "Báo tỉnh", Tags: []string{"trong-diem"}},
		store.Chat{ID: other.ID, Agency: "Viễn thông tỉnh"})
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	an := telegramtest.NewUser(301, "Nguyễn Văn An")
	binh := telegramtest.NewUser(302, "Trần Thị Bình")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")
	loc := bot.NewRenderer(bot.Vietnamese).Loc
	day := func(d int) string { return time.Now().In(loc).AddDate(0, 0, d).Format("02/01") }

	// Bad days are answered and open nothing.
	tg.SendText(dept, admin, "/duty 31/02 04/03 Sai ngày")
	waitText(t, tg, deptChat, "Ngày không hợp lệ: 31/02 04/03", "Cách dùng: /duty")
	tg.SendText(dept, admin, "/duty "+day(5)+" "+day(3)+" Ngược")
	waitText(t, tg, deptChat, "Ngày kết thúc trước ngày bắt đầu")

	// A period in ten days: the health department registers; a critical
	// alert now mentions nobody.
	tg.SendText(dept, admin, "/duty "+day(10)+" "+day(12)+" Trực Tết @trong-diem")
	waitText(t, tg, deptChat, "Đã mở đợt trực #1 “Trực Tết”", "đề nghị 3 đơn vị")
	waitText(t, tg, health.ID, "Lịch trực: Trực Tết")
	if countText(tg, other.ID, "Lịch trực") != 0 {
		t.Error("a group outside the tag was asked")
	}
	tg.SendText(health, an, "/duty tôi 0912 345 678")
	waitText(t, tg, health.ID, "Đã đăng ký cán bộ trực của Sở Y tế cho đợt “Trực Tết”", "cả đợt: Nguyễn Văn An — 0912 345 678")
	tg.SendText(dept, admin, "/broadcast [nghiêm trọng] Lỗ hổng trước đợt trực")
	first := waitText(t, tg, health.ID, "Lỗ hổng trước đợt trực")
	if strings.Contains(first.Plain, "Cán bộ trực") {
		t.Errorf("a mention before the period runs:\n%s", first.Plain)
	}

	// A period running from today.
	tg.SendText(dept, admin, "/duty "+day(0)+" "+day(2)+" Trực Quốc khánh @trong-diem")
	waitText(t, tg, deptChat, "Đã mở đợt trực #2 “Trực Quốc khánh”", "đề nghị 3 đơn vị")
	waitText(t, tg, district.ID, "Lịch trực: Trực Quốc khánh")
	// (Not the same text as before: a repeat within a minute is dropped.)
	tg.SendText(health, an, "/duty tôi 0912.345.678")
	waitText(t, tg, health.ID, "Đã đăng ký cán bộ trực của Sở Y tế cho đợt “Trực Quốc khánh”")
	tg.SendText(district, binh, "/duty Trần Thị Bình")
	waitText(t, tg, district.ID, "Không đọc được danh sách cán bộ trực")
	tg.SendText(district, binh, "/duty "+day(0)+" Trần Thị Bình 0987 654 321; "+day(1)+" Lê Văn Cường 0901.222.333")
	waitText(t, tg, district.ID, "Đã đăng ký cán bộ trực của UBND huyện Sóc Sơn", "Lê Văn Cường — 0901.222.333")

	// The press has not registered: one reminder, then the escalation
	// names it alone.
	waitText(t, tg, press.ID, "Nhắc việc", "chưa đăng ký cán bộ trực", "Trực Quốc khánh")
	esc := waitText(t, tg, deptChat, "Đợt trực #2 “Trực Quốc khánh”", "đã bắt đầu", "1/3 đơn vị chưa đăng ký")
	if !strings.HasSuffix(esc.Plain, "Báo tỉnh") {
		t.Errorf("escalation:\n%s", esc.Plain)
	}
	if n := countText(tg, press.ID, "chưa đăng ký cán bộ trực"); n != 1 {
		t.Errorf("%d duty reminders to the press, want 1", n)
	}
	tg.SendText(dept, admin, "/duty")
	st := waitText(t, tg, deptChat, "Đợt trực #2", "2/3 đơn vị đã đăng ký")
	expectAll(t, "/duty", st.Plain, "Sở Y tế: Nguyễn Văn An (0912.345.678)", "Trần Thị Bình (0987 654 321)", "Chưa đăng ký (1): Báo tỉnh")

	// During the period a critical alert mentions today's people: by
	// account when they registered themselves, by name and phone else.
	tg.SendText(dept, admin, "/broadcast @trong-diem [nghiêm trọng] Lỗ hổng trong đợt trực")
	card := waitText(t, tg, health.ID, "Lỗ hổng trong đợt trực")
	if !strings.Contains(card.Text, `Cán bộ trực: <a href="tg://user?id=301">Nguyễn Văn An</a> (0912.345.678)`) {
		t.Errorf("no mention on the critical card:\n%s", card.Text)
	}
	dcard := waitText(t, tg, district.ID, "Lỗ hổng trong đợt trực")
	if !strings.Contains(dcard.Plain, "Cán bộ trực: Trần Thị Bình (0987 654 321)") || strings.Contains(dcard.Plain, "Cường") {
		t.Errorf("the district's card should name today's person only:\n%s", dcard.Plain)
	}
	// Reminders sent during the period mention them too.
	tg.WaitFor(t, 30*time.Second, func() bool {
		for _, m := range tg.Messages(health.ID) {
			if strings.Contains(m.Plain, "Nhắc việc: cảnh báo") && strings.Contains(m.Text, `Cán bộ trực: <a href="tg://user?id=301">`) {
				return true
			}
		}
		return false
	}, "a reminder that mentions the person on duty")
	// An advisory that is not critical mentions nobody.
	tg.SendText(dept, admin, "/broadcast [cao] Cảnh báo thường")
	if c := waitText(t, tg, health.ID, "Cảnh báo thường"); strings.Contains(c.Plain, "Cán bộ trực") {
		t.Errorf("a mention under a high alert:\n%s", c.Plain)
	}

	// The rosters are in the export.
	tg.SendText(dept, admin, "/export trực")
	tg.WaitFor(t, 10*time.Second, func() bool { return len(tg.Documents(deptChat)) == 1 }, "the duty export")
	rows := readCSV(t, tg.Documents(deptChat)[0].Data)
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	all := strings.Join(lines, "\n")
	expectAll(t, "duty export", all, "Đợt trực|Tiêu đề", "|Trực Quốc khánh|", "|Sở Y tế|-5601|", "|cả đợt|Nguyễn Văn An|0912 345 678|301",
		"|Lê Văn Cường|0901.222.333|", "|Báo tỉnh|-5603|")

	// The workbook has the rosters on their own sheet.
	tg.SendText(dept, admin, "/export")
	tg.WaitFor(t, 10*time.Second, func() bool { return len(tg.Documents(deptChat)) == 2 }, "the workbook")
	f, err := excelize.OpenReader(bytes.NewReader(tg.Documents(deptChat)[1].Data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, _ := f.GetRows("Lịch trực")
	var cells []string
	for _, row := range sheet {
		cells = append(cells, strings.Join(row, "|"))
	}
	expectAll(t, "duty sheet", strings.Join(cells, "\n"), "|Trực Quốc khánh|", "|cả đợt|Nguyễn Văn An|0912.345.678|301")
}
