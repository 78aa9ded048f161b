package letter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var hcm = time.FixedZone("ICT", 7*3600)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 8, 20, 10, 0, 0, 0, hcm)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, hcm) }
	tests := map[string]struct {
		first, last string
		from, to    time.Time
		err         error
	}{
		"holiday":          {"29/08", "04/09", day(2026, 8, 29), day(2026, 9, 5), nil},
		"with years":       {"29/08/2026", "4/9/2026", day(2026, 8, 29), day(2026, 9, 5), nil},
		"across new year":  {"28/12", "03/01", day(2026, 12, 28), day(2027, 1, 4), nil},
		"running":          {"18/08", "22/08", day(2026, 8, 18), day(2026, 8, 23), nil},
		"long past: next":  {"10/02", "15/02", day(2027, 2, 10), day(2027, 2, 16), nil},
		"not a day":        {"31/02", "04/03", time.Time{}, time.Time{}, ErrNotADay},
		"words":            {"mai", "04/09", time.Time{}, time.Time{}, ErrNotADay},
		"reversed":         {"05/09", "03/09", time.Time{}, time.Time{}, ErrEndFirst},
		"over":             {"01/08/2026", "05/08/2026", time.Time{}, time.Time{}, ErrPeriodOver},
		"too long":         {"01/09", "30/11", time.Time{}, time.Time{}, ErrPeriodTooLong},
		"reversed w/ year": {"05/09/2026", "03/09/2026", time.Time{}, time.Time{}, ErrEndFirst},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			from, to, err := ParsePeriod(tc.first, tc.last, now, hcm)
			if !errors.Is(err, tc.err) || tc.err == nil && (!from.Equal(tc.from) || !to.Equal(tc.to)) {
				t.Fatalf("got %v – %v, %v; want %v – %v, %v", from, to, err, tc.from, tc.to, tc.err)
			}
		})
	}
}

func TestParseRoster(t *testing.T) {
	from, to := time.Date(2026, 8, 29, 0, 0, 0, 0, hcm), time.Date(2026, 9, 5, 0, 0, 0, 0, hcm)
	got, err := ParseRoster("Nguyễn Văn An 0912 345 678; tôi\n30/08 Trần Thị Bình 0987.654.321; 1/9 Lê Cường +84 901 222 333", from, to, hcm)
	if err != nil {
		t.Fatal(err)
	}
	want := []DutyEntry{
		{Name: "Nguyễn Văn An", Phone: "0912 345 678"},
		{Self: true},
		{Day: time.Date(2026, 8, 30, 0, 0, 0, 0, hcm), Name: "Trần Thị Bình", Phone: "0987.654.321"},
		{Day: time.Date(2026, 9, 1, 0, 0, 0, 0, hcm), Name: "Lê Cường", Phone: "+84 901 222 333"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries: %+v", len(got), got)
	}
	for i := range want {
		if !got[i].Day.Equal(want[i].Day) || got[i].Name != want[i].Name || got[i].Phone != want[i].Phone || got[i].Self != want[i].Self {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"Trần Thị Bình", "0912 345 678", "10/09 Trần Thị Bình 0912 345 678", "An 12", "", "@an", "an_nguyen", "email@an_nguyen"} {
		if _, err := ParseRoster(bad, from, to, hcm); err == nil {
			t.Errorf("ParseRoster(%q) accepted", bad)
		}
	}
}

func TestParseDiscovered(t *testing.T) {
	now := time.Date(2026, 8, 30, 10, 0, 0, 0, hcm)
	tests := map[string]time.Time{
		"Hôm nay":          now,
		"hom qua":          now.AddDate(0, 0, -1),
		"27/08":            time.Date(2026, 8, 27, 0, 0, 0, 0, hcm),
		"27/08 14:30":      time.Date(2026, 8, 27, 14, 30, 0, 0, hcm),
		"14h30 27/08/2026": time.Date(2026, 8, 27, 14, 30, 0, 0, hcm),
		"8h":               time.Date(2026, 8, 30, 8, 0, 0, 0, hcm),
		"15/12":            time.Date(2025, 12, 15, 0, 0, 0, 0, hcm),
	}
	for in, want := range tests {
		got, err := ParseDiscovered(in, now, hcm)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDiscovered(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDiscovered("31/08/2026", now, hcm); !errors.Is(err, ErrFuture) {
		t.Errorf("a future day: %v", err)
	}
	for _, bad := range []string{"31/02", "sáng nay", "25:00", "27/13"} {
		if _, err := ParseDiscovered(bad, now, hcm); err == nil {
			t.Errorf("ParseDiscovered(%q) accepted", bad)
		}
	}
}

func TestIncidentTypeAndPrompt(t *testing.T) {
	for in, want := range map[string]string{"Mã độc": "malware", "tấn công DDoS": "ddos", "Lừa đảo/phishing": "phishing",
		"lộ lọt dữ liệu cá nhân": "data-leak", "khác": "other", "defacement": "defacement"} {
		if got, ok := IncidentType(in); !ok || got != want {
			t.Errorf("IncidentType(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := IncidentType("không rõ"); ok {
		t.Error("an unknown type was recognised")
	}
	if id, step, ok := PromptStep("📝 SC-12 · 3/7 — Nguyễn Văn An\nSự cố thuộc loại nào?"); !ok || id != 12 || step != StepType {
		t.Errorf("PromptStep: %d %q %v", id, step, ok)
	}
	if IncidentRef("✅ Đã gửi báo cáo sự cố SC-7 tới Sở") != 7 || IncidentRef("#7 · CAO") != 0 {
		t.Error("IncidentRef")
	}
}

// TestParseRosterReachableInTelegram: a person named by @username or
// mentioned by account needs no phone; the others still do.
func TestParseRosterReachableInTelegram(t *testing.T) {
	from, to := time.Date(2026, 8, 29, 0, 0, 0, 0, hcm), time.Date(2026, 9, 5, 0, 0, 0, 0, hcm)
	text := "@binh_tran; 30/08 Lê Văn Cường; Trần An @an_tran 0912 345 678"
	cuong := strings.Index(text, "Lê Văn Cường")
	tests := map[string]struct {
		mentions []Mention
		want     []DutyEntry
		refused  bool
	}{
		"a mention by account": {
			mentions: []Mention{{Start: cuong, End: cuong + len("Lê Văn Cường"), UserID: 303}},
			want: []DutyEntry{
				{Name: "@binh_tran", Username: "binh_tran"},
				{Day: time.Date(2026, 8, 30, 0, 0, 0, 0, hcm), Name: "Lê Văn Cường", UserID: 303},
				{Name: "Trần An @an_tran", Phone: "0912 345 678", Username: "an_tran"},
			},
		},
		"no mention: a name without a phone": {refused: true},
		"a mention of another entry's text":  {mentions: []Mention{{Start: 0, End: 3, UserID: 303}}, refused: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseRoster(text, from, to, hcm, tc.mentions...)
			if tc.refused {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d entries: %+v", len(got), got)
			}
			for i, w := range tc.want {
				if g := got[i]; !g.Day.Equal(w.Day) || g.Name != w.Name || g.Phone != w.Phone || g.Username != w.Username || g.UserID != w.UserID {
					t.Errorf("entry %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}
