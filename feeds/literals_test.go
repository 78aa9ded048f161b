package feeds

import (
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// The single pass finds what a strings.Index loop per string finds.
func TestLiteralsEach(t *testing.T) {
	lits := newLiterals([]string{"aa", "aab", "khai thác", "ab", "exploit", "exploited"})
	for _, s := range []string{"", "a", "aaaab", "aab aab", "đã bị khai thác, khai thác", "exploited exploit", "xaabaa"} {
		var got, want [][2]int
		lits.each(s, func(lit, at int) { got = append(got, [2]int{lit, at}) })
		for j, lit := range lits.lits {
			for from := 0; ; {
				i := strings.Index(s[from:], lit)
				if i < 0 {
					break
				}
				want = append(want, [2]int{j, from + i})
				from += i + len(lit)
			}
		}
		order := func(a, b [2]int) int { return cmpPair(a, b) }
		slices.SortFunc(got, order)
		slices.SortFunc(want, order)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", s, got, want)
		}
		if lits.in(s) != (len(want) > 0) {
			t.Errorf("%q: in = %v", s, lits.in(s))
		}
	}
}

func cmpPair(a, b [2]int) int {
	if a[1] != b[1] {
		return a[1] - b[1]
	}
	return a[0] - b[0]
}

// Every phrase exploitedRe matches contains one of exploitedLiterals, so
// that a stretch without them is skipped rightly.
func TestExploitedLiterals(t *testing.T) {
	re, err := syntax.Parse(exploitedRe.String(), syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	// The phrases between the two word boundaries.
	if re.Op != syntax.OpConcat || len(re.Sub) != 3 {
		t.Fatalf("exploitedRe is not boundary, phrases, boundary: %v", re)
	}
	phrases := expand(t, re.Sub[1])
	if len(phrases) < 30 {
		t.Fatalf("only %d phrases: %q", len(phrases), phrases)
	}
	for _, p := range phrases {
		if !exploitedLiterals.in(p) {
			t.Errorf("%q contains none of exploitedLiterals", p)
		}
	}
}

// expand lists the strings a regular expression without repetition
// matches.
func expand(t *testing.T, re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			t.Fatalf("case-folded %v", re)
		}
		return []string{string(re.Rune)}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 10 {
				t.Fatalf("wide class %v", re)
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpCapture:
		return expand(t, re.Sub[0])
	case syntax.OpQuest:
		return append([]string{""}, expand(t, re.Sub[0])...)
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			out = append(out, expand(t, sub)...)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			var next []string
			for _, head := range out {
				for _, tail := range expand(t, sub) {
					next = append(next, head+tail)
				}
			}
			out = next
		}
		return out
	}
	t.Fatalf("cannot expand %v (op %v)", re, re.Op)
	return nil
}
