package bot

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The acknowledging vocabulary: a reply to one of the service's messages
// about an alert acknowledges it when, once folded (lower case, no
// diacritics, punctuation and emoji taken out), it reads
//
//	[who] word [tail…]
//
// with the parts below and nothing else, so that "chưa nhận", "không nhận
// được" and sentences that merely mention an alert never count. A question
// ("ok?", "đã nhận chưa?") is not an acknowledgement. A reply made only of
// a thumbs-up or a check mark (👍, 👌, ✅, ✔️, ☑️) counts. README's
// "Acknowledging" section lists the same words.
var (
	ackWho = []string{"em", "toi", "chung toi", "chung em", "ben em", "don vi", "don vi em", "phong", "we", "i"}
	// ackWords: Vietnamese first, then English.
	ackWords = []string{
		"nhan", "da nhan", "nhan duoc", "da nhan duoc", "da xem", "xem roi", "da ro", "ro", "ro roi",
		"da biet", "biet roi", "xac nhan", "da xac nhan", "ok", "oke", "okay", "okie", "ack",
		"acknowledged", "received", "noted", "seen", "got it", "roger", "understood",
	}
	ackTails = []string{"a", "roi", "nhe", "nha", "thong tin", "duoc", "cam on", "xin cam on", "thanks", "thank you", "tks", "thx"}
	// ackMarks are the emoji that acknowledge on their own.
	ackMarks = []string{"👍", "👌", "✅", "✔", "☑"}
)

// isAcknowledgement reports whether a reply's text is a short
// acknowledgement in the vocabulary above.
func isAcknowledgement(text string) bool {
	text = strings.TrimSpace(text)
	if text == "" || strings.ContainsAny(text, "?？") || len(text) > 120 {
		return false
	}
	words := strings.Fields(foldText(text))
	if len(words) == 0 {
		for _, m := range ackMarks {
			if strings.Contains(text, m) {
				return true
			}
		}
		return false
	}
	starts := []int{0}
	if n := matchPhrase(words, ackWho); n > 0 {
		starts = append(starts, n)
	}
	for _, start := range starts {
		for _, n := range matchAll(words[start:], ackWords) {
			if tailOnly(words[start+n:]) {
				return true
			}
		}
	}
	return false
}

// tailOnly reports whether words are nothing but polite tails.
func tailOnly(words []string) bool {
	for len(words) > 0 {
		n := matchPhrase(words, ackTails)
		if n == 0 {
			return false
		}
		words = words[n:]
	}
	return true
}

// matchPhrase returns how many leading words form the longest phrase of
// the list, 0 when none does.
func matchPhrase(words []string, phrases []string) int {
	best := 0
	for _, n := range matchAll(words, phrases) {
		best = max(best, n)
	}
	return best
}

// matchAll returns the lengths of every phrase of the list that the words
// start with.
func matchAll(words []string, phrases []string) []int {
	var out []int
	for _, p := range phrases {
		pw := strings.Fields(p)
		if len(pw) <= len(words) && slicesEqual(words[:len(pw)], pw) {
			out = append(out, len(pw))
		}
	}
	return out
}

func slicesEqual(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// foldText lowers text, takes off diacritics (đ becomes d) and turns
// everything but letters and digits into spaces, so that "Đã nhận ạ!!"
// and "da nhan a" read the same.
func foldText(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune(' ')
		}
	}
	return b.String()
}
