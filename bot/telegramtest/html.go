package telegramtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// parseError is a rejected formatted text. Its message is what Telegram puts after
// "Bad Request: can't parse entities: ".
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

func parseErrorf(format string, args ...any) error {
	return &parseError{msg: fmt.Sprintf(format, args...)}
}

// htmlTags are the tags of the "HTML style" section of the Bot API reference
// (core.telegram.org/bots/api#html-style); anything else is refused with
// `Unsupported start tag "x"`.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "blockquote": true, "tg-emoji": true,
}

// openTag is a start tag waiting for its end tag.
type openTag struct {
	name   string
	arg    string // href, code language, span class without "tg-", emoji-id, or "expandable"
	offset int    // UTF-16 offset of the entity in the visible text
	start  int    // byte offset of the entity in the visible text
}

// parseHTML reads text the way Telegram reads parse_mode=HTML and returns what the user
// sees with its entities, offsets in UTF-16 code units. The error messages follow TDLib's
// parser (td/telegram/MessageEntity.cpp), which the Bot API passes on after
// "can't parse entities: ".
//
// Telegram itself keeps a '&' that starts no known entity as a literal character; the Bot
// API reference nevertheless requires it to be written &amp;. strict follows the
// reference, so that a test catches text the service forgot to escape.
func parseHTML(text string, strict bool) (string, []tgbotapi.MessageEntity, error) {
	var out strings.Builder
	out.Grow(len(text))
	var entities []tgbotapi.MessageEntity
	var open []openTag
	u16 := 0
	for i := 0; i < len(text); {
		switch text[i] {
		case '&':
			r, n, err := decodeEntity(text, i, strict)
			if err != nil {
				return "", nil, err
			}
			if n == 0 {
				out.WriteByte('&')
				u16++
				i++
				continue
			}
			out.WriteRune(r)
			u16 += utf16Len(r)
			i += n
		case '<':
			begin := i
			i++
			if i < len(text) && text[i] == '/' {
				if len(open) == 0 {
					return "", nil, parseErrorf("Unexpected end tag at byte offset %d", begin)
				}
				i++
				j := i
				for j < len(text) && !isSpace(text[j]) && text[j] != '>' {
					j++
				}
				name := strings.ToLower(text[i:j])
				i = skipSpaces(text, j)
				if i == len(text) || text[i] != '>' {
					return "", nil, parseErrorf("Unclosed end tag at byte offset %d", begin)
				}
				i++
				top := open[len(open)-1]
				if name != "" && name != top.name {
					return "", nil, parseErrorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"",
						begin, top.name, name)
				}
				open = open[:len(open)-1]
				if u16 > top.offset {
					var err error
					entities, err = closeEntity(entities, top, u16-top.offset, out.String()[top.start:])
					if err != nil {
						return "", nil, err
					}
				}
				continue
			}
			tag, next, err := readStartTag(text, begin, strict)
			if err != nil {
				return "", nil, err
			}
			tag.offset, tag.start = u16, out.Len()
			open = append(open, tag)
			i = next
		default:
			j := i + 1
			for j < len(text) && text[j] != '<' && text[j] != '&' {
				j++
			}
			out.WriteString(text[i:j])
			u16 += utf16LenString(text[i:j])
			i = j
		}
	}
	if len(open) > 0 {
		return "", nil, parseErrorf("Can't find end tag corresponding to start tag \"%s\"", open[len(open)-1].name)
	}
	for k := range entities {
		if entities[k].Type == "code" {
			entities[k].Language = "" // only a <pre> carries the language of its <code>
		}
	}
	sort.SliceStable(entities, func(a, b int) bool {
		if entities[a].Offset != entities[b].Offset {
			return entities[a].Offset < entities[b].Offset
		}
		return entities[a].Length > entities[b].Length
	})
	return out.String(), entities, nil
}

// readStartTag reads the start tag at text[begin] ('<') and returns it with the offset
// just past its '>'.
func readStartTag(text string, begin int, strict bool) (openTag, int, error) {
	i := begin + 1
	j := i
	for j < len(text) && !isSpace(text[j]) && text[j] != '>' {
		j++
	}
	if j == len(text) {
		return openTag{}, 0, parseErrorf("Unclosed start tag at byte offset %d", begin)
	}
	name := strings.ToLower(text[i:j])
	if !htmlTags[name] {
		return openTag{}, 0, parseErrorf("Unsupported start tag \"%s\" at byte offset %d", name, begin)
	}
	tag := openTag{name: name}
	i = j
	for i < len(text) && text[i] != '>' {
		i = skipSpaces(text, i)
		if i == len(text) || text[i] == '>' {
			break
		}
		attrBegin := i
		for i < len(text) && !isSpace(text[i]) && text[i] != '=' && text[i] != '>' {
			i++
		}
		attr := strings.ToLower(text[attrBegin:i])
		if attr == "" {
			return openTag{}, 0, parseErrorf("Empty attribute name in the tag \"%s\" at byte offset %d", name, begin)
		}
		i = skipSpaces(text, i)
		if i == len(text) || text[i] != '=' {
			if name == "blockquote" && attr == "expandable" {
				tag.arg = "expandable"
				continue
			}
			return openTag{}, 0, parseErrorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", name, begin)
		}
		i = skipSpaces(text, i+1)
		if i == len(text) {
			return openTag{}, 0, parseErrorf("Unclosed start tag \"%s\" at byte offset %d", name, begin)
		}
		var value string
		if q := text[i]; q == '"' || q == '\'' {
			i++
			var v strings.Builder
			for i < len(text) && text[i] != q {
				if text[i] == '&' {
					r, n, err := decodeEntity(text, i, strict)
					if err != nil {
						return openTag{}, 0, err
					}
					if n > 0 {
						v.WriteRune(r)
						i += n
						continue
					}
				}
				v.WriteByte(text[i])
				i++
			}
			if i < len(text) {
				i++
			}
			value = v.String()
		} else {
			tokenBegin := i
			for i < len(text) && (isAlnum(text[i]) || text[i] == '.' || text[i] == '-') {
				i++
			}
			value = strings.ToLower(text[tokenBegin:i])
			if i < len(text) && !isSpace(text[i]) && text[i] != '>' {
				return openTag{}, 0, parseErrorf("Unexpected end of name token at byte offset %d", tokenBegin)
			}
		}
		if i == len(text) {
			break
		}
		switch {
		case name == "a" && attr == "href":
			tag.arg = value
		case name == "code" && attr == "class" && strings.HasPrefix(value, "language-"):
			tag.arg = value[len("language-"):]
		case name == "span" && attr == "class" && strings.HasPrefix(value, "tg-"):
			tag.arg = value[len("tg-"):]
		case name == "tg-emoji" && attr == "emoji-id":
			tag.arg = value
		}
	}
	if i == len(text) {
		return openTag{}, 0, parseErrorf("Unclosed start tag at byte offset %d", begin)
	}
	if name == "span" && tag.arg != "spoiler" {
		return openTag{}, 0, parseErrorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
	}
	return tag, i + 1, nil
}

// closeEntity appends the entity of a closed, non-empty tag. inner is the visible text
// inside it, which an <a> without href links to.
func closeEntity(entities []tgbotapi.MessageEntity, tag openTag, length int, inner string) ([]tgbotapi.MessageEntity, error) {
	e := tgbotapi.MessageEntity{Offset: tag.offset, Length: length}
	switch tag.name {
	case "b", "strong":
		e.Type = "bold"
	case "i", "em":
		e.Type = "italic"
	case "u", "ins":
		e.Type = "underline"
	case "s", "strike", "del":
		e.Type = "strikethrough"
	case "span", "tg-spoiler":
		e.Type = "spoiler"
	case "blockquote":
		e.Type = "blockquote"
		if tag.arg == "expandable" {
			e.Type = "expandable_blockquote"
		}
	case "tg-emoji":
		if id, err := strconv.ParseInt(tag.arg, 10, 64); err != nil || id == 0 {
			return nil, parseErrorf("Invalid custom emoji identifier specified")
		}
		e.Type = "custom_emoji"
	case "a":
		e.Type, e.URL = "text_link", tag.arg
		if e.URL == "" {
			e.URL = inner
		}
	case "code":
		e.Type, e.Language = "code", tag.arg
	case "pre":
		e.Type = "pre"
		if n := len(entities); n > 0 {
			last := entities[n-1]
			if last.Type == "code" && last.Offset == e.Offset && last.Length == e.Length && last.Language != "" {
				e.Language = last.Language
				entities = entities[:n-1]
			}
		}
	}
	return append(entities, e), nil
}

// decodeEntity decodes the character reference at text[i] ('&'): &lt; &gt; &amp; &quot;
// or a numeric one. n is 0 when there is none there, which Telegram takes as a literal
// '&' and strict mode refuses.
func decodeEntity(text string, i int, strict bool) (r rune, n int, err error) {
	end := i + 1
	var code int64
	if end < len(text) && text[end] == '#' {
		end++
		digits := end
		if end < len(text) && text[end] == 'x' {
			end++
			digits = end
			for end < len(text) && isHex(text[end]) && end-digits < 9 {
				end++
			}
			code, _ = strconv.ParseInt(text[digits:end], 16, 64)
		} else {
			for end < len(text) && text[end] >= '0' && text[end] <= '9' && end-digits < 9 {
				end++
			}
			code, _ = strconv.ParseInt(text[digits:end], 10, 64)
		}
		if code == 0 || code >= 0x10ffff {
			return 0, 0, strictEntity(i, strict)
		}
	} else {
		for end < len(text) && isAlpha(text[end]) {
			end++
		}
		switch text[i+1 : end] {
		case "lt":
			code = '<'
		case "gt":
			code = '>'
		case "amp":
			code = '&'
		case "quot":
			code = '"'
		default:
			return 0, 0, strictEntity(i, strict)
		}
	}
	if end < len(text) && text[end] == ';' {
		end++
	} else if strict {
		return 0, 0, strictEntity(i, strict)
	}
	if code >= 0xd800 && code <= 0xdfff {
		return 0, 0, parseErrorf("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")
	}
	return rune(code), end - i, nil
}

// strictEntity is the refusal of a bare '&' in strict mode. Telegram has no such error
// (it keeps the '&'), so the wording is the fake's own, under Telegram's usual prefix.
func strictEntity(offset int, strict bool) error {
	if !strict {
		return nil
	}
	return parseErrorf("Unsupported HTML entity at byte offset %d (a bare '&' must be written &amp;)", offset)
}

// trimText drops the leading and trailing white space Telegram strips from a message
// and shifts the entities with it, dropping those left empty.
func trimText(text string, entities []tgbotapi.MessageEntity) (string, []tgbotapi.MessageEntity) {
	trimmed := strings.TrimRight(text, " \t\r\n\v\f")
	rest := strings.TrimLeft(trimmed, " \t\r\n\v\f")
	if len(rest) == len(text) {
		return text, entities
	}
	lead := len(trimmed) - len(rest) // ASCII only, so bytes are UTF-16 units
	size := utf16LenString(rest)
	var kept []tgbotapi.MessageEntity
	for _, e := range entities {
		from, to := max(e.Offset-lead, 0), min(e.Offset+e.Length-lead, size)
		if to > from {
			e.Offset, e.Length = from, to-from
			kept = append(kept, e)
		}
	}
	return rest, kept
}

// utf16LenString counts text in UTF-16 code units, the unit of Telegram's limits and
// entity offsets: characters outside the BMP (most emoji) count twice.
func utf16LenString(s string) int {
	n := 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c&0xc0 != 0x80 {
			n++
			if c >= 0xf0 {
				n++
			}
		}
	}
	return n
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

func skipSpaces(text string, i int) int {
	for i < len(text) && isSpace(text[i]) {
		i++
	}
	return i
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
func isHex(c byte) bool   { return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f' }

// validUTF8 reports whether Telegram would accept the string at all.
func validUTF8(s string) bool { return utf8.ValidString(s) }

// CheckHTML reads text as Telegram reads a parse_mode=HTML message and
// returns what the user would see, or the error Telegram would answer
// (including "message is too long"), so that fuzz tests can check
// rendered messages without a server.
func CheckHTML(text string) (plain string, err error) {
	plain, _, err = parseHTML(text, true)
	if err != nil {
		return "", err
	}
	if n := utf16LenString(plain); n > 4096 {
		return "", fmt.Errorf("message is too long: %d UTF-16 code units", n)
	}
	return plain, nil
}
