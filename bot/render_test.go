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
