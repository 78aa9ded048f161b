package feeds

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// SummaryLimit is how many characters (runes) of an item's text an alert
// keeps: enough for a Telegram card, short enough that a long advisory does
// not flood a group chat.
const SummaryLimit = 500

// titleLimit caps a title; real titles are far shorter, so only a broken
// feed that puts a whole article in <title> reaches it.
const titleLimit = 300

// PlainText turns an item's HTML (or plain text) into clean plain text:
// block elements become blank-line-separated paragraphs, list items and
// line breaks become lines, <script>, <style> and similar elements are
// dropped, character references are decoded exactly once, runs of white
// space collapse to one space, and the result is valid UTF-8 in NFC.
//
// It uses a real HTML tokenizer, never a regular expression, so text that
// merely contains "<" or "&" ("versions < 2.4 & later") stays as written.
func PlainText(s string) string {
	return cleanText(s, false)
}

// plainLine is PlainText on one line, for titles.
func plainLine(s string) string {
	return cleanText(s, true)
}

func cleanText(s string, oneLine bool) string {
	if s == "" {
		return ""
	}
	w := textWriter{oneLine: oneLine}
	w.b.Grow(len(s))
	switch {
	case hasTag(s):
		w.html(s)
	case strings.IndexByte(s, '&') >= 0:
		w.plain = true
		w.write(html.UnescapeString(s))
	default:
		w.plain = true
		w.write(s)
	}
	out := w.b.String()
	if w.unstable && !isNFC(out) {
		out = norm.NFC.String(out) // a mark that followed a tag
	}
	return out
}

// hasTag reports whether s has anything the HTML tokenizer would read as
// markup: "<" followed by a letter, "/", "!" or "?". Anything else is plain
// text, in which "<" is just a character.
func hasTag(s string) bool {
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 || i+1 >= len(s) {
			return false
		}
		if tagStart(rune(s[i+1])) {
			return true
		}
		s = s[i+1:]
	}
}

// Break levels between two runs of text; the strongest pending one wins.
const (
	brNone = iota
	brSpace
	brCell
	brLine
	brPara
)

// textWriter accumulates clean text, turning white space and element
// boundaries into at most one separator between two runs of text.
type textWriter struct {
	b       strings.Builder
	pending int    // break to write before the next text
	prefix  string // list bullet to write before the next text
	plain   bool   // plain-text input: keep its line breaks
	oneLine bool   // titles: every break is a space
	last    rune   // last rune written
	// unstable is set when a character that may combine with the one
	// before it was written (see nfcStable): only then can the text be
	// out of NFC.
	unstable bool
}

func (w *textWriter) brk(level int) {
	if level > w.pending {
		w.pending = level
	}
}

// write appends text, collapsing white space and dropping invisible or
// dangerous characters (controls, zero-width spaces, bidi overrides that
// could disguise a link or a file name in a chat).
func (w *textWriter) write(s string) {
	if !isNFC(s) {
		// NFC maps the Kelvin sign to "K", the one letter it can make
		// from a non-letter: mark a gap (a dropped NUL) before it, so
		// that "<\u212a" cannot become the tag-like "<K".
		s = norm.NFC.String(strings.ReplaceAll(s, "\u212a", "\x00\u212a"))
	}
	nl := 0     // newlines in the current run of white space (plain text only)
	gap := true // a token boundary or a dropped character since the last rune
	for i := 0; i < len(s); {
		if c := s[i]; ' ' < c && c < 0x7f {
			// A run of printable ASCII, written as it is.
			j := i + 1
			for j < len(s) && ' ' < s[j] && s[j] < 0x7f {
				j++
			}
			nl = 0
			w.flush()
			if gap && w.last == '<' && tagStart(rune(c)) {
				w.b.WriteByte(' ')
			}
			gap = false
			w.b.WriteString(s[i:j])
			w.last = rune(s[j-1])
			i = j
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError {
			// A stray byte of another encoding is read as windows-1252
			// ("caf\xe9" is "café"); a U+FFFD the source itself sent
			// stands for a character lost before us: dropped.
			if n == 1 {
				r = charmap.Windows1252.DecodeByte(s[i-1])
			}
			if r == utf8.RuneError {
				gap = true
				continue
			}
		}
		if unicode.IsSpace(r) {
			if r == '\n' || r == '\u2028' || r == '\u2029' {
				nl++
			}
			if w.plain && nl >= 2 {
				w.brk(brPara)
			} else if w.plain && nl == 1 {
				w.brk(brLine)
			} else {
				w.brk(brSpace)
			}
			continue
		}
		nl = 0
		if invisible(r) {
			gap = true
			continue
		}
		w.flush()
		if gap && w.last == '<' && tagStart(r) {
			// "<<b>x" is the text "<x", and "<\x00b>" would become "<b>":
			// either reads as a tag once what stood between is gone, so
			// keep them apart.
			w.b.WriteByte(' ')
		}
		gap = false
		w.b.WriteRune(r)
		w.last = r
		w.unstable = w.unstable || !stableRune(r)
	}
}

// isNFC is norm.NFC.IsNormalString, answered without it for a text of
// ASCII and nfcStable characters, as most texts are.
func isNFC(s string) bool {
	stable := nfcStable()
	for i := 0; i < len(s); {
		if i+8 <= len(s) && (s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7])&0x80 == 0 {
			i += 8 // ASCII
			continue
		}
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r > 0xffff || r == utf8.RuneError && n == 1 || stable[r/64]&(1<<(r%64)) == 0 {
			return norm.NFC.IsNormalString(s)
		}
		i += n
	}
	return true
}

// stableRune reports whether r is ASCII or nfcStable.
func stableRune(r rune) bool {
	return r < utf8.RuneSelf || r <= 0xffff && nfcStable()[r/64]&(1<<(r%64)) != 0
}

// nfcStable has a bit for each character of the Basic Multilingual Plane
// that is in NFC on its own and combines with no character before it (a
// starter with a boundary before it): a text of such characters and ASCII
// ones is in NFC, in any order. Most accented letters, punctuation, CJK
// characters and kana are; combining marks and conjoining jamo are not.
var nfcStable = sync.OnceValue(func() *[1 << 16 / 64]uint64 {
	var t [1 << 16 / 64]uint64
	for r := rune(utf8.RuneSelf); r <= 0xffff; r++ {
		if s := string(r); utf8.ValidRune(r) && norm.NFC.IsNormalString(s) && norm.NFC.PropertiesString(s).BoundaryBefore() {
			t[r/64] |= 1 << (r % 64)
		}
	}
	return &t
})

func tagStart(r rune) bool {
	return r == '/' || r == '!' || r == '?' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
}

// flush writes the pending separator and bullet before new text.
func (w *textWriter) flush() {
	if w.b.Len() > 0 && w.pending != brNone {
		switch {
		case w.oneLine || w.pending == brSpace:
			w.b.WriteByte(' ')
		case w.pending == brCell:
			w.b.WriteString(" | ")
		case w.pending == brLine:
			w.b.WriteByte('\n')
		default:
			w.b.WriteString("\n\n")
		}
		w.last = ' '
	}
	w.pending = brNone
	if w.prefix != "" {
		w.b.WriteString(w.prefix)
		w.prefix = ""
		w.last = ' '
		for _, r := range w.prefix {
			w.unstable = w.unstable || !stableRune(r)
		}
	}
}

// invisible reports characters that show nothing or change how the text
// around them reads: controls, zero-width characters and the bidirectional
// controls with which "Sở Y tế" can be made to display as another name, or
// a link as another link.
func invisible(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r == 0xad, r >= 0x200b && r <= 0x200d, r == 0xfeff, r >= 0x2060 && r <= 0x2064, r == 0x180e:
		return true // soft hyphen, zero-width space, non-joiner and joiner, BOM, word joiner, invisible operators, Mongolian vowel separator
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidi embeddings, overrides, isolates and marks
	case r >= 0xfff9 && r <= 0xfffb, r >= 0xe0000 && r <= 0xe007f:
		return true // interlinear annotation, tag characters
	}
	return false
}

// CleanName is a person's, a group's or an agency's name as typed in
// Telegram, made safe to show in the department's chat: invisible and
// direction-changing characters removed (see invisible), white space
// collapsed to single spaces and trimmed, in NFC. Markup is not touched:
// names are plain text and escaped when sent.
func CleanName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case invisible(r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	// After removal: a mark kept apart from its letter by a zero-width
	// character composes with it.
	return norm.NFC.String(b.String())
}

// html walks the tokens of s. The tokenizer decodes character references
// once; raw-text elements (script, style…) arrive as one text token, which
// is dropped with its element.
func (w *textWriter) html(s string) {
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside elements whose content is not text
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.TextToken:
			if skip == 0 {
				w.write(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped(a) {
				// The tokenizer reads a raw-text element's content as
				// text even after "<title/>", so that opens it too.
				if tt == html.StartTagToken || tt == html.SelfClosingTagToken && rawText(a) {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			w.tag(a, tt != html.EndTagToken)
		}
	}
}

// tag turns an element boundary into a separator.
func (w *textWriter) tag(a atom.Atom, start bool) {
	switch a {
	case atom.Br:
		w.brk(brLine) // "</br>" too, as browsers do
	case atom.Li:
		w.brk(brLine)
		if start {
			w.prefix = "• "
		} else {
			w.prefix = ""
		}
	case atom.Td, atom.Th:
		// A row's first cell follows the row's line break, which is
		// stronger than the cell separator, so only later cells get " | ".
		if start {
			w.brk(brCell)
		} else {
			w.brk(brSpace)
		}
	case atom.Tr, atom.Dt, atom.Dd, atom.Caption, atom.Option:
		w.brk(brLine)
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer,
		atom.Aside, atom.Nav, atom.Main, atom.H1, atom.H2, atom.H3, atom.H4,
		atom.H5, atom.H6, atom.Ul, atom.Ol, atom.Dl, atom.Table, atom.Blockquote,
		atom.Pre, atom.Figure, atom.Figcaption, atom.Hr, atom.Form, atom.Fieldset,
		atom.Address, atom.Details, atom.Summary, atom.Body, atom.Html:
		w.brk(brPara)
	case atom.Img, atom.Input, atom.Button, atom.Label, atom.Select:
		w.brk(brSpace)
	}
}

// skipped lists elements whose content is never readable text.
func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe,
		atom.Noembed, atom.Noframes, atom.Xmp, atom.Plaintext, atom.Textarea,
		atom.Title, atom.Svg, atom.Math, atom.Object:
		return true
	}
	return false
}

// rawText lists the elements after whose start tag the tokenizer reads
// everything up to the matching end tag as text.
func rawText(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Textarea, atom.Title, atom.Xmp, atom.Iframe,
		atom.Noembed, atom.Noframes, atom.Noscript, atom.Plaintext:
		return true
	}
	return false
}

// Shorten cuts s to at most limit runes, at a word boundary when there is
// one in the last part of the allowance, and marks the cut with "…". It
// never splits a character.
func Shorten(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	// Byte offset just after rune limit-1: room for the ellipsis.
	end, n := 0, 0
	for i := range s {
		if n == limit-1 {
			end = i
			break
		}
		n++
	}
	cut := s[:end]
	// Prefer the last white space in the final 40% of the allowance, so a
	// text without spaces (Japanese) is still cut near the limit.
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i >= 0 && utf8.RuneCountInString(cut[:i]) >= (limit*6)/10 {
		cut = cut[:i]
	}
	cut = strings.TrimRightFunc(cut, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—(•|", r)
	})
	return cut + "…"
}
