package feeds

import "strings"

// literals finds the occurrences of a fixed set of strings in one pass over
// a text, where a strings.Index loop per string would read the text once
// for each of them: the classifier looks for dozens of words in every item.
// Each string's occurrences are those such a loop finds: left to right,
// never overlapping each other.
type literals struct {
	lits []string
	// pairs has a bit for the first two bytes of each string: most
	// positions of a text start none of them and cost one lookup.
	pairs [1 << 16 / 64]uint64
	// byFirst lists the strings by their first byte.
	byFirst [256][]int
}

func newLiterals(lits []string) *literals {
	if len(lits) > maxLiterals {
		panic("literals: more than maxLiterals strings")
	}
	l := &literals{lits: lits}
	for i, s := range lits {
		if len(s) < 2 {
			panic("literals: " + s + " is shorter than two bytes")
		}
		k := pairAt(s, 0)
		l.pairs[k/64] |= 1 << (k % 64)
		l.byFirst[s[0]] = append(l.byFirst[s[0]], i)
	}
	return l
}

func pairAt(s string, i int) uint16 { return uint16(s[i])<<8 | uint16(s[i+1]) }

// maxLiterals bounds a set, so that each scan keeps its state on the stack.
const maxLiterals = 64

// each calls fn with the index of the string and the position of each
// occurrence, by position.
func (l *literals) each(s string, fn func(lit, at int)) {
	var next [maxLiterals]int // where each string may occur next
	for i := 0; i+1 < len(s); i++ {
		k := pairAt(s, i)
		if l.pairs[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, j := range l.byFirst[s[i]] {
			if i >= next[j] && strings.HasPrefix(s[i:], l.lits[j]) {
				next[j] = i + len(l.lits[j])
				fn(j, i)
			}
		}
	}
}

// in reports whether s contains any of the strings.
func (l *literals) in(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		k := pairAt(s, i)
		if l.pairs[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, j := range l.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], l.lits[j]) {
				return true
			}
		}
	}
	return false
}
