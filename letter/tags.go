package letter

import "strings"

// Tag reads a tag as the department types it ("so-ban-nganh",
// "@ubnd-huyen", "Sở ban ngành") and returns its one written form:
// lower-case ASCII letters, digits and dashes, diacritics removed, at most
// 32 characters. ok is false when nothing usable remains or the text holds
// other characters.
func Tag(s string) (tag string, ok bool) {
	var b strings.Builder
	for _, r := range Fold(strings.TrimLeft(strings.TrimSpace(s), "@#")) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '_' || r == ' ' || r == '.':
			b.WriteByte('-')
		default:
			return "", false
		}
	}
	tag = strings.Trim(b.String(), "-")
	for strings.Contains(tag, "--") {
		tag = strings.ReplaceAll(tag, "--", "-")
	}
	return tag, tag != "" && len(tag) <= 32
}

// LeadingTags takes the @tags at the start of a text ("@ubnd-huyen
// @so-ban-nganh Cảnh báo …") and returns them with the rest. bad lists
// @words that are not valid tags.
func LeadingTags(text string) (tags, bad []string, rest string) {
	rest = strings.TrimLeft(text, " \t")
	for strings.HasPrefix(rest, "@") {
		end := strings.IndexAny(rest, " \t\n")
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		if t, ok := Tag(word); ok {
			tags = appendNew(tags, t)
		} else {
			bad = append(bad, word)
		}
		rest = strings.TrimLeft(rest[end:], " \t")
	}
	return tags, bad, rest
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
