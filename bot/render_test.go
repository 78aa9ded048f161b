package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/store"
)

var published = time.Date(2026, 11, 26, 2, 12, 0, 0, time.UTC)

func sampleAlert() store.Alert {
	return store.Alert{ID: 12, Source: "cisa", Title: "Exchange < 2019 & Outlook", Summary: "Versions < 2.4 & later are affected.",
		Link: "https://example.gov/a?x=1&y=2", Published: published, Severity: store.SeverityCritical,
		Score: 9.8, CVEs: []string{"CVE-2026-1234"}, Vendors: []string{"Microsoft"}, Exploited: true}
}

func TestCardEscapesAndFormats(t *testing.T) {
	tests := map[string]struct {
		lang Lang
		want []string
	}{
		"vietnamese": {Vietnamese, []string{"#12 · NGHIÊM TRỌNG · CVSS 9,8", "Exchange < 2019 & Outlook", "Versions < 2.4 & later", "Thời gian công bố: 09:12 26/11/2026", "CVE: CVE-2026-1234", "Đang bị khai thác trong thực tế", "Xem chi tiết", "/ack 12"}},
		"english":    {English, []string{"#12 · CRITICAL · CVSS 9.8", "Published: 26 Nov 2026 09:12", "Exploited in the wild", "Details"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := sampleAlert()
			html := NewRenderer(tc.lang).Card(&a, nil)
			plain, err := telegramtest.CheckHTML(html)
			if err != nil {
				t.Fatalf("Telegram would reject the card: %v\n%s", err, html)
			}
			for _, w := range tc.want {
				if !strings.Contains(plain, w) {
					t.Errorf("card lacks %q:\n%s", w, plain)
				}
			}
			if !strings.Contains(html, `href="https://example.gov/a?x=1&amp;y=2"`) {
				t.Errorf("link not escaped:\n%s", html)
			}
		})
	}
}

func TestCardWithAcks(t *testing.T) {
	a := sampleAlert()
	acks := []store.Ack{{Name: "Nguyễn Văn An", At: published}, {Name: "<b>Bình</b>", At: published.Add(3 * time.Minute)}}
	plain, err := telegramtest.CheckHTML(NewRenderer(Vietnamese).Card(&a, acks))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plain, "✅ Đã nhận: Nguyễn Văn An, 09:12; <b>Bình</b>, 09:15") {
		t.Errorf("ack line:\n%s", plain)
	}
}

func TestLongTextIsCutSafely(t *testing.T) {
	a := sampleAlert()
	// Emoji count twice in UTF-16; entities count once after parsing.
	a.Summary = strings.Repeat("Lỗ hổng 🛡 & <tag> nghiêm trọng ", 400)
	a.Title = strings.Repeat("Tiêu đề rất dài ", 60)
	html := NewRenderer(Vietnamese).Card(&a, nil)
	plain, err := telegramtest.CheckHTML(html)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if !utf8.ValidString(plain) || !strings.Contains(plain, "…") {
		t.Errorf("no ellipsis or broken UTF-8")
	}
	if !strings.Contains(plain, "Xem chi tiết") || !strings.Contains(html, `href="https://example.gov/a?x=1&amp;y=2"`) {
		t.Errorf("the link was cut")
	}
	if n := VisibleLen(html); n > MaxMessage || n < MaxMessage-200 {
		t.Errorf("visible length %d: want close to but within %d", n, MaxMessage)
	}
}

func TestFitHTML(t *testing.T) {
	tests := map[string]struct {
		in    string
		limit int
		want  string
	}{
		"fits":             {"<b>ab</b>", 5, "<b>ab</b>"},
		"closes tags":      {"<b>abcdef</b>", 4, "<b>abc…</b>"},
		"entity is atomic": {"a&amp;b&amp;c", 4, "a&amp;b…"},
		"nested":           {`<a href="x"><b>hello</b></a>`, 3, `<a href="x"><b>he…</b></a>`},
		"emoji is two":     {"ab🛡cd", 4, "ab…"},
		"keeps the link":   {strings.Repeat("x", 40) + ` <a href="u">link</a>`, 20, strings.Repeat("x", 14) + "…\n" + `<a href="u">link</a>`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := FitHTML(tc.in, tc.limit)
			if got != tc.want {
				t.Fatalf("FitHTML(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			if _, err := telegramtest.CheckHTML(got); err != nil {
				t.Fatalf("invalid HTML: %v", err)
			}
		})
	}
}

func TestLinesSplitsLongReports(t *testing.T) {
	var lines []string
	for range 500 {
		lines = append(lines, "⏳ <b>UBND xã</b> — chưa xác nhận (đang chờ gửi)")
	}
	parts := Lines(lines)
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	total := 0
	for _, p := range parts {
		if _, err := telegramtest.CheckHTML(p); err != nil {
			t.Fatal(err)
		}
		total += strings.Count(p, "⏳")
	}
	if total != 500 {
		t.Fatalf("%d lines survived, want 500", total)
	}
}

func TestAge(t *testing.T) {
	r := NewRenderer(Vietnamese)
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5 phút", 4 * time.Hour: "4 giờ", 72 * time.Hour: "3 ngày", 75 * time.Hour: "3 ngày 3 giờ",
	} {
		if got := r.Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzRender runs parse → normalise → render over real feed documents and
// mutations of them: whatever a source publishes, the card must be HTML
// Telegram accepts and within its length limit.
func FuzzRender(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "feeds", "testdata", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`<rss><channel><item><title>&lt;script&gt;x&lt;/script&gt; a &amp; b &lt; c</title><description>` +
		strings.Repeat("&lt;p&gt;&amp;amp; 🛡 ", 2000) + `</description><link>javascript:alert(1)</link></item></channel></rss>`))
	r := NewRenderer(Vietnamese)
	src := store.Source{Name: "fuzz", Kind: store.KindFeed, Severity: store.SeverityMedium}
	f.Fuzz(func(t *testing.T, doc []byte) {
		alerts, err := feeds.Parse(src, doc, "application/xml", published)
		if err != nil {
			return
		}
		for i := range alerts {
			a := alerts[i]
			a.ID, a.FirstSeen = uint64(i+1), published
			for _, html := range []string{r.Card(&a, nil), r.Digest(alerts, nil)} {
				if _, err := telegramtest.CheckHTML(html); err != nil {
					t.Fatalf("rejected: %v\n%s", err, html)
				}
			}
		}
	})
}

// A KEV entry's card says the catalogue's own fields in the card's
// language, whole, and its date as a date.
func TestCardKEVInCardLanguage(t *testing.T) {
	src := feeds.Defaults()[1]
	body, err := os.ReadFile(filepath.Join("..", "feeds", "testdata", "cisa-kev-first25.json"))
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := feeds.Parse(src, body, "application/json", published)
	if err != nil {
		t.Fatal(err)
	}
	var a store.Alert
	for _, x := range alerts {
		if x.Key == "CVE-2025-53770" {
			a = x
		}
	}
	a.ID = 7
	a.Summary = strings.Repeat("Dài dòng. ", 500) // the action is never what is cut
	tests := map[Lang][]string{
		Vietnamese: {"Nguồn: CISA KEV", "Thời gian công bố: 20/07/2025", "Đã được dùng trong các chiến dịch mã độc tống tiền",
			"Yêu cầu: thực hiện biện pháp khắc phục theo hướng dẫn của CISA và của hãng (hạn 21/07/2025)",
			"Nguyên văn yêu cầu: Disconnect public-facing versions", "if mitigations are not available.", "Đang bị khai thác trong thực tế"},
		English: {"Source: CISA KEV", "Published: 20 Jul 2025", "Known to be used in ransomware campaigns", "(due 21 Jul 2025)"},
	}
	for lang, want := range tests {
		plain, err := telegramtest.CheckHTML(NewRenderer(lang).Card(&a, nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(plain, w) {
				t.Errorf("%s card lacks %q:\n%s", lang, w, plain)
			}
		}
		if lang == Vietnamese && (strings.Contains(plain, "Required action") || strings.Contains(plain, "Known to be used") || strings.Contains(plain, "(due")) {
			t.Errorf("English inside the Vietnamese card:\n%s", plain)
		}
	}
}

func TestCardMarks(t *testing.T) {
	tests := map[string]struct {
		alert     store.Alert
		want, not []string
	}{
		"default severity is marked": {
			alert: store.Alert{ID: 3, Source: "certfr-avis", SourceTitle: "CERT-FR", Title: "Vulnérabilité dans OpenSSL", Severity: store.SeverityMedium, SeverityDefault: true, Published: published},
			want:  []string{"TRUNG BÌNH (mức mặc định của nguồn)", "Nguồn: CERT-FR", "Đề nghị Quý đơn vị kiểm tra"},
		},
		"news has no severity and no checks": {
			alert: store.Alert{ID: 4, Source: "ncsc-uk", Title: "NCSC statement", Severity: store.SeverityUnknown, News: true, Published: published},
			want:  []string{"📰", "TIN TỨC/THÔNG TIN", "/ack 4"},
			not:   []string{"CHƯA XÁC ĐỊNH", "kiểm tra, rà soát"},
		},
		"exploited only by the catalogue": {
			alert: store.Alert{ID: 5, Source: "bugalert", Title: "RCE in Spring Core", Severity: store.SeverityHigh, Exploited: true, KEV: []string{"CVE-2022-22965"}, Published: published},
			want:  []string{"CVE-2022-22965 có trong danh mục KEV"},
			not:   []string{"Đang bị khai thác"},
		},
		"date only in the source's day": {
			alert: store.Alert{ID: 6, Source: "ipa", Title: "x", Severity: store.SeverityHigh, Published: time.Date(2026, 12, 17, 0, 0, 0, 0, time.UTC), DateOnly: true},
			want:  []string{"Thời gian công bố: 17/12/2026\n"},
			not:   []string{"16/12", "07:00"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			plain, err := telegramtest.CheckHTML(NewRenderer(Vietnamese).Card(&tc.alert, nil))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(plain, w) {
					t.Errorf("card lacks %q:\n%s", w, plain)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(plain, w) {
					t.Errorf("card has %q:\n%s", w, plain)
				}
			}
		})
	}
}

// A follow-up keeps its own severity and exploitation.
func TestFollowUpKeepsItsSeverity(t *testing.T) {
	a := store.Alert{ID: 9, Source: "cisa-kev", SourceTitle: "CISA KEV", Title: "SharePoint (CVE-2025-49704)", Severity: store.SeverityCritical,
		Exploited: true, CVEs: []string{"CVE-2025-49704"}}
	earlier := store.Alert{ID: 2}
	plain, err := telegramtest.CheckHTML(NewRenderer(Vietnamese).FollowUp(&a, &earlier))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"🔴 #9 · NGHIÊM TRỌNG · CISA KEV", "Đang bị khai thác trong thực tế", "Cùng lỗ hổng với cảnh báo #2"} {
		if !strings.Contains(plain, w) {
			t.Errorf("follow-up lacks %q:\n%s", w, plain)
		}
	}
}

func TestUpdateReply(t *testing.T) {
	a := store.Alert{ID: 4}
	day := time.Date(2025, 9, 12, 0, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		u    store.AlertUpdate
		want string
	}{
		"exploited": {store.AlertUpdate{Kind: store.UpdateExploited, Source: "CISA KEV", CVEs: []string{"CVE-2025-53770"}, Day: day, Severity: store.SeverityHigh},
			"⚠️ Cập nhật: CVE-2025-53770 nay đã bị khai thác trong thực tế (CISA KEV, 12/09/2025)\nMức độ: 🟠 CAO."},
		"revised": {store.AlertUpdate{Kind: store.UpdateRevised, Source: "CERT-FR", At: published, Severity: store.SeverityCritical},
			"🔄 Cập nhật: nguồn đã sửa đổi nội dung cảnh báo #4 (CERT-FR, 09:12 26/11/2026)\nMức độ: 🔴 NGHIÊM TRỌNG."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			plain, err := telegramtest.CheckHTML(NewRenderer(Vietnamese).Update(&a, tc.u))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(plain, tc.want) {
				t.Errorf("update:\n%s\nwant it to start\n%s", plain, tc.want)
			}
		})
	}
}

// TestDigestListsEveryAlert: a digest of routine alerts still names each
// alert and the /ack text that acknowledges them all, urgent ones first.
func TestDigestListsEveryAlert(t *testing.T) {
	alerts := []store.Alert{
		{ID: 7, Title: "Multiples vulnérabilités dans PostgreSQL", Severity: store.SeverityMedium, Source: "certfr"},
		{ID: 8, Title: "Bulletin d'actualité", Severity: store.SeverityUnknown, Source: "certfr"},
		{ID: 9, Title: "Vulnérabilité critique dans Citrix", Severity: store.SeverityCritical, Source: "certfr"},
	}
	plain, err := telegramtest.CheckHTML(NewRenderer(Vietnamese).Digest(alerts, nil))
	if err != nil {
		t.Fatal(err)
	}
	i9, i7, i8 := strings.Index(plain, "#9 Vulnérabilité critique"), strings.Index(plain, "#7 Multiples"), strings.Index(plain, "#8 Bulletin")
	if i9 < 0 || i7 < 0 || i8 < 0 || !(i9 < i7 && i7 < i8) {
		t.Errorf("digest lists its alerts most urgent first:\n%s", plain)
	}
	if !strings.Contains(plain, "/ack 7-9") {
		t.Errorf("digest names the /ack text for all of them:\n%s", plain)
	}
}
