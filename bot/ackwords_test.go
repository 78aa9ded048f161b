package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestAcknowledgingVocabulary is the table README's "Acknowledging"
// section promises: what counts as an acknowledgement in reply to a
// message about an alert, and what must not.
func TestAcknowledgingVocabulary(t *testing.T) {
	counts := []string{
		"đã nhận", "Đã nhận", "ĐÃ NHẬN", "da nhan", "Da Nhan", "nhận", "nhan", "ok", "OK", "Ok.", "ok!", "oke", "okay",
		"đã xem", "da xem", "đã rõ", "Đã rõ.", "rõ", "đã nhận ạ", "Đã nhận được ạ", "nhận được rồi", "đã nhận thông tin",
		"Em đã nhận ạ", "Đơn vị đã nhận", "Chúng tôi đã nhận được", "Đã nhận, cảm ơn!", "đã xác nhận", "xác nhận",
		"đã biết", "đã nhận 👍", "👍", "✅", "👌", "đã nhận!!! 🙏", "nhận rồi nhé",
		"ack", "Acknowledged", "received", "Received, thanks", "noted", "got it", "Roger", "seen",
		"  đã\tnhận  ", "đã nhận\u0323", // combining marks as some keyboards send them
	}
	notCounts := []string{
		"", "chưa nhận", "Chưa nhận được", "không nhận được", "không nhận", "ok?", "OK ?", "đã nhận chưa?", "nhận được chưa",
		"đã nhận chưa", "ai nhận?", "không ok", "chưa rõ", "không rõ", "ok nhưng chưa vá", "đã nhận nhưng chưa xử lý",
		"máy chủ của đơn vị không dùng sản phẩm này", "👎", "ok em kiểm tra lại", "received? not yet", "not ok",
		"xem", "nhận xét",
	}
	for _, s := range counts {
		if !isAcknowledgement(s) {
			t.Errorf("%q should acknowledge", s)
		}
	}
	for _, s := range notCounts {
		if isAcknowledgement(s) {
			t.Errorf("%q must not acknowledge", s)
		}
	}
}

func TestParseAlertList(t *testing.T) {
	tests := []struct {
		in   string
		ids  []uint64
		more int
		ok   bool
	}{
		{"12", []uint64{12}, 0, true},
		{"#12", []uint64{12}, 0, true},
		{"3,4", []uint64{3, 4}, 0, true},
		{"3, 4 #5", []uint64{3, 4, 5}, 0, true},
		{"59-62", []uint64{59, 60, 61, 62}, 0, true},
		{"59–61,70", []uint64{59, 60, 61, 70}, 0, true},
		{"59,60,…,63,+5", []uint64{59, 60, 61, 62, 63}, 5, true},
		{"1,2...4", []uint64{1, 2, 3, 4}, 0, true},
		{"4,4", []uint64{4}, 0, true},
		{"+5", nil, 5, false},
		{"abc", nil, 0, false},
		{"0", nil, 0, false},
		{"5-3", nil, 0, false},
		{"1-999999999", nil, 0, false},
		{"đã", nil, 0, false},
		// The largest ids end the range instead of wrapping around.
		{"18446744073709551615", []uint64{18446744073709551615}, 0, true},
		{"18446744073709551614-18446744073709551615", []uint64{18446744073709551614, 18446744073709551615}, 0, true},
		{"18446744073709551616", nil, 0, false},
	}
	for _, tt := range tests {
		ids, more, ok := parseAlertList(tt.in)
		if ok != tt.ok || ok && (!slices.Equal(ids, tt.ids) || more != tt.more) {
			t.Errorf("parseAlertList(%q) = %v, %d, %v; want %v, %d, %v", tt.in, ids, more, ok, tt.ids, tt.more, tt.ok)
		}
	}
}

// TestCompactIDsReadBack: what reminders tell people to type reads back
// as the same alerts.
func TestCompactIDsReadBack(t *testing.T) {
	for _, ids := range [][]uint64{{7}, {3, 4}, {59, 60, 61, 62, 90}, {1, 3, 5, 6, 7, 8, 20}} {
		got, more, ok := parseAlertList(compactIDs(ids))
		if !ok || more != 0 || !slices.Equal(got, ids) {
			t.Errorf("%v → %q → %v", ids, compactIDs(ids), got)
		}
	}
}

func TestDeadlineIn(t *testing.T) {
	today := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := map[string]time.Time{
		"Đề nghị rà soát, hạn: 05/12":     day(2026, 12, 5),
		"Hạn xử lý 05/09/2027":            day(2027, 9, 5),
		"hạn: 05/09":                      day(2027, 9, 5), // September has passed: next year's
		"Thời hạn: trước ngày 30-11-2026": day(2026, 11, 30),
		"deadline: 1.12":                  day(2026, 12, 1),
		"HẠN: 31/02":                      {},
		"Cao điểm tấn công dịp 02/09, cần cảnh giác": {},
		"Phiên bản 10/2 bị ảnh hưởng":                {},
	}
	for text, want := range tests {
		if got := deadlineIn(text, today); !got.Equal(want) {
			t.Errorf("deadlineIn(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestCardOrder: severity and exploitation first, then the product, the
// title and what to do by when; a department letter without a marked
// severity is the department's letter, not an unassessed alert.
func TestCardOrder(t *testing.T) {
	r := NewRenderer(Vietnamese)
	r.DeptName = "Sở Khoa học và Công nghệ"
	a := store.Alert{ID: 12, Source: "cisa-kev", Title: "Microsoft SharePoint RCE", Severity: store.SeverityCritical, Exploited: true,
		Vendors: []string{"Microsoft SharePoint"}, Action: "Apply updates per vendor instructions.", Due: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
		CVEs: []string{"CVE-2025-53770"}, Link: "https://example.org/a", Summary: "Mô tả.", Published: today()}
	plain, err := telegramtest.CheckHTML(r.Card(&a, nil))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(plain, "\n")
	if !strings.Contains(lines[0], "NGHIÊM TRỌNG") || !strings.Contains(lines[0], "Đang bị khai thác trong thực tế") {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.Contains(lines[1], "Microsoft SharePoint") || lines[2] != "Microsoft SharePoint RCE" ||
		!strings.Contains(lines[3], "cập nhật bản vá") || !strings.Contains(lines[3], "hạn 05/12/2026") {
		t.Errorf("card order:\n%s", plain)
	}
	if strings.Index(plain, "Xem chi tiết") < strings.Index(plain, "Mô tả.") {
		t.Errorf("links before the text:\n%s", plain)
	}
	letter := store.Alert{ID: 13, Source: store.DepartmentSource, Title: "Tăng cường bảo đảm an toàn thông tin dịp Tết", Severity: store.SeverityUnknown,
		Due: time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC), Published: today()}
	plain, err = telegramtest.CheckHTML(r.Card(&letter, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "📄 #13 · Văn bản của Sở Khoa học và Công nghệ") || strings.Contains(plain, "CHƯA XÁC ĐỊNH") ||
		!strings.Contains(plain, "Hạn xử lý: 20/01/2027") {
		t.Errorf("department letter:\n%s", plain)
	}
}

func today() time.Time { return time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC) }

// TestEscalationRoundFitsOneMessage: 10 alerts × 200 agencies make one
// message within Telegram's limit that names every alert, mentions
// contacts and points to the full list.
func TestEscalationRoundFitsOneMessage(t *testing.T) {
	n := store.Notice{Event: store.EventEscalation, After: 72 * time.Hour, At: today()}
	for a := range 10 {
		e := store.Escalation{AlertID: uint64(100 + a), Title: strings.Repeat("Lỗ hổng nghiêm trọng ", 8), Severity: store.SeverityHigh}
		for g := range 200 {
			e.Agencies = append(e.Agencies, store.Contact{ChatID: int64(-1 - g), Agency: fmt.Sprintf("UBND xã số %d", g), UserID: int64(500 + g), UserName: "Nguyễn Văn An"})
		}
		n.Escalations = append(n.Escalations, e)
	}
	for _, lang := range []Lang{Vietnamese, English} {
		html := NewRenderer(lang).Escalation(&n)
		plain, err := telegramtest.CheckHTML(html)
		if err != nil {
			t.Fatal(err)
		}
		if utf16Len(plain) > MaxMessage {
			t.Errorf("%s: %d characters", lang, utf16Len(plain))
		}
		for a := range 10 {
			if !strings.Contains(plain, fmt.Sprintf("#%d", 100+a)) {
				t.Errorf("%s: #%d missing:\n%s", lang, 100+a, plain)
			}
		}
		if !strings.Contains(html, `<a href="tg://user?id=500">Nguyễn Văn An</a>`) || !strings.Contains(plain, "/overdue") || !strings.Contains(plain, "+") {
			t.Errorf("%s: no mention, no remainder or no pointer to /overdue:\n%s", lang, plain)
		}
	}
}

// TestEscalationOfManyAlertsPointsToOverdue: when a round holds more
// alerts than one message shows, the rest are counted and the department
// is pointed to /overdue (its own command), never to an agency's /pending.
func TestEscalationOfManyAlertsPointsToOverdue(t *testing.T) {
	n := store.Notice{Event: store.EventEscalation, After: 72 * time.Hour, At: today()}
	for a := range 200 {
		n.Escalations = append(n.Escalations, store.Escalation{AlertID: uint64(1 + a), Title: strings.Repeat("Multiples vulnérabilités ", 4),
			Severity: store.SeverityMedium, Agencies: []store.Contact{{ChatID: -1, Agency: "Sở Y tế"}}})
	}
	plain, err := telegramtest.CheckHTML(NewRenderer(Vietnamese).Escalation(&n))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "/pending") || !strings.Contains(plain, "cảnh báo khác.") || !strings.Contains(plain, "/overdue") {
		t.Errorf("escalation of 200 alerts:\n%s", plain)
	}
}
