package feeds

import (
	"bytes"
	"encoding/xml"
	"io"
	"unicode/utf8"
)

// quickXMLShape is scanXMLShape for an ordinary document, read with byte
// searches instead of encoding/xml's tokenizer, which copies every byte of
// every text (the scan took about a tenth of the time of a poll). It reads
// the tokens encoding/xml's RawToken reads (non-strict), in the same
// order and at the same offsets, and counts them with the same xmlCount.
// It gives up (ok false) before anything it does not read exactly as the
// decoder does: bytes the decoder drops or refuses (C0 controls, invalid
// UTF-8, U+FFFE, U+FFFF) anywhere, a character reference to one, names
// that are not ASCII, attributes without a quoted value, markup inside a
// directive, an XML declaration the decoder refuses, and every syntax
// error, where the decoder's scan ends.
func quickXMLShape(body []byte, lim shapeLimits) (err error, ok bool) {
	if !plainXMLBytes(body) {
		return nil, false
	}
	c := xmlCount{lim: lim}
	var field [2]int // the open field's name
	n := len(body)
	for pos := 0; pos < n; {
		start := pos
		closes := false // a self-closing tag: its end follows
		switch {
		case body[pos] != '<':
			// Text, up to the next tag. Character references cannot
			// reach past "<"; at the end of the document, one may
			// reach the end, which is a syntax error.
			end := bytes.IndexByte(body[pos:], '<')
			if end < 0 {
				end = n - pos
				if bytes.IndexByte(body[pos:], '&') >= 0 {
					return nil, false
				}
			}
			end += pos
			if bytes.Contains(body[pos:end], []byte("]]>")) || !plainRefs(body[pos:end]) {
				return nil, false
			}
			pos = end
		case pos+2 >= n:
			return nil, false
		case body[pos+1] == '/':
			_, p, ok := xmlName(body, pos+2, true)
			if p = skipXMLSpace(body, p); !ok || p >= n || body[p] != '>' {
				return nil, false
			}
			pos = p + 1
			c.close()
		case body[pos+1] == '?':
			// A processing instruction, up to "?>".
			name, p, ok := xmlName(body, pos+2, false)
			if !ok {
				return nil, false
			}
			p = skipXMLSpace(body, p)
			end := bytes.Index(body[p:], []byte("?>"))
			if end < 0 {
				return nil, false
			}
			pos = p + end + 2
			if string(body[name[0]:name[1]]) == "xml" && !xmlDeclOK(body[start:pos]) {
				return nil, false
			}
		case body[pos+1] == '!':
			p, ok := skipMarkup(body, pos)
			if !ok {
				return nil, false
			}
			pos = p
		default:
			local, p, empty, ok := startTag(body, pos)
			if !ok {
				return nil, false
			}
			pos, closes = p, empty
			container, entry := elementKind(body[local[0]:local[1]])
			opens, err := c.open(container, entry, int64(start), int64(pos))
			if opens {
				field = local
			}
			if err != nil {
				return err, true
			}
		}
		if c.fieldOver(int64(pos)) {
			return c.fieldError(string(body[field[0]:field[1]])), true
		}
		if closes {
			c.close()
			if c.fieldOver(int64(pos)) {
				return c.fieldError(string(body[field[0]:field[1]])), true
			}
		}
	}
	return nil, true
}

// plainXMLBytes reports whether every character of body is one that
// encoding/xml reads as it is: valid UTF-8, no C0 control but tab, line
// feed and carriage return (gofeed drops the others first, which shifts
// the offsets), no U+FFFE or U+FFFF (which the decoder refuses in text).
func plainXMLBytes(body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	for i, b := range body {
		switch {
		case b < 0x20 && b != '\t' && b != '\n' && b != '\r':
			return false
		case b == 0xef && i+2 < len(body) && body[i+1] == 0xbf && body[i+2] >= 0xbe:
			return false
		}
	}
	return true
}

// plainRefs reports whether the character references ("&#233;",
// "&#xE9;") of a text or attribute value all name characters the decoder
// accepts; other references cannot fail in the non-strict decoder.
func plainRefs(text []byte) bool {
	for {
		i := bytes.Index(text, []byte("&#"))
		if i < 0 {
			return true
		}
		p, base := i+2, rune(10)
		if p < len(text) && text[p] == 'x' {
			p, base = p+1, 16
		}
		v, digits := rune(0), 0
		for ; p < len(text); p++ {
			d := hexDigit(text[p])
			if d < 0 || d >= base {
				break
			}
			if v <= utf8.MaxRune {
				v = v*base + d
			}
			digits++
		}
		if digits > 0 && p < len(text) && text[p] == ';' && v <= utf8.MaxRune && !xmlChar(v) {
			return false
		}
		text = text[p:]
	}
}

func hexDigit(b byte) rune {
	switch {
	case '0' <= b && b <= '9':
		return rune(b - '0')
	case 'a' <= b && b <= 'f':
		return rune(b-'a') + 10
	case 'A' <= b && b <= 'F':
		return rune(b-'A') + 10
	}
	return -1
}

// xmlChar reports whether the decoder accepts the character a reference
// names (surrogates become U+FFFD, which it accepts).
func xmlChar(r rune) bool {
	return r >= 0x20 && r != 0xfffe && r != 0xffff || r == '\t' || r == '\n' || r == '\r'
}

// xmlDeclOK reports whether encoding/xml accepts an XML declaration (it
// refuses versions other than 1.0).
func xmlDeclOK(decl []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(decl))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	_, err := d.RawToken()
	return err == nil
}

// xmlName reads the name at body[p:] as the decoder does, and returns
// the span of its local part (after a prefix "x:" when ns is set), and
// where it ends. Only ASCII names are read.
func xmlName(body []byte, p int, ns bool) (local [2]int, end int, ok bool) {
	end = p
	colon := -1
	for end < len(body) && isNameByte(body[end]) {
		if body[end] == ':' {
			if ns && colon >= 0 {
				return local, end, false // "a:b:c" is not a name there
			}
			colon = end
		}
		end++
	}
	if end == p || end == len(body) || body[end] >= utf8.RuneSelf {
		return local, end, false
	}
	if b := body[p]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '_' || b == ':') {
		return local, end, false
	}
	local = [2]int{p, end}
	if ns && colon > p && colon < end-1 {
		local[0] = colon + 1
	}
	return local, end, true
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

func skipXMLSpace(body []byte, p int) int {
	for p < len(body) && (body[p] == ' ' || body[p] == '\t' || body[p] == '\n' || body[p] == '\r') {
		p++
	}
	return p
}

// startTag reads the start tag at body[pos:] ("<a x='1'>" or "<a/>"):
// the span of its local name, where it ends and whether it closes itself.
func startTag(body []byte, pos int) (local [2]int, end int, empty, ok bool) {
	local, p, ok := xmlName(body, pos+1, true)
	if !ok {
		return local, p, false, false
	}
	for {
		p = skipXMLSpace(body, p)
		switch {
		case p >= len(body):
			return local, p, false, false
		case body[p] == '>':
			return local, p + 1, false, true
		case body[p] == '/':
			return local, p + 2, true, p+1 < len(body) && body[p+1] == '>'
		}
		// An attribute; the non-strict decoder also takes a name alone
		// and a value without quotes (letters, digits, "_", ":", "-").
		if _, p, ok = xmlName(body, p, true); !ok {
			return local, p, false, false
		}
		if p = skipXMLSpace(body, p); p >= len(body) {
			return local, p, false, false
		}
		if body[p] != '=' {
			continue
		}
		if p = skipXMLSpace(body, p+1); p >= len(body) {
			return local, p, false, false
		}
		if body[p] != '"' && body[p] != '\'' {
			v := p
			for p < len(body) && (isNameByte(body[p]) && body[p] != '.') {
				p++
			}
			if p == v || p == len(body) {
				return local, p, false, false
			}
			continue
		}
		end := bytes.IndexByte(body[p+1:], body[p])
		if end < 0 {
			return local, p, false, false
		}
		value := body[p+1 : p+1+end]
		if bytes.IndexByte(value, '<') >= 0 || !plainRefs(value) {
			return local, p, false, false
		}
		p += end + 2
	}
}

// skipMarkup reads the comment, CDATA section or directive at body[pos:]
// ("<!…") and returns where it ends.
func skipMarkup(body []byte, pos int) (int, bool) {
	switch p := pos + 2; {
	case body[p] == '-':
		// A comment ends at the first "--", which must be followed by ">".
		if p+1 >= len(body) || body[p+1] != '-' {
			return p, false
		}
		i := bytes.Index(body[p+2:], []byte("--"))
		if end := p + 2 + i + 2; i >= 0 && end < len(body) && body[end] == '>' {
			return end + 1, true
		}
		return p, false
	case body[p] == '[':
		if !bytes.HasPrefix(body[p+1:], []byte("CDATA[")) {
			return p, false
		}
		i := bytes.Index(body[p+7:], []byte("]]>"))
		if i < 0 {
			return p, false
		}
		return p + 7 + i + 3, true
	default:
		// A directive ("<!DOCTYPE rss …>"): its first character is
		// taken as it is, then it ends at the first ">" outside quotes.
		// One with markup inside ("<!DOCTYPE x [<!ENTITY …>]>") is left
		// to the decoder.
		var quote byte
		for p++; p < len(body); p++ {
			switch b := body[p]; {
			case quote != 0:
				if b == quote {
					quote = 0
				}
			case b == '"' || b == '\'':
				quote = b
			case b == '<':
				return p, false
			case b == '>':
				return p + 1, true
			}
		}
		return p, false
	}
}

// elementKind tells containers and entries (see containers) by an ASCII
// name.
func elementKind(local []byte) (container, entry bool) {
	for _, c := range [...]string{"item", "entry", "rss", "rdf", "feed", "channel", "items", "seq"} {
		if asciiEqualFold(local, c) {
			return true, c == "item" || c == "entry"
		}
	}
	return false, false
}

// asciiEqualFold reports whether b is s (ASCII letters) in any case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}
