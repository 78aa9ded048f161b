package feeds

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestPlainText(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"paragraphs":                {"<p>a</p><p>b</p>", "a\n\nb"},
		"script dropped":            {"<p>before</p><script>alert('x') </script><p>after</p>", "before\n\nafter"},
		"style dropped":             {"<style>p{color:red}</style>text", "text"},
		"unclosed script drops all": {"ok <script>var a = '<p>x</p>'", "ok"},
		"less-than stays":           {"versions < 2.4 & later", "versions < 2.4 & later"},
		"Exchange < 2019 & Outlook": {"Exchange < 2019 & Outlook", "Exchange < 2019 & Outlook"},
		"less-than digit in HTML":   {"<p>ASE2000 &gt;=2.25|&lt;=2.37 and a <2.4</p>", "ASE2000 >=2.25|<=2.37 and a <2.4"},
		"entity once":               {"<p>a&amp;nbsp;b &amp;amp; c</p>", "a&nbsp;b &amp; c"},
		"nbsp collapses":            {"<p>x&nbsp;&nbsp; y\u00a0z</p>", "x y z"},
		"entity in plain text":      {"Tom &amp; Jerry &lt;3", "Tom & Jerry <3"},
		"plain-text paragraphs":     {"line one\nline two\n\n\n  para  two ", "line one\nline two\n\npara two"},
		"whitespace collapsed":      {"<div>  a \n\t b  </div>", "a b"},
		"list items":                {"<ul><li>one</li><li>two</li></ul><p>end</p>", "• one\n• two\n\nend"},
		"br and invalid </br>":      {"a<br>b</br>c", "a\nb\nc"},
		"table cells":               {"<table><tr><th>CVSS</th><th>Vendor</th></tr><tr><td>9.8</td><td>Acme</td></tr></table>", "CVSS | Vendor\n9.8 | Acme"},
		"comments dropped":          {"a<!-- secret -->b", "ab"},
		"inline tags join":          {"<b>Cảnh</b> <i>báo</i>", "Cảnh báo"},
		"NFD to NFC":                {"nghie\u0302m tro\u0323ng", "nghiêm trọng"},
		"Kelvin sign is no tag":     {"<\u212a>", "< K>"},
		"bidi override dropped":     {"invoice\u202Efdp.exe", "invoicefdp.exe"},
		"zero-width space dropped":  {"Micro\u200bsoft", "Microsoft"},
		"control chars dropped":     {"a\x00b\x1bc", "abc"},
		"stray windows-1252 byte":   {"caf\xe9 \x93quoted\x94", "café “quoted”"},
		"replacement char dropped":  {"Microsoft\uFFFDs patch", "Microsofts patch"},
		"unclosed tag":              {"text <a href='x", "text"},
		"textarea dropped":          {"a<textarea><b>x</b></textarea>b", "ab"},
		"self-closed title is raw":  {"a<title/><b>x</b></title>b", "ab"},
		"self-closed svg is empty":  {"a<svg/>b", "ab"},
		"empty":                     {"", ""},
		"only markup":               {"<p><br></p>", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := PlainText(tc.in); got != tc.want {
				t.Errorf("PlainText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPlainLineTitle(t *testing.T) {
	if got := plainLine("<p>Cảnh báo</p>\n<p>lỗ hổng</p>"); got != "Cảnh báo lỗ hổng" {
		t.Errorf("got %q", got)
	}
}

func TestShorten(t *testing.T) {
	long := strings.Repeat("lỗ hổng nghiêm trọng ", 60) // 1,260 runes, multi-byte
	tests := map[string]struct {
		in    string
		limit int
		want  string
	}{
		"short kept":         {"Cảnh báo", 500, "Cảnh báo"},
		"exact kept":         {"abcde", 5, "abcde"},
		"word boundary":      {"alpha beta gamma delta", 14, "alpha beta…"},
		"no spaces (CJK)":    {"注意喚起注意喚起注意喚起", 5, "注意喚起…"},
		"trailing comma cut": {"one, two, three, four", 10, "one, two…"},
		"zero limit":         {"abc", 0, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Shorten(tc.in, tc.limit); got != tc.want {
				t.Errorf("Shorten(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
		})
	}
	t.Run("long Vietnamese", func(t *testing.T) {
		got := Shorten(long, SummaryLimit)
		n := utf8.RuneCountInString(got)
		if !utf8.ValidString(got) || n > SummaryLimit || n < SummaryLimit-10 {
			t.Errorf("got %d runes", n)
		}
		// Cut where a word ends: the original goes on with a space.
		if !strings.HasPrefix(long, strings.TrimSuffix(got, "…")+" ") {
			t.Errorf("not cut at a word boundary: …%q", got[len(got)-20:])
		}
	})
}

// TestInvisibleCharacters: bidi controls and zero-width characters are
// removed from feed titles (PlainText, plainLine) and from names typed in
// Telegram (CleanName); Vietnamese text stays as written, in NFC.
func TestInvisibleCharacters(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"Vietnamese kept":              {"Sở Thông tin và Truyền thông tỉnh Đắk Lắk", "Sở Thông tin và Truyền thông tỉnh Đắk Lắk"},
		"Vietnamese NFD composed":      {"So\u031b\u0309 Y te\u0302\u0301", "Sở Y tế"},
		"mark behind a zero-width":     {"te\u0302\u200b\u0301", "tế"},
		"right-to-left override":       {"Sở Y tế \u202eTTA", "Sở Y tế TTA"},
		"left-to-right override":       {"\u202dSở Y tế\u202c", "Sở Y tế"},
		"embeddings":                   {"\u202aSở\u202b Y tế\u202c", "Sở Y tế"},
		"isolates":                     {"\u2066Sở\u2067 Y\u2068 tế\u2069", "Sở Y tế"},
		"marks":                        {"Sở\u200e Y\u200f tế\u061c", "Sở Y tế"},
		"zero-width space and joiners": {"S\u200bở\u200c Y\u200d tế", "Sở Y tế"},
		"word joiner and BOM":          {"\ufeffSở\u2060 Y tế", "Sở Y tế"},
		"invisible operators":          {"Sở\u2061\u2062\u2063\u2064 Y tế", "Sở Y tế"},
		"Mongolian vowel separator":    {"Sở\u180e Y tế", "Sở Y tế"},
		"soft hyphen":                  {"Micro\u00adsoft", "Microsoft"},
		"tag characters":               {"Sở Y tế\U000e0041\U000e0042", "Sở Y tế"},
		"annotation characters":        {"\ufff9Sở\ufffa Y tế\ufffb", "Sở Y tế"},
		"white space collapsed":        {"  Sở \t Y\u00a0\u00a0tế \n", "Sở Y tế"},
		"only invisible":               {"\u202e\u200b\u2066", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := CleanName(tc.in); got != tc.want {
				t.Errorf("CleanName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := plainLine(tc.in); got != tc.want {
				t.Errorf("plainLine(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	t.Run("a feed item's title", func(t *testing.T) {
		doc := `<rss version="2.0"><channel><item><title>Cảnh báo &#x202E;lỗ hổng&#x200B; Microsoft&#x2066;</title><description>Bản vá&#x200D; khẩn</description></item></channel></rss>`
		alerts, err := Parse(feedSrc, []byte(doc), "", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if a := alerts[0]; a.Title != "Cảnh báo lỗ hổng Microsoft" || a.Summary != "Bản vá khẩn" {
			t.Errorf("title %q, summary %q", a.Title, a.Summary)
		}
	})
}

// isNFC answers as norm.NFC.IsNormalString: on texts of stable characters
// only, and with marks, jamo and other characters among them.
func TestIsNFC(t *testing.T) {
	stable := nfcStable()
	var pool, others []rune
	for r := rune(0x80); r <= 0xffff; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		if stable[r/64]&(1<<(r%64)) != 0 {
			pool = append(pool, r)
		} else {
			others = append(others, r)
		}
	}
	if len(pool) < 50_000 || len(others) < 1_000 {
		t.Fatalf("%d stable characters, %d others", len(pool), len(others))
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var b strings.Builder
		mixed := rnd.IntN(2) == 0
		for range 1 + rnd.IntN(8) {
			switch k := rnd.IntN(10); {
			case k < 3:
				b.WriteByte(byte('a' + rnd.IntN(26)))
			case mixed && k < 5:
				b.WriteRune(others[rnd.IntN(len(others))])
			default:
				b.WriteRune(pool[rnd.IntN(len(pool))])
			}
		}
		s := b.String()
		if got, want := isNFC(s), norm.NFC.IsNormalString(s); got != want {
			t.Fatalf("isNFC(%+q) = %v, want %v", s, got, want)
		}
	}
}
