package telegramtest

import (
	"reflect"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestParseHTMLAccepts(t *testing.T) {
	tests := map[string]struct {
		in       string
		plain    string
		entities []tgbotapi.MessageEntity
	}{
		"plain": {in: "no tags", plain: "no tags"},
		"bold and aliases": {
			in:    "<b>a</b><strong>b</strong><i>c</i><em>d</em><u>e</u><ins>f</ins><s>g</s><strike>h</strike><del>i</del>",
			plain: "abcdefghi",
			entities: []tgbotapi.MessageEntity{
				{Type: "bold", Offset: 0, Length: 1}, {Type: "bold", Offset: 1, Length: 1},
				{Type: "italic", Offset: 2, Length: 1}, {Type: "italic", Offset: 3, Length: 1},
				{Type: "underline", Offset: 4, Length: 1}, {Type: "underline", Offset: 5, Length: 1},
				{Type: "strikethrough", Offset: 6, Length: 1}, {Type: "strikethrough", Offset: 7, Length: 1},
				{Type: "strikethrough", Offset: 8, Length: 1},
			},
		},
		"spoilers": {
			in:    `<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>`,
			plain: "xy",
			entities: []tgbotapi.MessageEntity{
				{Type: "spoiler", Offset: 0, Length: 1}, {Type: "spoiler", Offset: 1, Length: 1},
			},
		},
		"link with quoted href and escaped ampersand": {
			in:       `<a href="https://example.org/?a=1&amp;b=2">CVE-2024-1</a>`,
			plain:    "CVE-2024-1",
			entities: []tgbotapi.MessageEntity{{Type: "text_link", Offset: 0, Length: 10, URL: "https://example.org/?a=1&b=2"}},
		},
		"nested, outer first": {
			in:    "<b>bold <i>both</i></b>",
			plain: "bold both",
			entities: []tgbotapi.MessageEntity{
				{Type: "bold", Offset: 0, Length: 9}, {Type: "italic", Offset: 5, Length: 4},
			},
		},
		"pre with language": {
			in:       `<pre><code class="language-go">x := 1</code></pre>`,
			plain:    "x := 1",
			entities: []tgbotapi.MessageEntity{{Type: "pre", Offset: 0, Length: 6, Language: "go"}},
		},
		"code alone loses its class": {
			in:       `<code class="language-go">x</code>`,
			plain:    "x",
			entities: []tgbotapi.MessageEntity{{Type: "code", Offset: 0, Length: 1}},
		},
		"blockquotes": {
			in:    "<blockquote>q</blockquote><blockquote expandable>long</blockquote>",
			plain: "qlong",
			entities: []tgbotapi.MessageEntity{
				{Type: "blockquote", Offset: 0, Length: 1}, {Type: "expandable_blockquote", Offset: 1, Length: 4},
			},
		},
		"custom emoji": {
			in:       `<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`,
			plain:    "👍",
			entities: []tgbotapi.MessageEntity{{Type: "custom_emoji", Offset: 0, Length: 2}},
		},
		"entities": {in: "&lt;b&gt; &amp; &quot;x&quot; &#39;y&#39; &#x1F600;", plain: `<b> & "x" 'y' 😀`},
		"offsets in UTF-16": {
			in:       "😀 <b>Cảnh báo</b>",
			plain:    "😀 Cảnh báo",
			entities: []tgbotapi.MessageEntity{{Type: "bold", Offset: 3, Length: 8}},
		},
		"upper-case tags and bare greater-than": {in: "<B>x</B> > y", plain: "x > y",
			entities: []tgbotapi.MessageEntity{{Type: "bold", Offset: 0, Length: 1}}},
		"empty tag makes no entity": {in: "<b></b>x", plain: "x"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			plain, entities, err := parseHTML(tt.in, true)
			if err != nil {
				t.Fatalf("parseHTML(%q): %v", tt.in, err)
			}
			if plain != tt.plain {
				t.Errorf("plain = %q, want %q", plain, tt.plain)
			}
			if !reflect.DeepEqual(entities, tt.entities) {
				t.Errorf("entities = %+v, want %+v", entities, tt.entities)
			}
		})
	}
}

// The wording follows TDLib's HTML parser, which the Bot API reports after
// "Bad Request: can't parse entities: ".
func TestParseHTMLRefuses(t *testing.T) {
	tests := map[string]struct{ in, err string }{
		"unknown tag":        {"a <script>x</script>", `Unsupported start tag "script" at byte offset 2`},
		"line break":         {"a<br/>b", `Unsupported start tag "br/" at byte offset 1`},
		"bare less-than":     {"1 < 2", `Unsupported start tag "" at byte offset 2`},
		"less-than at end":   {"x <", `Unclosed start tag at byte offset 2`},
		"unclosed start":     {"<b", `Unclosed start tag at byte offset 0`},
		"never closed":       {"<b>bold", `Can't find end tag corresponding to start tag "b"`},
		"misnested":          {"<b><i>x</b></i>", `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		"stray end tag":      {"x</b>", `Unexpected end tag at byte offset 1`},
		"unclosed end":       {"<b>x</b", `Unclosed end tag at byte offset 4`},
		"span without class": {"<span>x</span>", `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		"attribute without value": {"<a href>x</a>",
			`Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0`},
		"bad emoji id":      {`<tg-emoji emoji-id="x">y</tg-emoji>`, "Invalid custom emoji identifier specified"},
		"bare ampersand":    {"AT&T", "Unsupported HTML entity at byte offset 2"},
		"unknown entity":    {"&nbsp;", "Unsupported HTML entity at byte offset 0"},
		"missing semicolon": {"&lt b", "Unsupported HTML entity at byte offset 0"},
		"surrogate":         {"&#xD83D;", "Text contains invalid Unicode characters"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := parseHTML(tt.in, true)
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Fatalf("parseHTML(%q) = %v, want %q", tt.in, err, tt.err)
			}
		})
	}
}

// Telegram itself keeps an '&' that starts no entity, and decodes entities without ';'.
func TestParseHTMLLenient(t *testing.T) {
	plain, _, err := parseHTML("AT&T &nbsp; &lt b", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "AT&T &nbsp; < b"; plain != want {
		t.Errorf("plain = %q, want %q", plain, want)
	}
}

func TestTrimText(t *testing.T) {
	text, ents := trimText("\n  bold x \n", []tgbotapi.MessageEntity{{Type: "bold", Offset: 1, Length: 6}})
	if text != "bold x" {
		t.Errorf("text = %q", text)
	}
	if want := []tgbotapi.MessageEntity{{Type: "bold", Offset: 0, Length: 4}}; !reflect.DeepEqual(ents, want) {
		t.Errorf("entities = %+v, want %+v", ents, want)
	}
}

func TestUTF16Length(t *testing.T) {
	for in, want := range map[string]int{"": 0, "abc": 3, "Cảnh": 4, "😀": 2, "👍🏽": 4, "中文": 2} {
		if got := utf16LenString(in); got != want {
			t.Errorf("utf16LenString(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzParseHTML checks the parser never panics or loops and that every entity it
// returns lies inside the visible text.
func FuzzParseHTML(f *testing.F) {
	for _, seed := range []string{"<b>x</b>", `<a href="u">l</a>`, "&lt;&#x1F600;", "<pre><code class=\"language-go\">x</code></pre>",
		"<blockquote expandable>q</blockquote>", "<b", "&", "<span class=tg-spoiler>s</span>", "😀<i>é</i>"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, strict := range []bool{true, false} {
			plain, entities, err := parseHTML(in, strict)
			if err != nil {
				continue
			}
			size := utf16LenString(plain)
			for _, e := range entities {
				if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > size {
					t.Fatalf("parseHTML(%q) = %q with entity %+v outside %d units", in, plain, e, size)
				}
			}
		}
	})
}
