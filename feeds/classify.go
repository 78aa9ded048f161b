package feeds

import (
	"bytes"
	"cmp"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/canhbao/canhbao/store"
)

// Classification is what an item's own text says about it. Agencies filter
// on severity, so it is decided from the strongest evidence available: a
// CVSS score first, then severity words, then exploitation.
type Classification struct {
	// Severity is SeverityUnknown when the text gives no score, no severity
	// word and no sign of exploitation.
	Severity store.Severity
	// Score is the highest CVSS base score found, 0 when there is none.
	Score float64
	// Exploited is set when the text says the flaw is exploited in the wild.
	Exploited bool
	// CVEs are the CVE ids the item is about, upper-cased, deduplicated
	// and sorted: those in the title when it names any, else every one
	// mentioned except those the text calls unrelated.
	CVEs []string
	// Related are the other CVE ids mentioned.
	Related []string
	// Vendors are the well-known vendors and products mentioned, in their
	// canonical spelling, title first, in order of first mention; a
	// component bundled in another vendor's product is left out.
	Vendors []string
	// News is set for an item that is not an advisory: no CVE, no score,
	// no severity, no exploitation, and a title or text of news (a
	// bulletin, a conference, a statement).
	News bool
}

// Classify reads a title and a plain-text body (see PlainText) for severity,
// exploitation, CVE ids and vendors. It never returns a source's default
// severity: Resolve applies that.
func Classify(title, body string) Classification {
	text := title
	if body != "" {
		text = title + "\n" + body
	}
	lower := toLower(text)
	lowerTitle := lower[:min(len(title), len(lower))]
	if len(lower) != len(text) {
		lowerTitle = toLower(title) // a letter changed its length
	}
	var c Classification
	c.Score = cvssScore(lower, text)
	c.Severity = scoreSeverity(c.Score)
	anchored := near(lower)
	if c.Severity == store.SeverityUnknown {
		c.Severity = wordSeverity(lowerTitle, lower, anchored)
	}
	c.Exploited = exploited(lower, anchored)
	if c.Exploited {
		c.Severity = c.Severity.Max(store.SeverityHigh)
	}
	c.CVEs, c.Related = ownCVEs(title, text, lower)
	c.Vendors = findVendorsTitleFirst(title, text, lower)
	c.News = !c.Exploited && c.Score == 0 && c.Severity == store.SeverityUnknown &&
		len(c.CVEs) == 0 && len(c.Related) == 0 && newsLike(lowerTitle, lower)
	return c
}

// toLower is strings.ToLower, without its detour through strings.Map for
// the ASCII letters of a text that also has others (Vietnamese, French,
// Japanese): each rune is lowered by unicode.ToLower, and a byte that is
// not UTF-8 becomes U+FFFD, as strings.ToLower does.
func toLower(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for from := 0; ; from = i {
		for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'A' || s[i] > 'Z') {
			i++
		}
		b = append(b, s[from:i]...) // unchanged
		if i == len(s) {
			return string(b)
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, c+'a'-'A')
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if caseless(r) {
			b = append(b, s[i:i+n]...)
		} else {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		i += n
	}
}

// caseless reports characters of scripts without case, their own lower
// case: kana, CJK ideographs, Hangul syllables, Yi (U+3040 to U+A63F).
func caseless(r rune) bool { return r >= 0x3040 && r < 0xa640 }

// ownCVEs splits the CVE ids of an item into those it is about and those
// it only mentions. A KEV entry's title carries its own id while its
// description may name an earlier flaw it follows ("CVE-2025-49704 …
// chained with CVE-2025-53770"), and a notice may say what it is not
// about ("not related to CVE-2022-22963").
func ownCVEs(title, text, lower string) (own, related []string) {
	all := FindCVEs(text)
	if len(all) == 0 {
		return nil, nil
	}
	var inTitle []string
	if strings.Contains(lower[:min(len(title), len(lower))], "cve") {
		inTitle = FindCVEs(title)
	}
	for _, id := range all {
		switch {
		case len(inTitle) > 0 && !slices.Contains(inTitle, id),
			len(inTitle) == 0 && calledUnrelated(lower, strings.ToLower(id)):
			related = append(related, id)
		default:
			own = append(own, id)
		}
	}
	if len(own) == 0 {
		return all, nil // everything called unrelated: keep them
	}
	return own, related
}

// unrelatedWords, shortly before a CVE id, say that the item is not about
// it.
var unrelatedWords = []string{"not related to", "unrelated to", "no relation to", "different from", "unlike", "không liên quan", "khác với", "nhầm lẫn với", "confused with", "not the same as"}

// calledUnrelated reports whether every mention of id follows an
// unrelatedWords phrase in the same sentence.
func calledUnrelated(lower, id string) bool {
	found := false
	for from := 0; ; {
		i := strings.Index(lower[from:], id)
		if i < 0 {
			return found
		}
		i += from
		from = i + len(id)
		before := lower[max(0, i-60):i]
		if j := strings.LastIndexAny(before, ".!?\n"); j >= 0 {
			before = before[j+1:]
		}
		if !slices.ContainsFunc(unrelatedWords, func(w string) bool { return strings.Contains(before, w) }) {
			return false
		}
		found = true
	}
}

// vulnWords are signs that an item is about a vulnerability, an attack or
// a fix, in the languages of the sources.
var vulnWords = []string{"vulnerab", "exploit", "cve-", "patch", "security update", "security advisory", "advisory",
	"malware", "ransomware", "phishing", "attack", "compromise", "breach", "backdoor", "zero-day", "0-day",
	"lỗ hổng", "khai thác", "bản vá", "mã độc", "tấn công", "lừa đảo", "xâm nhập", "điểm yếu", "cập nhật bảo mật",
	"vulnérabilit", "faille", "correctif", "alerte", "脆弱性", "攻撃", "マルウェア", "不正", "セキュリティ更新", "注意喚起",
	"サポート終了", "のおそれ", "cảnh báo", "alert:", "end of life", "end-of-life", "hết hỗ trợ"}

// newsWords in a title mark a bulletin, a report or a statement rather
// than an advisory.
var newsWords = []string{"weekly", "bulletin", "newsletter", "conference", "podcast", "blog", "statement", "annual review",
	"report", "speech", "award", "event", "webinar", "summit", "recruit", "policy", "strategy", "guidance for", "campaign launch",
	"bản tin", "hội thảo", "hội nghị", "tọa đàm", "diễn tập", "chính sách", "chiến lược", "tuyển dụng", "giải thưởng", "báo cáo", "tổng kết",
	"bilan", "actualité", "rapport"}

// newsLike reports whether an item with no vulnerability data reads as
// news: a news word in a title that names no flaw, or no sign of a
// vulnerability at all.
func newsLike(title, lower string) bool {
	switch {
	case vulnLiterals.in(title):
		return false // "Weekly Report: Jenkinsに複数の脆弱性" is about a flaw
	case newsLiterals.in(title):
		return true
	}
	return !vulnLiterals.in(lower)
}

var vulnLiterals, newsLiterals = newLiterals(vulnWords), newLiterals(newsWords)

// Resolve is the severity an alert gets: the text's own, else the source's
// default, else unknown.
func (c Classification) Resolve(def store.Severity) store.Severity {
	if c.Severity.Normal() != store.SeverityUnknown {
		return c.Severity
	}
	return def.Normal()
}

// scoreSeverity maps a CVSS base score to the CVSS v3 qualitative rating.
func scoreSeverity(score float64) store.Severity {
	switch {
	case score >= 9.0:
		return store.SeverityCritical
	case score >= 7.0:
		return store.SeverityHigh
	case score >= 4.0:
		return store.SeverityMedium
	case score > 0:
		return store.SeverityLow
	}
	return store.SeverityUnknown
}

// ---- CVSS ----

// cvssScore returns the highest CVSS base score written as a number after
// "CVSS" or "base score" ("CVSS 9.8", "CVSS v3.1: 9,8", "điểm CVSS 9,8",
// "CVSS từ 5,3 đến 9,8", "CVSS 7.5/10") or just before it ("9,8 điểm
// CVSS"), else the highest score computed from CVSS v3 vectors, else 0.
func cvssScore(lower, text string) float64 {
	best := 0.0
	for _, anchor := range []string{"cvss", "base score"} {
		for from := 0; ; {
			i := strings.Index(lower[from:], anchor)
			if i < 0 {
				break
			}
			i += from
			from = i + len(anchor)
			if s, ok := scoreAfter(lower[from:]); ok && s > best {
				best = s
			}
			if s, ok := scoreBefore(lower[:i]); ok && s > best {
				best = s
			}
		}
	}
	if best > 0 {
		return best
	}
	for _, m := range cvss3VectorRe.FindAllStringSubmatch(text, -1) {
		if s, ok := cvss3Score(m[1:]); ok && s > best {
			best = s
		}
	}
	return best
}

// scoreBefore reads a score written just before the anchor: "9,8 điểm
// CVSS", "9.8 CVSS score".
func scoreBefore(before string) (float64, bool) {
	w := strings.TrimRight(before, " ")
	w = strings.TrimSuffix(w, "điểm")
	w = strings.TrimRight(w, " (")
	j := len(w)
	i := j
	for i > 0 && (isDigit(w[i-1]) || w[i-1] == '.' || w[i-1] == ',') {
		i--
	}
	if i < j && !isDigit(w[i]) {
		i++ // "…, 9.8": the comma belongs to the sentence
	}
	if i == j || i > 0 && (isLetter(w[i-1]) || w[i-1] == '/' || w[i-1] == '-') {
		return 0, false
	}
	return parseScore(w[i:j])
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseScore reads "9.8", "9,8" or "10" as a score.
func parseScore(num string) (float64, bool) {
	intPart, frac, hasFrac := strings.Cut(strings.Replace(num, ",", ".", 1), ".")
	if len(intPart) == 0 || len(intPart) > 2 || len(frac) > 1 || hasFrac && frac == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(intPart+"."+cmp.Or(frac, "0"), 64)
	if err != nil || v <= 0 || v > 10 || (frac == "" && v != 10) {
		return 0, false
	}
	return v, true
}

// rangeWords join the ends of a range of scores ("5.3 to 9.8", "từ 5,3
// đến 9,8"): the highest one counts.
var rangeWords = []string{"-", "–", "to", "đến", "tới", "and", "và", "~"}

// scoreAfter reads the score in the short stretch of text after an anchor,
// skipping version numbers ("v3.1", "CVSS 3.1 base score 9.8"), reading
// "7.5/10" as 7.5 and a range as its highest end.
func scoreAfter(rest string) (float64, bool) {
	if len(rest) > 0 && (rest[0] == ':' || isDigit(rest[0])) && looksVector(rest) {
		return 0, false // "CVSS:3.1/AV:N/…": a vector, read separately
	}
	w := rest[:min(len(rest), 60)]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == '\n' || c == '|' || c == ';' || c == ')' ||
			c == '.' && !(i > 0 && isDigit(w[i-1]) && i+1 < len(w) && isDigit(w[i+1])) {
			w = w[:i]
			break
		}
	}
	first := true
	best, found := 0.0, false
	lastEnd := -1
	for i := 0; i < len(w); {
		if !isDigit(w[i]) {
			i++
			continue
		}
		j := i
		for j < len(w) && isDigit(w[j]) {
			j++
		}
		intPart := w[i:j]
		frac := ""
		if j+1 < len(w) && (w[j] == '.' || w[j] == ',') && isDigit(w[j+1]) {
			k := j + 1
			for k < len(w) && isDigit(w[k]) {
				k++
			}
			frac, j = w[j+1:k], k
		}
		num := w[i:j]
		outOfTen := strings.HasPrefix(w[j:], "/10") && (len(w) == j+3 || !isDigit(w[j+3]))
		versionLike := i > 0 && w[i-1] == 'v' ||
			j < len(w) && w[j] == '/' && !outOfTen ||
			j+1 < len(w) && w[j] == '.' && isDigit(w[j+1]) ||
			first && strings.Trim(w[:i], " :-–") == "" && isVersion(num) && hasDigitAfter(w[j:])
		first = false
		start := i
		i = j
		if outOfTen {
			i = j + 3
		}
		if versionLike || len(intPart) > 2 || len(frac) > 1 {
			continue
		}
		v, ok := parseScore(num)
		if !ok {
			continue
		}
		if found {
			// A second score counts only as the other end of a range.
			between := strings.TrimSpace(w[lastEnd:start])
			if !slices.Contains(rangeWords, between) {
				break
			}
		}
		best, found, lastEnd = max(best, v), true, i
	}
	return best, found
}

func looksVector(s string) bool {
	s = strings.TrimPrefix(s, ":")
	return len(s) >= 4 && isDigit(s[0]) && s[1] == '.' && isDigit(s[2]) && s[3] == '/'
}

func isVersion(num string) bool {
	switch num {
	case "2", "3", "4", "2.0", "3.0", "3.1", "4.0", "3,0", "3,1", "4,0", "2,0":
		return true
	}
	return false
}

func hasDigitAfter(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// cvss3VectorRe matches a CVSS v3.x base vector, with or without its
// "CVSS:3.1/" prefix; the S: metric tells it from v2 and v4 vectors.
var cvss3VectorRe = regexp.MustCompile(`AV:([NALP])/AC:([LH])/PR:([NLH])/UI:([NR])/S:([UC])/C:([NLH])/I:([NLH])/A:([NLH])`)

// cvss3Score computes a CVSS v3.1 base score from the eight base metrics
// (AV, AC, PR, UI, S, C, I, A), following the formula of the CVSS v3.1
// specification §7.1 and its Roundup of Appendix A. v3.0 differs only in
// rounding, by at most 0.1.
func cvss3Score(m []string) (float64, bool) {
	if len(m) != 8 {
		return 0, false
	}
	av := map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[m[0]]
	ac := map[string]float64{"L": 0.77, "H": 0.44}[m[1]]
	changed := m[4] == "C"
	var pr float64
	switch m[2] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if changed {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if changed {
			pr = 0.5
		}
	}
	ui := map[string]float64{"N": 0.85, "R": 0.62}[m[3]]
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	c, i, a := cia[m[5]], cia[m[6]], cia[m[7]]
	if av == 0 || ac == 0 || pr == 0 || ui == 0 {
		return 0, false
	}
	iss := 1 - (1-c)*(1-i)*(1-a)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0, true
	}
	exploitability := 8.22 * av * ac * pr * ui
	if changed {
		return roundUp(math.Min(1.08*(impact+exploitability), 10)), true
	}
	return roundUp(math.Min(impact+exploitability, 10)), true
}

// roundUp is CVSS v3.1's Roundup: the smallest one-decimal number not less
// than x, computed on integers to avoid floating-point surprises.
func roundUp(x float64) float64 {
	n := math.Round(x * 100000)
	if math.Mod(n, 10000) == 0 {
		return n / 100000
	}
	return (math.Floor(n/10000) + 1) / 10
}

// ---- severity words ----

// Word boundaries that understand Vietnamese letters (RE2's \b is ASCII).
const (
	wb  = `(?:^|[^\p{L}\p{N}])`
	wbE = `(?:[^\p{L}\p{N}]|$)`
	lvl = `(critical|high|important|moderate|medium|low|nghiêm trọng|rất cao|cao|trung bình|thấp)`
)

var (
	// A labelled level: "Severity: High", "Mức độ nghiêm trọng: Cao",
	// "mức độ cao", "nguy cơ cao". Bare "cao" or "thấp" are never read on
	// their own: they are parts of many unrelated words ("nâng cao").
	labelRe = regexp.MustCompile(wb + `(?:(?:cvss |base |aggregate |max(?:imum)? |security impact |impact )?severity(?: rating| level)?|(?:security )?impact rating|mức độ(?: nghiêm trọng| ảnh hưởng| nguy hiểm| rủi ro| cảnh báo)?|mức (?:nguy hiểm|cảnh báo|ảnh hưởng|rủi ro)|(?:ảnh hưởng|nguy hiểm|đánh giá|xếp hạng|xếp)(?: ở)? mức(?: độ)?|độ nghiêm trọng|cấp độ(?: nguy hiểm| cảnh báo)?|nguy cơ|rủi ro)\s*(?:[:：=–-]\s*)?` + lvl + wbE)
	// English phrases: "critical vulnerability", "high-severity",
	// "important security update", "rated Critical". Bare "critical" is
	// not read: "critical infrastructure" is in every CISA ICS advisory.
	englishRe = regexp.MustCompile(wb + `(critical|high|important|moderate|medium|low)(?:[- ](?:severity|priority|rated)|\s+(?:vulnerability|vulnerabilities|flaws?|bugs?|security (?:updates?|advisory|advisories|flaws?|issues?|vulnerability|vulnerabilities|holes?)|remote code execution|rce|zero-day|0-day))` + wbE)
	ratedRe   = regexp.MustCompile(wb + `(?:rated|rates|classified|scored)(?:\s+(?:as|it|this|them|these|the|update|updates|vulnerability|vulnerabilities|flaw|issue)){0,3}\s+(critical|high|important|moderate|medium|low)` + wbE)
	// Vietnamese phrases for a critical flaw.
	vnCriticalRe = regexp.MustCompile(wb + `(?:lỗ hổng(?: bảo mật| an toàn thông tin| an ninh)?|điểm yếu|cực kỳ|đặc biệt|rất)\s+nghiêm trọng` + wbE)
	vnSeriousRe  = regexp.MustCompile(wb + `(?:(không|ít|chưa|kém)\s+)?nghiêm trọng` + wbE)
)

func levelWord(w string) store.Severity {
	switch w {
	case "critical", "nghiêm trọng":
		return store.SeverityCritical
	case "high", "important", "cao", "rất cao":
		return store.SeverityHigh
	case "moderate", "medium", "trung bình":
		return store.SeverityMedium
	case "low", "thấp":
		return store.SeverityLow
	}
	return store.SeverityUnknown
}

// wordSeverity is the highest severity named by a severity phrase; "nghiêm
// trọng" alone counts in a title ("Cảnh báo lỗ hổng nghiêm trọng…") but
// not in a body, where it also means merely "serious".
func wordSeverity(title, lower string, near *[anchorGroups][][2]int) store.Severity {
	sev := store.SeverityUnknown
	for g, p := range severityPatterns {
		for _, r := range near[g] {
			for _, m := range p.re.FindAllStringSubmatch(lower[r[0]:r[1]], -1) {
				if len(m) > 1 {
					sev = sev.Max(levelWord(m[1]))
				} else {
					sev = store.SeverityCritical
				}
			}
		}
	}
	if !strings.Contains(title, "nghiêm trọng") {
		return sev // what every match of vnSeriousRe contains
	}
	for _, m := range vnSeriousRe.FindAllStringSubmatch(title, -1) {
		if m[1] == "" {
			sev = store.SeverityCritical
		}
	}
	return sev
}

// severityPatterns pairs each pattern with the literals every match
// contains (anchors) and how far a match reaches around them.
var severityPatterns = []struct {
	re        *regexp.Regexp
	anchors   []string
	back, fwd int
}{
	{labelRe, []string{"severity", "impact rating", "mức", "độ nghiêm trọng", "cấp độ", "nguy cơ", "rủi ro"}, 40, 60},
	{englishRe, []string{"critical", "high", "important", "moderate", "medium", "low"}, 0, 60},
	{ratedRe, []string{"rated", "rates", "classified", "scored"}, 0, 80},
	{vnCriticalRe, []string{"nghiêm trọng"}, 50, 16},
}

// anchorGroups are the groups of anchors of the patterns run on stretches
// of text only: severityPatterns, then exploitedRe.
const anchorGroups = 5

// anchorLiterals are the anchors of every group, and anchorGroup the
// group of each.
var anchorLiterals, anchorGroup = func() (*literals, []int) {
	var lits []string
	var group []int
	for g, p := range severityPatterns {
		for _, a := range p.anchors {
			lits, group = append(lits, a), append(group, g)
		}
	}
	for _, a := range exploitAnchors {
		lits, group = append(lits, a), append(group, len(severityPatterns))
	}
	return newLiterals(lits), group
}()

// anchorReach is how far a match reaches before and after an anchor of
// each group.
var anchorReach = func() (r [anchorGroups][2]int) {
	for g, p := range severityPatterns {
		r[g] = [2]int{p.back, p.fwd}
	}
	r[len(severityPatterns)] = [2]int{48, 48}
	return r
}()

// near returns, for each group, the stretches of lower around each
// occurrence of an anchor, back bytes before and fwd bytes after it,
// widened to whole words and merged where they overlap. Regular
// expressions run on these stretches only: RE2 with Unicode classes scans
// about 1 MB/s, too slow for every byte of every advisory, and anchors are
// rare. One pass over the text finds the anchors of every group.
func near(lower string) *[anchorGroups][][2]int {
	var out [anchorGroups][][2]int
	anchorLiterals.each(lower, func(lit, at int) {
		g := anchorGroup[lit]
		out[g] = append(out[g], widen(lower, at-anchorReach[g][0], at+len(anchorLiterals.lits[lit])+anchorReach[g][1]))
	})
	for g, rs := range out {
		out[g] = mergeRanges(rs)
	}
	return &out
}

// mergeRanges sorts ranges and merges those that overlap.
func mergeRanges(rs [][2]int) [][2]int {
	if len(rs) < 2 {
		return rs
	}
	slices.SortFunc(rs, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r[0] <= last[1] {
			last[1] = max(last[1], r[1])
		} else {
			out = append(out, r)
		}
	}
	return out
}

// widen clamps [start, end) to s and moves both ends outwards to word
// boundaries, keeping one boundary character on each side so that the
// patterns' own word-boundary checks see it.
func widen(s string, start, end int) [2]int {
	start, end = max(start, 0), min(end, len(s))
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:start])
		start -= n
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
	}
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end++
	}
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		end += n
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
	}
	return [2]int{start, end}
}

// ---- exploitation ----

// exploitedRe lists the ways advisories say a flaw is exploited. Each match
// is then checked for a negation that governs it and for a condition
// ("could be exploited in the wild" is a possibility, not a report).
var exploitedRe = regexp.MustCompile(wb + `(?:actively exploited|exploited in[ -]the[ -]wild|exploitation in the wild|in-the-wild exploitation|in the wild|active exploitation|actively being exploited|being actively exploited|exploitation detected|known to be exploited|(?:is|are) being exploited|ha(?:s|ve) been exploited|under active attack|(?:actively|being) targeted|(?:global|ongoing|widespread|active|mass) targeting|(?:active|ongoing|widespread|mass) exploitation|đang bị khai thác|đã bị khai thác|bị khai thác (?:trong thực tế|tích cực)|đang được khai thác|đã được khai thác|(?:đang )?tích cực khai thác|(?:đang|đã) khai thác (?:lỗ hổng|điểm yếu)|bị (?:tin tặc|kẻ tấn công|các nhóm tấn công|tội phạm mạng|hacker) (?:khai thác|lợi dụng)|ghi nhận (?:các |nhiều )?(?:hoạt động |việc |cuộc |vụ )?(?:tấn công )?khai thác|khai thác (?:trong thực tế|tích cực))` + wbE)

// exploitAnchors are literals every exploitedRe match contains.
var exploitAnchors = []string{"exploit", "khai thác", "under active attack", "in the wild", "targeted", "targeting", "lợi dụng"}

// exploitedLiterals are strings of which every match of exploitedRe
// contains one.
var exploitedLiterals = newLiterals([]string{"exploited", "exploitation", "in the wild", "under active attack",
	"targeted", "targeting", "khai thác", "lợi dụng"})

// English words that negate an exploitation phrase later in their clause
// ("CISA is not aware of active exploitation", "no evidence … exploited").
var negations = []string{"not", "no", "n't", "never", "unlikely", "nor", "without"}

// conditionals make an exploitation phrase a possibility ("could be
// exploited in the wild", "if actively exploited"), unless a perfect
// follows ("may have been actively exploited" is Apple's report of
// exploitation).
var conditionals = []string{"could", "can", "may", "might", "would", "should", "if", "potentially", "possibly", "nếu", "thể", "khả"}

// viNegations are Vietnamese negations; they govern an exploitation phrase
// only when the next word is a verb of reporting or being ("chưa ghi
// nhận", "không bị", "không có bằng chứng"), never in "không gian",
// "không dây", "hàng không" or "chưa có bản vá".
var viNegations = []string{"không", "chưa", "chẳng"}

var viNegated = []string{"ghi", "bị", "được", "phát", "thấy", "khai", "nhận", "hề", "từng", "xác", "rõ", "lợi"}

var viNegatedHave = []string{"bằng", "dấu", "thông", "ghi", "báo", "tin", "hiện", "căn", "cơ"}

// clauseBreaks end a clause for the negation and condition checks.
var clauseBreaks = []string{" and ", " but ", " however ", " và ", " nhưng ", " tuy nhiên ", " while ", " whereas ", " trong khi "}

func exploited(lower string, near *[anchorGroups][][2]int) bool {
	for _, r := range near[len(severityPatterns)] {
		if !exploitedLiterals.in(lower[r[0]:r[1]]) {
			continue // no match of exploitedRe here
		}
		for _, loc := range exploitedRe.FindAllStringIndex(lower[r[0]:r[1]], -1) {
			at := r[0] + loc[0]
			phrase := wordsOf(lower[at : r[0]+loc[1]])
			if !negated(clauseBefore(lower, at), phrase) {
				return true
			}
		}
	}
	return false
}

// clauseBefore is the part of the clause before byte at: at most 80 bytes,
// cut after the last punctuation mark or conjunction.
func clauseBefore(lower string, at int) string {
	from := max(0, at-80)
	for from > 0 && !utf8.RuneStart(lower[from]) {
		from++
	}
	clause := lower[from:at]
	if i := strings.LastIndexAny(clause, ".,;:\n!?()"); i >= 0 {
		clause = clause[i+1:]
	}
	for _, b := range clauseBreaks {
		if i := strings.LastIndex(clause, b); i >= 0 {
			clause = clause[i+len(b)-1:]
		}
	}
	return clause
}

// negated reports whether the clause before an exploitation phrase negates
// it or makes it a mere possibility.
func negated(clause string, phrase []string) bool {
	ws := wordsOf(clause)
	if len(phrase) > 0 {
		ws = append(ws, phrase[0]) // "không | bị khai thác"
	}
	for i, w := range ws {
		if slices.Contains(negations, w) || strings.HasSuffix(w, "n't") {
			return true
		}
		if slices.Contains(viNegations, w) {
			if i+1 == len(ws) {
				continue
			}
			next := ws[i+1]
			if slices.Contains(viNegated, next) || next == "có" && i+2 < len(ws) && slices.Contains(viNegatedHave, ws[i+2]) {
				return true
			}
		}
	}
	// A condition counts only close to the phrase (five words).
	if len(phrase) > 0 {
		ws = ws[:len(ws)-1]
	}
	for i := max(0, len(ws)-5); i < len(ws); i++ {
		if !slices.Contains(conditionals, ws[i]) {
			continue
		}
		if ws[i] == "thể" && (i == 0 || ws[i-1] != "có") || ws[i] == "khả" && (i == 0 || ws[i-1] != "có") {
			continue
		}
		if i+1 < len(ws) && (ws[i+1] == "have" || ws[i+1] == "has" || ws[i+1] == "had" || ws[i+1] == "đã") {
			continue // "may have been exploited": a report, not a condition
		}
		return true
	}
	return strings.Contains(clause, "n't ")
}

// wordsOf splits lower-case text into words for the negation check.
func wordsOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// ---- CVE ids ----

// FindCVEs returns every CVE id in text ("CVE-2024-3400", also "cve-…",
// inside full-width parentheses as JPCERT writes them, or with typographic
// hyphens), upper-cased, deduplicated and sorted by year and number.
func FindCVEs(text string) []string {
	var ids []string
	for i := 0; i+3 < len(text); i++ {
		if text[i]|0x20 != 'c' || text[i+1]|0x20 != 'v' || text[i+2]|0x20 != 'e' {
			continue
		}
		j := i + 3
		year, j, ok := cveNumber(text, j, 4, 4)
		if !ok {
			continue
		}
		num, end, ok := cveNumber(text, j, 4, 7)
		if !ok {
			continue
		}
		if id := "CVE-" + year + "-" + num; !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		i = end - 1
	}
	slices.SortFunc(ids, compareCVE)
	return ids
}

// cveNumber reads a hyphen (ASCII, Unicode or full-width) and then minD to
// maxD digits not followed by another digit.
func cveNumber(s string, i, minD, maxD int) (string, int, bool) {
	r, n := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '-', '‐', '‑', '–', '－':
	default:
		return "", i, false
	}
	i += n
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if d := j - i; d < minD || d > maxD {
		return "", i, false
	}
	return s[i:j], j, true
}

func compareCVE(a, b string) int {
	ay, an, _ := strings.Cut(a[4:], "-")
	by, bn, _ := strings.Cut(b[4:], "-")
	if c := cmp.Compare(ay, by); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(len(an), len(bn)), cmp.Compare(an, bn))
}

// ---- vendors ----

// vendorNames are the vendors and products agencies filter on. A name
// marked strict is also a common word ("Windows", "Exchange", "Outlook"),
// so it matches only as written or in capitals, never in lower case.
var vendorNames = []struct {
	name   string
	canon  string
	strict bool
}{
	{"Microsoft", "", false}, {"Windows", "", true}, {"Exchange", "", true},
	{"SharePoint", "", false}, {"Outlook", "", true}, {"Azure", "", false},
	{"Microsoft Edge", "Edge", false}, {"Microsoft Office", "Office", false},
	{"Hyper-V", "", false}, {"Active Directory", "", true},
	{"Cisco", "", false}, {"IOS XE", "", true}, {"Fortinet", "", false},
	{"FortiOS", "", false}, {"FortiGate", "", false}, {"FortiWeb", "", false},
	{"FortiManager", "", false}, {"FortiProxy", "", false}, {"FortiClient", "", false},
	{"FortiSIEM", "", false}, {"Ivanti", "", false}, {"Pulse Secure", "", false},
	{"Citrix", "", false}, {"NetScaler", "", false}, {"VMware", "", false},
	{"ESXi", "", false}, {"vCenter", "", false}, {"Apple", "", true},
	{"iOS", "", true}, {"iPadOS", "", false}, {"macOS", "", false}, {"Safari", "", true},
	{"Google", "", false}, {"Chrome", "", true}, {"Chromium", "", false},
	{"Android", "", false}, {"Oracle", "", true}, {"WebLogic", "", false},
	{"SAP", "", true}, {"NetWeaver", "", false}, {"Adobe", "", false},
	{"Acrobat", "", false}, {"Linux", "", false}, {"Palo Alto Networks", "", false},
	{"Palo Alto", "Palo Alto Networks", false}, {"PAN-OS", "", false},
	{"GlobalProtect", "", false}, {"Juniper", "", false}, {"Junos", "", false},
	{"F5", "", true}, {"BIG-IP", "", false}, {"Atlassian", "", false},
	{"Confluence", "", true}, {"Jira", "", false}, {"Jenkins", "", false},
	{"Apache", "", false}, {"Tomcat", "", false}, {"Struts", "", false},
	{"Log4j", "", false}, {"WordPress", "", false}, {"Zimbra", "", false},
	{"SonicWall", "", false}, {"Veeam", "", false},
	{"Progress Software", "Progress", false}, {"Progress Telerik", "Progress", false},
	{"Telerik", "", false}, {"MOVEit", "", false}, {"WS_FTP", "", false},
	{"Mozilla", "", false}, {"Firefox", "", false}, {"Thunderbird", "", false},
	{"Samsung", "", false}, {"Qualcomm", "", false}, {"Siemens", "", false},
	{"Schneider Electric", "", false}, {"Rockwell Automation", "", false},
	{"Mitsubishi Electric", "", false}, {"Honeywell", "", false}, {"ABB", "", true},
	{"GitLab", "", false}, {"GitHub", "", false}, {"Docker", "", false},
	{"Kubernetes", "", false}, {"OpenSSL", "", false}, {"OpenSSH", "", false},
	{"nginx", "", false}, {"PHP", "", true}, {"Drupal", "", false}, {"Joomla", "", false},
	{"Zoho", "", false}, {"ManageEngine", "", false}, {"SolarWinds", "", false},
	{"Check Point", "", true}, {"Sophos", "", false}, {"Trend Micro", "", false},
	{"Zyxel", "", false}, {"D-Link", "", false}, {"TP-Link", "", false},
	{"NETGEAR", "", false}, {"QNAP", "", false}, {"Synology", "", false},
	{"Hikvision", "", false}, {"Dahua", "", false}, {"Huawei", "", false},
	{"ZTE", "", true}, {"Kaspersky", "", false}, {"ESET", "", true},
	{"Dell", "", true}, {"Lenovo", "", false}, {"IBM", "", true}, {"Red Hat", "", false},
	{"Ubuntu", "", false}, {"Debian", "", false}, {"Barracuda", "", false},
	{"CrushFTP", "", false}, {"SysAid", "", false}, {"BeyondTrust", "", false},
	{"ConnectWise", "", false}, {"ScreenConnect", "", false}, {"Kaseya", "", false},
	{"Zabbix", "", false}, {"Roundcube", "", false}, {"WinRAR", "", false},
	{"7-Zip", "", false}, {"Commvault", "", false}, {"Broadcom", "", false},
	{"Mattermost", "", false}, {"Mitel", "", false}, {"DrayTek", "", false},
	{"Exim", "", false}, {"Sitecore", "", false}, {"Fortra", "", false},
	{"GoAnywhere", "", false}, {"Grafana", "", false}, {"Splunk", "", false},
	{"Nextcloud", "", false}, {"Moodle", "", false}, {"Magento", "", false},
	{"Spring Framework", "Spring", false}, {"Spring Core", "Spring", false},
	{"Spring Boot", "Spring", false}, {"PaperCut", "", false}, {"WatchGuard", "", false},
	{"Bkav", "", false}, {"Viettel", "", false}, {"VNPT", "", true}, {"MISA", "", true},
	// Seen missing in real feeds.
	{"Ceph", "", false}, {"SPIP", "", true}, {"TYPO3", "", false}, {"Apereo", "", false},
	{"Apereo CAS", "CAS", false}, {"BIND", "", true}, {"BIND 9", "BIND", true}, {"ISC", "", true},
	{"React", "", true}, {"React Server Components", "React", false}, {"Meta", "", true},
	{"Array Networks", "", false}, {"ArrayOS", "", false}, {"FileZen", "", false}, {"Soliton", "", false},
	{"LANSCOPE", "", false}, {"MOTEX", "", true}, {"LG Electronics", "", false}, {"LG", "LG Electronics", true},
	{"Contiki-NG", "", false}, {"Applied Systems Engineering", "", false},
	{"MS Office", "Office", false}, {"MS Windows", "Windows", false}, {"MS Exchange", "Exchange", false},
	{"MS SQL", "SQL Server", false}, {"SQL Server", "", true}, {"Microsoft SQL Server", "SQL Server", false},
	{"Kalkitech", "", false}, {"Xen", "", true}, {"Node.js", "", false}, {"Python", "", true},
	{"Elastic", "", true}, {"Elasticsearch", "", false}, {"Kibana", "", false}, {"HPE", "", true},
	{"Aruba", "", false}, {"Synacor", "", false}, {"Gitea", "", false}, {"Wazuh", "", false},
	{"Erlang", "", false}, {"Trimble", "", false}, {"Skyvia", "", false}, {"OpenVPN", "", false},
	{"Qt", "", true}, {"Citrix Bleed", "NetScaler", false}, {"Nagios", "", false}, {"Icinga", "", false},
	{"Ruby on Rails", "Rails", false}, {"NVIDIA", "", false}, {"Intel", "", true}, {"AMD", "", true},
	{"Tenable", "", false}, {"Wireshark", "", false}, {"Samba", "", false}, {"PostgreSQL", "", false},
	{"MySQL", "", false}, {"MariaDB", "", false}, {"Redis", "", false}, {"MongoDB", "", false},
	{"Spring Cloud", "Spring", false}, {"SpEL", "Spring", true}, {"Tridium", "", false}, {"Niagara", "", true},
	{"Moxa", "", false}, {"Phoenix Contact", "", false}, {"Delta Electronics", "", false}, {"Hitachi Energy", "", false},
	{"SUSE", "", true}, {"Axis", "", true}, {"NEC", "", true}, {"CLUSTERPRO", "", false},
	{"EXPRESSCLUSTER", "", false}, {"SS1", "", true}, {"ColdFusion", "", false}, {"Firebox", "", false},
	{"Yokogawa", "", false}, {"Omron", "", false}, {"Festo", "", false}, {"Advantech", "", false},
}

// productOf names the vendor of a product, so that a filter on the vendor
// also catches an item that names only the product.
var productOf = map[string]string{
	"Windows": "Microsoft", "Exchange": "Microsoft", "SharePoint": "Microsoft", "Outlook": "Microsoft", "Azure": "Microsoft",
	"Edge": "Microsoft", "Office": "Microsoft", "Hyper-V": "Microsoft", "SQL Server": "Microsoft",
	"IOS XE": "Cisco", "FortiOS": "Fortinet", "FortiGate": "Fortinet", "FortiWeb": "Fortinet", "FortiManager": "Fortinet",
	"FortiProxy": "Fortinet", "FortiClient": "Fortinet", "FortiSIEM": "Fortinet", "NetScaler": "Citrix",
	"ESXi": "VMware", "vCenter": "VMware", "iOS": "Apple", "iPadOS": "Apple", "macOS": "Apple", "Safari": "Apple",
	"Chrome": "Google", "Android": "Google", "WebLogic": "Oracle", "NetWeaver": "SAP", "Acrobat": "Adobe",
	"PAN-OS": "Palo Alto Networks", "GlobalProtect": "Palo Alto Networks", "Junos": "Juniper", "BIG-IP": "F5",
	"Confluence": "Atlassian", "Jira": "Atlassian", "Tomcat": "Apache", "Struts": "Apache", "Log4j": "Apache",
	"MOVEit": "Progress", "WS_FTP": "Progress", "Telerik": "Progress", "Firefox": "Mozilla", "Thunderbird": "Mozilla",
	"ManageEngine": "Zoho", "ScreenConnect": "ConnectWise", "GoAnywhere": "Fortra", "CAS": "Apereo", "BIND": "ISC",
	"React": "Meta", "ArrayOS": "Array Networks", "FileZen": "Soliton", "LANSCOPE": "MOTEX",
	"CLUSTERPRO": "NEC", "EXPRESSCLUSTER": "NEC", "ColdFusion": "Adobe", "Firebox": "WatchGuard",
	"Elasticsearch": "Elastic", "Kibana": "Elastic", "Niagara": "Tridium",
}

type vendorEntry struct {
	parent string   // the vendor of a product
	words  []string // lower case
	exact  []string // as written, for strict names
	upper  []string // in capitals, for strict names
	canon  string
	strict bool
}

// vendorTable finds vendor names in texts.
type vendorTable struct {
	// byFirst maps a lower-case first word to the names starting with it.
	byFirst map[string][]vendorEntry
	// firsts has a bit for the length, first and last byte of each first
	// word (see firstKey): most words of a text start no name, and cost
	// no map lookup.
	firsts [firstKeys / 64]uint64
	// names are the names appendVendor makes of every canonical name and
	// parent vendor, and of those names.
	names map[string]string
	// aliasStarts are the first bytes of the scriptAliases.
	aliasStarts []byte
}

const firstKeys = 4096

// firstKey hashes the length and the first and last byte, in lower case,
// of a word of ASCII letters.
func firstKey(w string) uint {
	return (uint(w[0]|0x20)*37 + uint(w[len(w)-1]|0x20)*29 + uint(len(w))) % firstKeys
}

// vendorIndex is built once, from vendorNames.
var vendorIndex = sync.OnceValue(func() *vendorTable {
	t := &vendorTable{byFirst: map[string][]vendorEntry{}, names: map[string]string{}}
	for _, v := range vendorNames {
		exact := splitWords(v.name)
		e := vendorEntry{exact: exact, canon: cmp.Or(v.canon, v.name), strict: v.strict, parent: productOf[cmp.Or(v.canon, v.name)]}
		for _, w := range exact {
			e.words = append(e.words, strings.ToLower(w))
			e.upper = append(e.upper, strings.ToUpper(w))
		}
		t.byFirst[e.words[0]] = append(t.byFirst[e.words[0]], e)
		k := firstKey(e.words[0])
		t.firsts[k/64] |= 1 << (k % 64)
	}
	for _, es := range t.byFirst {
		for _, e := range es {
			t.names[e.canon] = t.vendorName(e.canon)
			t.names[e.parent] = t.vendorName(e.parent)
		}
	}
	for _, a := range scriptAliases {
		t.names[a.canon] = t.vendorName(a.canon)
		if !bytes.Contains(t.aliasStarts, []byte{a.name[0]}) {
			t.aliasStarts = append(t.aliasStarts, a.name[0])
		}
	}
	// The names made are given to appendVendor again (normaliseItem).
	for _, n := range slices.Collect(maps.Values(t.names)) {
		t.names[n] = t.vendorName(n)
	}
	return t
})

// mayStart reports whether a word may be the first word of a name; a word
// it refuses is none.
func (t *vendorTable) mayStart(w string) bool {
	k := firstKey(w)
	return t.firsts[k/64]&(1<<(k%64)) != 0
}

// wordRune is a rune inside a word. CJK characters are not: Japanese writes
// "Ivantiの脆弱性" with no space, and "Ivanti" is still a word there.
func wordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return wordByte[r]
	}
	if r < firstCJK {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	if 0x3041 <= r && r <= 0x3096 || 0x30a1 <= r && r <= 0x30fa || 0x4e00 <= r && r <= 0x9fff {
		return false // kana and the common ideographs: checked by TestWordRune
	}
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// firstCJK is the first character of the scripts written without spaces
// between words (Hangul jamo, U+1100).
const firstCJK = 0x1100

// wordByte is wordRune of the ASCII characters.
var wordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	return t
}()

func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !wordRune(r) })
}

// FindVendors returns the well-known vendors and products named in text as
// whole words, in canonical spelling, deduplicated, in order of mention; a
// product brings its vendor ("FortiOS" also gives "Fortinet").
func FindVendors(text string) []string {
	var out []string
	for _, m := range vendorMentions(text) {
		out = appendMention(out, m)
	}
	return out
}

func appendMention(out []string, m vendorMention) []string {
	names := vendorIndex().names
	if m.parent != "" {
		out = appendName(out, names[m.parent])
	}
	return appendName(out, names[m.canon])
}

// vendorMention is one vendor or product name found in a text.
type vendorMention struct {
	canon, parent string
	start, end    int
}

// componentWords, shortly before or after a vendor's name in a body, mark
// it as a component bundled in the product the item is about ("ASE2000 …
// is vulnerable to Apache log4net", "the bundled log4net library").
var componentWords = []string{"vulnerable to", "bundled", "library", "libraries", "component", "third-party", "third party",
	"dependency", "dependencies", "thư viện", "thành phần", "based on", "embedded"}

// findVendorsTitleFirst lists the vendors of an item: those of its title
// first, then those of its body; when the title names one, a body vendor
// named only as a component is left out. text starts with title.
func findVendorsTitleFirst(title, text, lower string) []string {
	var out []string
	body := vendorMentions(text)
	for _, m := range body {
		if m.end <= len(title) {
			out = appendMention(out, m)
		}
	}
	titled := len(out) > 0
	var component map[string]bool
	if titled && len(lower) == len(text) {
		component = map[string]bool{}
		for _, m := range body {
			if m.start < len(title) {
				continue
			}
			before, after := lower[max(0, m.start-40):m.start], lower[m.end:min(len(lower), m.end+30)]
			if i := strings.LastIndexAny(before, ".;\n"); i >= 0 {
				before = before[i+1:]
			}
			if i := strings.IndexAny(after, ".;\n"); i >= 0 {
				after = after[:i]
			}
			comp := slices.ContainsFunc(componentWords, func(w string) bool {
				return strings.Contains(before, w) || strings.Contains(after, w)
			})
			if v, seen := component[m.canon]; !seen || v {
				component[m.canon] = comp
			}
		}
	}
	for _, m := range body {
		if !component[m.canon] {
			out = appendMention(out, m)
		}
	}
	return out
}

// vendorMentions finds the vendor and product names of text.
func vendorMentions(text string) []vendorMention {
	idx := vendorIndex()
	var out []vendorMention
	var buf [28]byte
	for start, end := nextWord(text, 0); start < end; start, end = nextWord(text, end) {
		word := text[start:end]
		if len(word) > len(buf) || !idx.mayStart(word) {
			continue // longer than any vendor name, or starting none
		}
		// Vendor names are ASCII: look the word up in lower case
		// without allocating.
		n, ascii := 0, true
		for k := 0; k < len(word); k++ {
			c := word[k]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
			n++
		}
		if !ascii {
			continue
		}
		for _, e := range idx.byFirst[string(buf[:n])] {
			if last, ok := e.matchesAt(text, start, end); ok {
				out = append(out, vendorMention{canon: e.canon, parent: e.parent, start: start, end: last})
			}
		}
	}
	// Names in other scripts (Japanese sources write マイクロソフト):
	// the first mention of each.
	if slices.ContainsFunc(idx.aliasStarts, func(b byte) bool { return strings.IndexByte(text, b) >= 0 }) {
		var first [len(scriptAliases)]int
		aliasLiterals.each(text, func(lit, at int) {
			if first[lit] == 0 {
				first[lit] = at + 1
			}
		})
		for j, a := range scriptAliases {
			if i := first[j] - 1; i >= 0 {
				out = append(out, vendorMention{canon: a.canon, start: i, end: i + len(a.name)})
			}
		}
	}
	if len(out) > 1 {
		// By position, the longest name first where several start at
		// one word; a name inside a longer one ("IOS" in "IOS XE") goes.
		slices.SortStableFunc(out, func(a, b vendorMention) int {
			return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end))
		})
		kept, reach := out[:0], -1
		for _, m := range out {
			if m.end <= reach {
				continue
			}
			kept = append(kept, m)
			reach = m.end
		}
		out = kept
	}
	return out
}

// scriptAliases are vendor names written in another script.
var scriptAliases = [...]struct{ name, canon string }{
	{"マイクロソフト", "Microsoft"}, {"アップル", "Apple"}, {"グーグル", "Google"}, {"シスコ", "Cisco"},
	{"フォーティネット", "Fortinet"}, {"アドビ", "Adobe"}, {"オラクル", "Oracle"}, {"ヴイエムウェア", "VMware"},
	{"ソリトンシステムズ", "Soliton"}, {"エムオーテックス", "MOTEX"}, {"トレンドマイクロ", "Trend Micro"},
}

var aliasLiterals = func() *literals {
	var names []string
	for _, a := range scriptAliases {
		names = append(names, a.name)
	}
	return newLiterals(names)
}()

// nextWord returns the span of the first word of text at or after byte
// from, where a word is a run of wordRune characters; an empty span at the
// end of text when there is none.
func nextWord(text string, from int) (int, int) {
	start := -1
	for i := from; i < len(text); {
		c, n := text[i], 1
		in := false
		if c < utf8.RuneSelf {
			in = wordByte[c]
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(text[i:])
			in = wordRune(r)
		}
		switch {
		case in:
			if start < 0 {
				start = i
			}
		case start >= 0:
			return start, i
		}
		i += n
	}
	if start >= 0 {
		return start, len(text)
	}
	return len(text), len(text)
}

// matchesAt reports whether the name e starts with the word text[start:end],
// and where its last word ends in text.
func (e vendorEntry) matchesAt(text string, start, end int) (int, bool) {
	for k := range e.words {
		if k > 0 {
			if start, end = nextWord(text, end); start == end {
				return 0, false
			}
		}
		w := text[start:end]
		switch {
		case e.strict:
			if w != e.exact[k] && w != e.upper[k] {
				return 0, false
			}
		case !strings.EqualFold(w, e.words[k]):
			return 0, false
		}
	}
	return end, true
}

// appendVendor adds name unless it is already there in any case, using
// the canonical spelling when the name is a known vendor.
func appendVendor(list []string, name string) []string {
	t := vendorIndex()
	if n, ok := t.names[name]; ok {
		return appendName(list, n) // known: vendorName(name)
	}
	return appendName(list, t.vendorName(name))
}

// vendorName is name trimmed, in its canonical spelling when it is a known
// vendor.
func (t *vendorTable) vendorName(name string) string {
	name = strings.TrimSpace(name)
	if ws := splitWords(name); len(ws) > 0 {
		for _, e := range t.byFirst[strings.ToLower(ws[0])] {
			if len(e.words) == len(ws) && slices.EqualFunc(e.words, ws, strings.EqualFold) {
				return e.canon
			}
		}
	}
	return name
}

// appendName adds a vendorName unless it is already there in any case.
func appendName(list []string, name string) []string {
	if name == "" {
		return list
	}
	for _, v := range list {
		if strings.EqualFold(v, name) {
			return list
		}
	}
	return append(list, name)
}

// ---- KEV cross-reference ----

// Classifier remembers the CVE ids of the latest CISA KEV poll so that an
// alert from any other source about a catalogued CVE is known to be
// exploited, even when its own text does not say so. The zero value is
// ready to use and it is safe for concurrent use.
type Classifier struct {
	mu  sync.RWMutex
	kev map[string]map[string]struct{} // KEV source name → CVE ids
}

// SetKEV replaces the CVE ids known from one KEV source. The caller can
// seed it at start-up from stored alerts, so that sources polled before
// the catalogue are still cross-referenced.
func (c *Classifier) SetKEV(source string, cves []string) {
	set := make(map[string]struct{}, len(cves))
	for _, id := range cves {
		set[strings.ToUpper(id)] = struct{}{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kev == nil {
		c.kev = make(map[string]map[string]struct{})
	}
	c.kev[source] = set
}

// InKEV reports whether a CVE id is in a KEV catalogue seen so far.
func (c *Classifier) InKEV(cve string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cve = strings.ToUpper(cve)
	for _, set := range c.kev {
		if _, ok := set[cve]; ok {
			return true
		}
	}
	return false
}

// KEVSize is how many distinct catalogued CVE ids the classifier knows, for
// logs and health reports.
func (c *Classifier) KEVSize() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, set := range c.kev {
		n += len(set)
	}
	return n
}

// Apply cross-references one poll's alerts: a KEV source's CVE ids become
// the known set for that source; any other source's alert that names a
// known CVE is marked exploited and raised to at least high.
func (c *Classifier) Apply(src store.Source, alerts []store.Alert) {
	if src.Kind == store.KindKEV {
		var ids []string
		for i := range alerts {
			ids = append(ids, alerts[i].CVEs...)
		}
		c.SetKEV(src.Name, ids)
		return
	}
	for i := range alerts {
		c.Mark(&alerts[i])
	}
}

// Mark raises an alert whose own CVE ids are in the KEV catalogue to at
// least high and marks it exploited. When its text did not say so itself,
// KEV lists those ids, so that the card says "in the KEV catalogue" and not
// that the text reports exploitation.
func (c *Classifier) Mark(a *store.Alert) {
	var ids []string
	for _, id := range a.CVEs {
		if c.InKEV(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	if !a.Exploited {
		a.KEV = ids
	}
	a.Exploited, a.News = true, false
	if a.Severity.Rank() < store.SeverityHigh.Rank() {
		a.Severity, a.SeverityDefault = store.SeverityHigh, false
	}
}
