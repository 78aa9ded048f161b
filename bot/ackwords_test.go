package bot

import (
	"slices"
	"testing"
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
