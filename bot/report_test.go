package bot

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// bigReport is one alert sent to n agencies, of which the first open
// ones have not acknowledged (one of them failed).
func bigReport(n, open int) store.Report {
	at := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	rep := store.Report{Alert: store.Alert{ID: 7, Title: "Lỗ hổng nghiêm trọng trong Fortinet FortiOS", Severity: store.SeverityCritical}}
	for i := range n {
		row := store.ReportRow{Chat: store.Chat{ID: int64(-1000 - i), Agency: fmt.Sprintf("UBND xã số %04d", i)},
			Delivery: store.Delivery{State: store.DeliverySent, SentAt: at}}
		if i == 0 {
			row.Delivery = store.Delivery{State: store.DeliveryFailed, Error: "403 Forbidden: bot was kicked from the group chat"}
		}
		if i >= open {
			row.Acks = []store.Ack{{Name: "Nguyễn Văn An", At: at.Add(time.Hour)}}
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}

func TestReportMessage(t *testing.T) {
	r := NewRenderer(Vietnamese)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		agencies, open int
		attached       bool
		want           []string
		not            []string
	}{
		"small: the whole report": {3, 1, false,
			[]string{"2/3 đã xác nhận", "UBND xã số 0000 — chưa nhận (gửi thất bại: bot đã bị xóa khỏi nhóm)", "UBND xã số 0002 — đã nhận"}, []string{"tệp"}},
		"1,000 agencies, 200 open: totals and the open ones": {1000, 200, true,
			[]string{"800/1000 đã xác nhận", "Đơn vị chưa nhận (200):", "UBND xã số 0000 — chưa nhận (gửi thất bại: bot đã bị xóa khỏi nhóm)",
				"⏳ UBND xã số 0001", "⏳ UBND xã số 0150", "Danh sách đầy đủ 1000 đơn vị"}, []string{"UBND xã số 0200", "đã nhận —"}},
		"1,000 agencies, 900 open: as many as fit": {1000, 900, true,
			[]string{"100/1000 đã xác nhận", "Đơn vị chưa nhận (900):", "⏳ UBND xã số 0001", "đơn vị chưa nhận khác (xem tệp gửi kèm)"}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			text, attached := r.ReportMessage(bigReport(tc.agencies, tc.open), now)
			plain := PlainText(text)
			if attached != tc.attached || VisibleLen(text) > MaxMessage {
				t.Fatalf("attached %v, %d characters:\n%s", attached, VisibleLen(text), plain)
			}
			if _, err := telegramtest.CheckHTML(text); err != nil {
				t.Fatalf("not valid Telegram HTML: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(plain, w) {
					t.Errorf("lacks %q:\n%s", w, plain)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(plain, w) {
					t.Errorf("has %q:\n%s", w, plain)
				}
			}
		})
	}
}

// TestReportAtScale: /report over 300 agencies answers with one message
// and the full list as an Excel file.
func TestReportAtScale(t *testing.T) {
	r := newRig(t).fast()
	r.s.Exporter = func(q store.ExportQuery) (string, []byte, error) { return ExportFile(r.st, r.s.Render, q) }
	at := time.Now().Add(-time.Hour)
	err := r.st.Update(func(tx *store.Tx) error {
		if err := tx.PutAlert(store.Alert{ID: 1, Source: "cisa", Key: "k", Title: "Lỗ hổng Ivanti EPMM", Severity: store.SeverityCritical, FirstSeen: at, Pushed: true}); err != nil {
			return err
		}
		for i := range 300 {
			chat := int64(-2000 - i)
			if err := tx.PutChat(store.Chat{ID: chat, Agency: fmt.Sprintf("Trường THCS số %03d", i), Status: store.ChatApproved}); err != nil {
				return err
			}
			if err := tx.PutDelivery(store.Delivery{AlertID: 1, ChatID: chat, State: store.DeliverySent, QueuedAt: at, SentAt: at}); err != nil {
				return err
			}
			if i%3 != 0 {
				if _, err := tx.AddAck(store.Ack{AlertID: 1, ChatID: chat, UserID: int64(100 + i), Name: "Lê Văn Bình", At: at.Add(time.Minute)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	r.runStaffBot()
	r.tg.SendText(telegramtest.Group(deptChat, "Trực ban"), staffUser, "/report 1")
	r.tg.WaitFor(t, 10*time.Second, func() bool { return len(r.tg.Documents(deptChat)) == 1 }, "the attached list")
	var msgs []telegramtest.Sent
	for _, m := range r.tg.Messages(deptChat) {
		if m.Method == "sendMessage" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0].Plain, "200/300 đã xác nhận") || !strings.Contains(msgs[0].Plain, "Đơn vị chưa nhận (100):") {
		t.Fatalf("want one message with the totals and the open agencies, got %d", len(msgs))
	}
	d := r.tg.Documents(deptChat)[0]
	if !strings.HasSuffix(d.FileName, "-1.xlsx") || !strings.Contains(d.Caption, "#1") {
		t.Errorf("document %q, caption %q", d.FileName, d.Caption)
	}
	f, err := excelize.OpenReader(bytes.NewReader(d.Data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Cảnh báo × đơn vị")
	if err != nil || len(rows) != 301 {
		t.Fatalf("attached sheet: %d rows, %v", len(rows), err)
	}
}
