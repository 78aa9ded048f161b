package feeds

import (
	"cmp"
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
	// CVEs are the CVE ids mentioned, upper-cased, deduplicated and sorted.
	CVEs []string
	// Vendors are the well-known vendors and products mentioned, in their
	// canonical spelling, in order of first mention.
	Vendors []string
}

// Classify reads a title and a plain-text body (see PlainText) for severity,
// exploitation, CVE ids and vendors. It never returns a source's default
// severity: Resolve applies that.
func Classify(title, body string) Classification {
	text := title
	if body != "" {
		text = title + "\n" + body
	}
	lower := strings.ToLower(text)
	var c Classification
	c.Score = cvssScore(lower, text)
	c.Severity = scoreSeverity(c.Score)
	if c.Severity == store.SeverityUnknown {
		c.Severity = wordSeverity(strings.ToLower(title), lower)
	}
	c.Exploited = exploited(lower)
	if c.Exploited {
		c.Severity = c.Severity.Max(store.SeverityHigh)
	}
	c.CVEs = FindCVEs(text)
	c.Vendors = FindVendors(text)
	return c
}

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
// "CVSS" or "base score" ("CVSS 9.8", "CVSS v3.1: 9,8", "điểm CVSS 9,8"),
// else the highest score computed from CVSS v3 vectors, else 0.
func cvssScore(lower, text string) float64 {
	best := 0.0
	for _, anchor := range []string{"cvss", "base score"} {
		for rest := lower; ; {
			i := strings.Index(rest, anchor)
			if i < 0 {
				break
			}
			rest = rest[i+len(anchor):]
			if s, ok := scoreAfter(rest); ok && s > best {
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

// scoreAfter reads the first score in the short stretch of text after an
// anchor, skipping version numbers ("v3.1", "CVSS 3.1 base score 9.8").
func scoreAfter(rest string) (float64, bool) {
	if len(rest) > 0 && (rest[0] == ':' || isDigit(rest[0])) && looksVector(rest) {
		return 0, false // "CVSS:3.1/AV:N/…": a vector, read separately
	}
	w := rest[:min(len(rest), 48)]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == '\n' || c == '|' || c == ';' || c == ')' ||
			(c == '.' && (i+1 == len(w) || w[i+1] == ' ')) {
			w = w[:i]
			break
		}
	}
	first := true
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
		versionLike := i > 0 && w[i-1] == 'v' ||
			j < len(w) && (w[j] == '/' || w[j] == '.') ||
			first && strings.Trim(w[:i], " :-–") == "" && isVersion(num) && hasDigitAfter(w[j:])
		first = false
		i = j
		if versionLike || len(intPart) > 2 || len(frac) > 1 {
			continue
		}
		v, err := strconv.ParseFloat(strings.Replace(num, ",", ".", 1), 64)
		if err != nil || v <= 0 || v > 10 || (frac == "" && v != 10) {
			continue
		}
		return v, true
	}
	return 0, false
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
	labelRe = regexp.MustCompile(wb + `(?:(?:cvss |base |aggregate |max(?:imum)? |security impact |impact )?severity(?: rating| level)?|(?:security )?impact rating|mức độ(?: nghiêm trọng| ảnh hưởng| nguy hiểm| rủi ro| cảnh báo)?|mức(?: nguy hiểm| cảnh báo)?|độ nghiêm trọng|cấp độ(?: nguy hiểm| cảnh báo)?|nguy cơ|rủi ro)\s*(?:[:：=–-]\s*)?` + lvl + wbE)
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
func wordSeverity(title, lower string) store.Severity {
	sev := store.SeverityUnknown
	for _, p := range severityPatterns {
		for _, r := range near(lower, p.anchors, p.back, p.fwd) {
			for _, m := range p.re.FindAllStringSubmatch(lower[r[0]:r[1]], -1) {
				if len(m) > 1 {
					sev = sev.Max(levelWord(m[1]))
				} else {
					sev = store.SeverityCritical
				}
			}
		}
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

// near returns the stretches of lower around each occurrence of an anchor,
// back bytes before and fwd bytes after it, widened to whole words and
// merged where they overlap. Regular expressions run on these stretches
// only: RE2 with Unicode classes scans about 1 MB/s, too slow for every
// byte of every advisory, and anchors are rare.
func near(lower string, anchors []string, back, fwd int) [][2]int {
	var rs [][2]int
	for _, a := range anchors {
		for from := 0; ; {
			i := strings.Index(lower[from:], a)
			if i < 0 {
				break
			}
			i += from
			rs = append(rs, widen(lower, i-back, i+len(a)+fwd))
			from = i + len(a)
		}
	}
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

var exploitedRe = regexp.MustCompile(wb + `(?:actively exploited|exploited in[ -]the[ -]wild|exploitation in the wild|in-the-wild exploitation|active exploitation|actively being exploited|being actively exploited|exploitation detected|known to be exploited|(?:is|are) being exploited|ha(?:s|ve) been exploited|under active attack|đang bị khai thác|đã bị khai thác|bị khai thác (?:trong thực tế|tích cực)|đang được khai thác|đã được khai thác|bị tin tặc khai thác|ghi nhận (?:hoạt động |việc |tấn công )?khai thác|khai thác (?:trong thực tế|tích cực))` + wbE)

// negations that, earlier in the same clause, turn an exploitation phrase
// into its opposite ("CISA is not aware of active exploitation", "chưa ghi
// nhận khai thác").
var negations = []string{"not", "no", "n't", "never", "unlikely", "chưa", "không"}

func exploited(lower string) bool {
	for _, r := range near(lower, []string{"exploit", "khai thác", "under active attack"}, 48, 48) {
		for _, loc := range exploitedRe.FindAllStringIndex(lower[r[0]:r[1]], -1) {
			at := r[0] + loc[0]
			clause := lower[max(0, at-60):at]
			if i := strings.LastIndexAny(clause, ".,;:\n!?"); i >= 0 {
				clause = clause[i+1:]
			}
			if !negated(clause) {
				return true
			}
		}
	}
	return false
}

func negated(clause string) bool {
	for _, w := range wordsOf(clause) {
		if slices.Contains(negations, w) || strings.HasSuffix(w, "n't") {
			return true
		}
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
}

type vendorEntry struct {
	words  []string // lower case
	exact  []string // as written, for strict names
	upper  []string // in capitals, for strict names
	canon  string
	strict bool
}

// vendorIndex maps a lower-case first word to the names starting with it.
var vendorIndex = sync.OnceValue(func() map[string][]vendorEntry {
	idx := make(map[string][]vendorEntry)
	for _, v := range vendorNames {
		exact := splitWords(v.name)
		e := vendorEntry{exact: exact, canon: cmp.Or(v.canon, v.name), strict: v.strict}
		for _, w := range exact {
			e.words = append(e.words, strings.ToLower(w))
			e.upper = append(e.upper, strings.ToUpper(w))
		}
		idx[e.words[0]] = append(idx[e.words[0]], e)
	}
	return idx
})

// wordRune is a rune inside a word. CJK characters are not: Japanese writes
// "Ivantiの脆弱性" with no space, and "Ivanti" is still a word there.
func wordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !wordRune(r) })
}

// FindVendors returns the well-known vendors and products named in text as
// whole words, in canonical spelling, deduplicated, in order of mention.
func FindVendors(text string) []string {
	idx := vendorIndex()
	words := wordSpans(text)
	var out []string
	var buf [24]byte
	for i, w := range words {
		word := text[w[0]:w[1]]
		if len(word) > len(buf) {
			continue // longer than any vendor name
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
		for _, e := range idx[string(buf[:n])] {
			if i+len(e.words) <= len(words) && e.matches(text, words[i:i+len(e.words)]) {
				out = appendVendor(out, e.canon)
			}
		}
	}
	return out
}

// wordSpans returns the byte spans of the words of text.
func wordSpans(text string) [][2]int {
	spans := make([][2]int, 0, len(text)/6)
	start := -1
	for i, r := range text {
		switch {
		case wordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			spans = append(spans, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		spans = append(spans, [2]int{start, len(text)})
	}
	return spans
}

func (e vendorEntry) matches(text string, spans [][2]int) bool {
	for k, sp := range spans {
		w := text[sp[0]:sp[1]]
		switch {
		case e.strict:
			if w != e.exact[k] && w != e.upper[k] {
				return false
			}
		case !strings.EqualFold(w, e.words[k]):
			return false
		}
	}
	return true
}

// appendVendor adds name unless it is already there in any case, using
// the canonical spelling when the name is a known vendor.
func appendVendor(list []string, name string) []string {
	name = strings.TrimSpace(name)
	if name == "" {
		return list
	}
	if ws := splitWords(name); len(ws) > 0 {
		for _, e := range vendorIndex()[strings.ToLower(ws[0])] {
			if len(e.words) == len(ws) && slices.EqualFunc(e.words, ws, strings.EqualFold) {
				name = e.canon
				break
			}
		}
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
		a := &alerts[i]
		for _, id := range a.CVEs {
			if c.InKEV(id) {
				a.Exploited = true
				a.Severity = a.Severity.Max(store.SeverityHigh)
				break
			}
		}
	}
}
