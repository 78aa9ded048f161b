package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// seedChats writes approved agencies into the database before the
// service starts, as if they had subscribed earlier.
func seedChats(t testing.TB, db string, chats ...store.Chat) {
	t.Helper()
	seedStore(t, db, func(st *store.Store) error {
		return st.Update(func(tx *store.Tx) error {
			for _, c := range chats {
				if c.Status == "" {
					c.Status = store.ChatApproved
				}
				if err := tx.PutChat(c); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// TestDepartmentView covers what the department relies on: live cards,
// one reminder as a reply, one escalation, remediation notes, its own
// advisories (text and documents), the CSV export and the audit log.
func TestDepartmentView(t *testing.T) {
	tg := telegramtest.New(t)
	doc := readTestdata(t, "cisa-all-advisories-first2.xml")
	feed := newFeedServer(t, withoutItems(doc))
	cfg := testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.RemindUrgent, cfg.Remind, cfg.Escalate = 2*time.Second, time.Hour, 4*time.Second
	health := telegramtest.Group(-5001, "Sở Y tế")
	district := telegramtest.Group(-5002, "UBND huyện Sóc Sơn")
	seedChats(t, cfg.DB, store.Chat{ID: health.ID, Agency: "Sở Y tế"}, store.Chat{ID: district.ID, Agency: "UBND huyện Sóc Sơn"})
	start(t, tg, cfg)

	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	an := telegramtest.NewUser(301, "Nguyễn Văn An")
	binh := telegramtest.NewUser(302, "Trần Thị Bình")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")

	feed.set(doc)
	hc := waitText(t, tg, health.ID, "#1", "ASE2000")
	dc := waitText(t, tg, district.ID, "#1", "ASE2000")
	waitText(t, tg, district.ID, "#2")

	// Two presses close together make one edit listing both people.
	tg.PressButton(health.ID, hc.MessageID, an, "ack:1")
	tg.PressButton(health.ID, hc.MessageID, binh, "ack:1")
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(health.ID, hc.MessageID)
		return strings.Contains(m.Plain, "Nguyễn Văn An") && strings.Contains(m.Plain, "Trần Thị Bình")
	}, "card edited with both names")
	if n := len(tg.Edits(health.ID)); n != 1 {
		t.Errorf("%d edits for two quick presses, want 1", n)
	}
	if m, _ := tg.Message(health.ID, hc.MessageID); len(m.CallbackData()) != 3 || m.Keyboard.InlineKeyboard[0][0].Text != "✅ Đã nhận (2)" {
		t.Errorf("the edit dropped the button: %v", m.CallbackData())
	}

	// The district did not acknowledge #1: one reminder, as a reply.
	rem := waitText(t, tg, district.ID, "Nhắc việc", "#1")
	if rem.ReplyToMessageID != dc.MessageID {
		t.Errorf("reminder replies to %d, want the card %d", rem.ReplyToMessageID, dc.MessageID)
	}
	// The health department acknowledged #1 in time: no reminder for it.
	for _, m := range tg.Messages(health.ID) {
		if strings.Contains(m.Plain, "Nhắc việc") && strings.Contains(m.Plain, "#1") {
			t.Errorf("reminder after acknowledgement: %s", m.Plain)
		}
	}
	// One escalation per alert, naming those who have not acknowledged.
	esc := waitText(t, tg, deptChat, "cảnh báo chưa được xác nhận sau", "#1", "UBND huyện Sóc Sơn")
	if strings.Contains(esc.Plain, "Sở Y tế") {
		t.Errorf("escalation names an agency that acknowledged:\n%s", esc.Plain)
	}
	time.Sleep(1500 * time.Millisecond)
	count := func(chat int64, parts ...string) int {
		n := 0
		for _, m := range tg.Messages(chat) {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(m.Plain, p)
			}
			if ok {
				n++
			}
		}
		return n
	}
	if n := count(district.ID, "Nhắc việc", "#1"); n != 1 {
		t.Errorf("%d reminders for #1 in the district, want 1", n)
	}
	if n := count(deptChat, "chưa được xác nhận sau", "#1"); n != 1 {
		t.Errorf("%d escalations for #1, want 1", n)
	}

	// A remediation report acknowledges and shows in /report.
	tg.SendText(district, binh, "/done 1 đã vá 40/42 máy")
	waitText(t, tg, district.ID, "Đã ghi nhận báo cáo xử lý của Trần Thị Bình cho cảnh báo #1", "đã vá 40/42 máy")
	tg.SendText(dept, admin, "/report 1")
	rep := waitText(t, tg, deptChat, "Báo cáo cảnh báo #1")
	for _, want := range []string{"2/2 đã xác nhận", "Trần Thị Bình, ", ": đã vá 40/42 máy", "UBND huyện Sóc Sơn — đã xử lý"} {
		if !strings.Contains(rep.Plain, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.Plain)
		}
	}
	tg.SendText(district, binh, "/done 1")
	waitText(t, tg, district.ID, "Cách dùng: /done")

	// /overdue: #2 is unacknowledged everywhere past its deadline.
	tg.SendText(dept, admin, "/overdue")
	od := waitText(t, tg, deptChat, "Đơn vị quá hạn xác nhận (2)")
	if !strings.Contains(od.Plain, "#2") {
		t.Errorf("overdue:\n%s", od.Plain)
	}

	// The department's own advisory, with a severity word in front.
	tg.SendText(dept, admin, "/broadcast [cao] Cảnh báo dịp nghỉ lễ\nĐề nghị các đơn vị trực 24/7, cập nhật bản vá Microsoft.")
	waitText(t, tg, deptChat, "Đã phát hành cảnh báo #3", "tới 2 đơn vị")
	for _, chat := range []int64{health.ID, district.ID} {
		c := waitText(t, tg, chat, "#3 · CAO", "Cảnh báo dịp nghỉ lễ", "Sở Khoa học và Công nghệ", "trực 24/7")
		if got := c.CallbackData(); len(got) != 3 || got[0] != "ack:3" {
			t.Errorf("advisory button in %d: %v", chat, got)
		}
	}
	// A letter as a document is copied to every group with the button.
	letter := tg.SendDocument(dept, admin, "Công văn 123/STTTT-ATTT")
	tg.Reply(dept, admin, letter.MessageID, "/broadcast")
	waitText(t, tg, deptChat, "Đã phát hành cảnh báo #4")
	tg.WaitFor(t, 10*time.Second, func() bool {
		for _, chat := range []int64{health.ID, district.ID} {
			found := false
			for _, m := range tg.Messages(chat) {
				found = found || m.Method == "copyMessage" && m.CopiedFrom != nil && m.CopiedFrom.MessageID == letter.MessageID && len(m.CallbackData()) == 2
			}
			if !found {
				return false
			}
		}
		return true
	}, "the letter copied to both groups with a button")
	// Acknowledging the letter changes its button: its caption is the
	// department's own.
	var copied telegramtest.Sent
	for _, m := range tg.Messages(health.ID) {
		if m.Method == "copyMessage" {
			copied = m
		}
	}
	tg.PressButton(health.ID, copied.MessageID, an, "ack:4")
	tg.WaitFor(t, 10*time.Second, func() bool {
		m, _ := tg.Message(health.ID, copied.MessageID)
		return m.Keyboard != nil && strings.Contains(m.Keyboard.InlineKeyboard[0][0].Text, "Đã nhận (1): Nguyễn Văn An")
	}, "the letter's button shows the acknowledgement")

	// Non-admins get a clear refusal.
	tg.SendText(health, an, "/broadcast hello")
	waitText(t, tg, health.ID, "chỉ dành cho cán bộ Sở")
	tg.SendText(health, an, "/export")
	tg.SendText(health, an, "/audit")

	// /export 1 csv sends the CSV to the admin.
	tg.SendText(dept, admin, "/export 1 csv")
	tg.WaitFor(t, 10*time.Second, func() bool { return len(tg.Documents(deptChat)) == 1 }, "export document")
	d := tg.Documents(deptChat)[0]
	rows := readCSV(t, d.Data)
	if len(rows) != 4 { // header, two people in health, one in the district
		t.Fatalf("export rows: %v", rows)
	}
	if rows[0][0] != "Số cảnh báo" || rows[0][11] != "Báo cáo xử lý" {
		t.Errorf("header: %v", rows[0])
	}
	var districtRow []string
	for _, r := range rows[1:] {
		if r[5] == "-5002" {
			districtRow = r
		}
	}
	want := map[int]string{0: "1", 2: "Nghiêm trọng", 3: "cisa", 4: "UBND huyện Sóc Sơn", 6: "đã gửi", 8: "Trần Thị Bình", 12: "đã xử lý"}
	for i, w := range want {
		if districtRow == nil || districtRow[i] != w {
			t.Errorf("district row field %d = %q, want %q (row %v)", i, at(districtRow, i), w, districtRow)
		}
	}
	if districtRow != nil && (districtRow[7] == "" || districtRow[9] == "" || districtRow[10] == "" || !strings.HasSuffix(districtRow[11], ": đã vá 40/42 máy")) {
		t.Errorf("times missing: %v", districtRow)
	}

	// The same export from the command line, through the control socket.
	var out bytes.Buffer
	if err := export(context.Background(), cfg, exportArgs{}, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte("\uFEFF")) {
		t.Error("CSV without BOM")
	}
	if rows := readCSV(t, out.Bytes()); len(rows) < 8 {
		t.Errorf("full export has %d rows", len(rows))
	}

	// /export sends the Excel workbook; the command line writes the same.
	tg.SendText(dept, admin, "/export")
	tg.WaitFor(t, 10*time.Second, func() bool { return len(tg.Documents(deptChat)) == 2 }, "workbook document")
	x := tg.Documents(deptChat)[1]
	if !strings.HasSuffix(x.FileName, ".xlsx") || !strings.Contains(x.Caption, "Excel") {
		t.Errorf("workbook %q, caption %q", x.FileName, x.Caption)
	}
	out.Reset()
	if err := export(context.Background(), cfg, exportArgs{query: store.ExportQuery{Format: bot.FormatXLSX}}, &out); err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{x.Data, out.Bytes()} {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("workbook: %v", err)
		}
		if got := strings.Join(f.GetSheetList(), "|"); got != "Cảnh báo × đơn vị|Đơn vị|Nhật ký quản trị|Sự cố|Lịch trực" {
			t.Errorf("sheets %q", got)
		}
		rows, _ := f.GetRows("Cảnh báo × đơn vị")
		if len(rows) < 8 || rows[0][0] != "Số cảnh báo" {
			t.Errorf("alerts sheet: %d rows", len(rows))
		}
		if agencies, _ := f.GetRows("Đơn vị"); len(agencies) < 3 {
			t.Errorf("agencies sheet: %q", agencies)
		}
		f.Close()
	}

	tg.SendText(dept, admin, "/audit")
	au := waitText(t, tg, deptChat, "Nhật ký thao tác quản trị")
	for _, want := range []string{"phát hành cảnh báo", "xuất báo cáo"} {
		if !strings.Contains(au.Plain, want) {
			t.Errorf("audit lacks %q:\n%s", want, au.Plain)
		}
	}
}

func at(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, data)
	}
	return rows
}
