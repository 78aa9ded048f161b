package feeds

import (
	"strings"
	"testing"
	"unicode/utf8"
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
