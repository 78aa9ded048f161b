package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// MaxMessage is Telegram's limit on a message's text, counted in UTF-16
// code units after entity parsing.
const MaxMessage = 4096

// Renderer turns alerts, notices and reports into Telegram HTML in one
// language and time zone.
type Renderer struct {
	Lang Lang
	Loc  *time.Location
	// DeptName names the department as the source of its own advisories;
	// empty uses the default in the catalog.
	DeptName string
	// Contacts are the emergency contact points of /contacts and the help
	// line under critical alerts.
	Contacts letter.Contacts
}

// NewRenderer returns a renderer for lang in Asia/Ho_Chi_Minh, falling
// back to a fixed UTC+7 zone when the system has no time zone database.
func NewRenderer(lang Lang) *Renderer {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	if lang != English {
		lang = Vietnamese
	}
	return &Renderer{Lang: lang, Loc: loc, Contacts: letter.DefaultContacts()}
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// Esc escapes text from a feed or a user for Telegram HTML, so that
// "Exchange < 2019 & Outlook" reads exactly so.
func Esc(s string) string { return htmlEscaper.Replace(s) }

// severityIcon gives each severity a colour people can scan for.
func severityIcon(s store.Severity) string {
	switch s.Normal() {
	case store.SeverityCritical:
		return "🔴"
	case store.SeverityHigh:
		return "🟠"
	case store.SeverityMedium:
		return "🟡"
	case store.SeverityLow:
		return "🟢"
	}
	return "⚪"
}

// Score writes a CVSS score the local way: Vietnamese uses a decimal
// comma ("9,8").
func (r *Renderer) Score(s float64) string {
	out := strconv.FormatFloat(s, 'f', 1, 64)
	if r.Lang == Vietnamese {
		out = strings.Replace(out, ".", ",", 1)
	}
	return out
}

// SourceName is how a source is shown; department advisories get the
// department's name.
func (r *Renderer) SourceName(a *store.Alert) string {
	if a.Source == store.DepartmentSource {
		if r.DeptName != "" {
			return r.DeptName
		}
		return r.T("card.department")
	}
	if a.SourceTitle != "" {
		return a.SourceTitle
	}
	return a.Source
}

// Published is when the alert was published: a date alone when the source
// gives no time of day, else the time in the department's zone.
func (r *Renderer) Published(a *store.Alert) string {
	if a.DateOnly && !a.Published.IsZero() {
		return r.Day(a.Published)
	}
	return r.Date(a.When())
}

// kevActions are CISA's standard required actions, said in the card's
// language; any other action is shown as written.
var kevActions = map[string]string{
	"apply mitigations per vendor instructions, follow applicable bod 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.": "kev.action.mitigate",
	"apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.":                                                           "kev.action.mitigate_short",
	"apply updates per vendor instructions.":                                                              "kev.action.update",
	"the impacted product is end-of-life and should be disconnected if still in use.":                     "kev.action.eol",
	"apply updates per vendor instructions or discontinue use of the product if updates are unavailable.": "kev.action.update_or_stop",
	"apply updates per vendor instructions or discontinue use of the product if updates are unavailable":  "kev.action.update_or_stop",
}

// requiredAction is the source's required action and its deadline, whole:
// it is what the agency has to do.
func (r *Renderer) requiredAction(a *store.Alert) string {
	if a.Action == "" {
		return ""
	}
	action, quote := a.Action, ""
	if key, ok := kevActions[strings.ToLower(strings.TrimSpace(action))]; ok {
		action = r.T(key)
	} else if r.Lang != English {
		// An action of its own is said generally in the card's language,
		// and quoted whole as the source wrote it.
		action, quote = r.T("kev.action.other"), "\n"+r.T("card.required_quote", Esc(a.Action))
	}
	if a.Due.IsZero() {
		return r.T("card.required", Esc(action)) + quote
	}
	return r.T("card.required_due", Esc(action), r.Day(a.Due)) + quote
}

// exploitedLine says, in the card's body, which CVE ids of the alert are
// in KEV when that is how its exploitation is known.
func (r *Renderer) exploitedLine(a *store.Alert) string {
	if !a.Exploited || len(a.KEV) == 0 {
		return ""
	}
	return r.T("card.kev", Esc(strings.Join(limitList(a.KEV, 5), ", ")))
}

// exploitedMark is the first line's warning: exploited in the wild by the
// alert's own text (or a catalogue source), or listed in KEV.
func (r *Renderer) exploitedMark(a *store.Alert) string {
	switch {
	case !a.Exploited:
		return ""
	case len(a.KEV) > 0:
		return r.T("card.kev_mark")
	}
	return r.T("card.exploited")
}

// badge is the card's first words: severity (marked when it is only the
// source's default) and score, "news" for an item that is not an
// advisory, or the department's name for its own advisory without a
// marked severity (a letter, not an unassessed vulnerability).
func (r *Renderer) badge(a *store.Alert) string {
	switch {
	case a.News:
		return fmt.Sprintf("📰 <b>#%d · %s</b>", a.ID, r.T("card.news"))
	case a.Source == store.DepartmentSource && a.Severity.Rank() == 0:
		return fmt.Sprintf("📄 <b>#%d · %s</b>", a.ID, r.T("card.dept_letter", Esc(r.SourceName(a))))
	}
	out := fmt.Sprintf("%s <b>#%d · %s</b>", severityIcon(a.Severity), a.ID, strings.ToUpper(r.Severity(a.Severity)))
	if a.SeverityDefault {
		out += " (" + r.T("card.default_severity") + ")"
	}
	if a.Score > 0 {
		out += " · CVSS " + r.Score(a.Score)
	}
	return out
}

// Card renders an alert as the message agencies receive, with the
// acknowledgements so far (the live card). What matters comes first:
// severity and exploitation, the product, the title, what to do and by
// when; then the text, the references, and who acknowledged.
func (r *Renderer) Card(a *store.Alert, acks []store.Ack) string {
	var head, foot strings.Builder
	head.WriteString(r.badge(a))
	if mark := r.exploitedMark(a); mark != "" {
		head.WriteString(" · " + mark)
	}
	head.WriteString("\n")
	if len(a.Vendors) > 0 {
		head.WriteString(r.T("card.vendors", Esc(strings.Join(limitList(a.Vendors, 8), ", "))) + "\n")
	}
	fmt.Fprintf(&head, "<b>%s</b>\n", Esc(cutText(a.Title, 300)))
	if line := r.requiredAction(a); line != "" {
		head.WriteString(line + "\n")
	} else if !a.Due.IsZero() {
		head.WriteString(r.T("card.due", r.Day(a.Due)) + "\n")
	}
	if line := r.exploitedLine(a); line != "" {
		head.WriteString(line + "\n")
	}
	if a.Ransomware {
		head.WriteString(r.T("card.ransomware") + "\n")
	}
	var refs strings.Builder
	if len(a.CVEs) > 0 {
		refs.WriteString(r.T("card.cve", Esc(strings.Join(limitList(a.CVEs, 10), ", "))) + "\n")
	}
	refs.WriteString(r.T("card.source", Esc(r.SourceName(a))) + "\n")
	refs.WriteString(r.T("card.published", r.Published(a)))
	if a.Link != "" {
		fmt.Fprintf(&refs, "\n🔗 <a href=\"%s\">%s</a>", Esc(a.Link), r.T("card.link"))
	}
	foot.WriteString("\n" + refs.String() + "\n")
	if a.News {
		foot.WriteString("\n" + r.T("card.news_action", a.ID))
	} else {
		foot.WriteString("\n" + r.T("card.action", a.ID))
	}
	if line := r.HelpLine(); line != "" && a.Severity == store.SeverityCritical {
		foot.WriteString("\n" + line)
	}
	if line := r.ackLine(acks); line != "" {
		foot.WriteString("\n\n" + line)
	}
	budget := MaxMessage - VisibleLen(head.String()) - VisibleLen(foot.String()) - 2
	summary := ""
	if s := strings.TrimSpace(a.Summary); s != "" && budget > 20 {
		summary = "\n" + Esc(fitPlain(s, budget)) + "\n"
	}
	return FitHTML(head.String()+summary+foot.String(), MaxMessage)
}

// ackLine lists who acknowledged, with the time of day, then who
// reported what was done and who answered that the agency does not run
// the product.
func (r *Renderer) ackLine(acks []store.Ack) string {
	if len(acks) == 0 {
		return ""
	}
	var names, noted, notUsed []string
	for _, a := range acks {
		names = append(names, fmt.Sprintf("%s, %s", Esc(a.Name), a.At.In(r.Loc).Format("15:04")))
		if n := len(a.Notes); n > 0 {
			noted = append(noted, fmt.Sprintf("%s, %s", Esc(a.Name), a.Notes[n-1].At.In(r.Loc).Format("15:04")))
		}
		if a.NotUsed {
			notUsed = append(notUsed, Esc(a.Name))
		}
	}
	lines := []string{r.T("card.acked", strings.Join(limitList(names, 20), "; "))}
	if len(noted) > 0 {
		lines = append(lines, r.T("card.noted", strings.Join(limitList(noted, 10), "; ")))
	}
	if len(notUsed) > 0 {
		lines = append(lines, r.T("card.notused", strings.Join(limitList(notUsed, 10), "; ")))
	}
	return strings.Join(lines, "\n")
}

// Digest renders several alerts of one source as one message: counts by
// severity, then the critical and high ones by number.
func (r *Renderer) Digest(alerts []store.Alert, acks []store.Ack) string {
	if len(alerts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.T("digest.title", len(alerts), Esc(r.SourceName(&alerts[0]))) + "\n")
	counts := make(map[store.Severity]int)
	for _, a := range alerts {
		counts[a.Severity.Normal()]++
	}
	var parts []string
	for _, s := range store.Severities {
		if counts[s] > 0 {
			parts = append(parts, severityIcon(s)+" "+r.T("digest.count", r.Severity(s), counts[s]))
		}
	}
	b.WriteString(strings.Join(parts, " · ") + "\n\n")
	// Every alert is listed, the most urgent first, so that a group sees
	// the numbers it acknowledges even when none is critical or high.
	byUrgency := slices.Clone(alerts)
	slices.SortStableFunc(byUrgency, func(x, y store.Alert) int {
		return y.Severity.Rank() - x.Severity.Rank()
	})
	lines := make([]string, 0, len(byUrgency))
	ids := make([]uint64, 0, len(alerts))
	for _, a := range byUrgency {
		lines = append(lines, fmt.Sprintf("%s #%d %s", severityIcon(a.Severity), a.ID, Esc(cutText(a.Title, 120))))
		ids = append(ids, a.ID)
	}
	foot := "\n" + r.T("digest.hint", compactIDs(ids))
	if line := r.ackLine(acks); line != "" {
		foot += "\n\n" + line
	}
	budget := MaxMessage - VisibleLen(b.String()) - VisibleLen(foot) - 60
	for i, l := range lines {
		if VisibleLen(l)+1 > budget {
			b.WriteString(r.T("digest.more", len(lines)-i) + "\n")
			break
		}
		budget -= VisibleLen(l) + 1
		b.WriteString(l + "\n")
	}
	return FitHTML(b.String()+foot, MaxMessage)
}

// FollowUp renders an alert that repeats the CVE ids of one the chat
// already has, as a short note instead of a second card.
func (r *Renderer) FollowUp(a, earlier *store.Alert) string {
	link := Esc(cutText(a.Title, 300))
	if a.Link != "" {
		link = fmt.Sprintf("<a href=\"%s\">%s</a>", Esc(a.Link), link)
	}
	// The note keeps its own severity and exploitation: the source may
	// know more than the alert it follows.
	exploited := r.exploitedLine(a)
	if exploited == "" {
		exploited = r.exploitedMark(a)
	}
	if exploited != "" {
		exploited += "\n"
	}
	return FitHTML(r.T("followup", r.badge(a), Esc(r.SourceName(a)), link, exploited, earlier.ID, Esc(strings.Join(limitList(a.CVEs, 5), ", "))), MaxMessage)
}

// Update is the short reply under a delivered card saying what changed
// since: "⚠️ Cập nhật: CVE-… nay đã bị khai thác trong thực tế (CISA KEV,
// 12/09)", or that the source revised the advisory.
func (r *Renderer) Update(a *store.Alert, u store.AlertUpdate) string {
	when := r.Day(u.Day)
	if u.Day.IsZero() {
		when = r.Date(u.At)
	}
	who := Esc(u.Source) + ", " + when
	var text string
	switch u.Kind {
	case store.UpdateExploited:
		text = r.T("update.exploited", Esc(strings.Join(limitList(u.CVEs, 5), ", ")), who)
		if len(u.CVEs) == 0 {
			text = r.T("update.exploited_alert", a.ID, who)
		}
	default:
		text = r.T("update.revised", a.ID, who)
	}
	text += "\n" + r.T("update.severity", severityIcon(u.Severity), strings.ToUpper(r.Severity(u.Severity)), a.ID)
	return FitHTML(text, MaxMessage)
}

// Overdue is one alert in a reminder: the alert and how long ago the
// chat received it.
type Overdue struct {
	Alert store.Alert
	Age   time.Duration
}

// Reminder is the one message a group gets in a reminder round: the
// alerts it has not acknowledged, the contact named so that Telegram
// notifies them, and the ways to acknowledge, each of which works as
// written (the button, a reply, the /ack command shown).
func (r *Renderer) Reminder(items []Overdue, contact string) string {
	if len(items) == 0 {
		return ""
	}
	ids := make([]uint64, len(items))
	for i, it := range items {
		ids[i] = it.Alert.ID
	}
	var b strings.Builder
	if len(items) == 1 {
		a := items[0].Alert
		b.WriteString(r.T("reminder.one", a.ID, r.Age(items[0].Age)) + "\n")
		fmt.Fprintf(&b, "%s %s\n", severityIcon(a.Severity), Esc(cutText(a.Title, 200)))
	} else {
		b.WriteString(r.T("reminder.many", len(items)) + "\n")
	}
	if contact != "" {
		b.WriteString(r.T("reminder.contact", contact) + "\n")
	}
	foot := "\n" + r.T("reminder.how", compactIDs(ids))
	if len(items) > 1 {
		budget := MaxMessage - VisibleLen(b.String()) - VisibleLen(foot) - 40
		for i, it := range items {
			line := fmt.Sprintf("%s #%d %s (%s)", severityIcon(it.Alert.Severity), it.Alert.ID, Esc(cutText(it.Alert.Title, 120)), r.Age(it.Age))
			if VisibleLen(line)+1 > budget {
				b.WriteString(r.T("digest.more", len(items)-i) + "\n")
				break
			}
			budget -= VisibleLen(line) + 1
			b.WriteString(line + "\n")
		}
	}
	return FitHTML(b.String()+foot, MaxMessage)
}

// Escalation renders one escalation round as one message: each alert with
// the agencies that have not acknowledged it, their contacts mentioned,
// as many as fit; /overdue has the whole list.
func (r *Renderer) Escalation(n *store.Notice) string {
	agencies := make(map[int64]bool)
	for _, e := range n.Escalations {
		for _, c := range e.Agencies {
			agencies[c.ChatID] = true
		}
	}
	head := r.T("escalation.title", len(n.Escalations), r.Age(n.After), len(agencies)) + "\n"
	foot := "\n" + r.T("escalation.more")
	budget := MaxMessage - VisibleLen(head) - VisibleLen(foot) - 10
	// Share the room fairly: every alert gets its line, then names.
	per := max(budget/max(len(n.Escalations), 1), 120)
	var b strings.Builder
	for i, e := range n.Escalations {
		line := fmt.Sprintf("\n%s <b>#%d</b> %s — %s", severityIcon(e.Severity), e.AlertID, Esc(cutText(e.Title, 100)),
			r.T("escalation.count", len(e.Agencies)))
		var names []string
		room := per - VisibleLen(line)
		for j, c := range e.Agencies {
			name := Esc(c.Agency)
			if c.UserID != 0 {
				name += " (" + mention(c.UserID, c.UserName) + ")"
			}
			if VisibleLen(name)+2 > room-8 {
				names = append(names, fmt.Sprintf("+%d", len(e.Agencies)-j))
				break
			}
			room -= VisibleLen(name) + 2
			names = append(names, name)
		}
		line += ": " + strings.Join(names, ", ")
		if VisibleLen(line)+1 > budget {
			b.WriteString("\n" + r.T("escalation.rest", len(n.Escalations)-i))
			break
		}
		budget -= VisibleLen(line) + 1
		b.WriteString(line)
	}
	return FitHTML(head+b.String()+"\n"+foot, MaxMessage)
}

// compactIDs writes alert numbers as /ack reads them, runs as ranges:
// "12", "3,4", "59-83,90".
func compactIDs(ids []uint64) string {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, strconv.FormatUint(sorted[i], 10))
		case j == i+1:
			parts = append(parts, strconv.FormatUint(sorted[i], 10), strconv.FormatUint(sorted[j], 10))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", sorted[i], sorted[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// alertRanges names alerts for people: "#12", "#3, #4", "#59–#83".
func (r *Renderer) alertRanges(ids []uint64) string {
	parts := strings.Split(compactIDs(ids), ",")
	for i, p := range parts {
		parts[i] = "#" + strings.Replace(p, "-", "–#", 1)
	}
	return strings.Join(limitList(parts, 30), ", ")
}

// Lines joins report lines into as few messages as Telegram allows,
// never splitting a line.
func Lines(lines []string) []string {
	var out []string
	var cur strings.Builder
	n := 0
	for _, l := range lines {
		l = FitHTML(l, MaxMessage-1)
		ln := VisibleLen(l) + 1
		if n > 0 && n+ln > MaxMessage {
			out = append(out, strings.TrimSuffix(cur.String(), "\n"))
			cur.Reset()
			n = 0
		}
		cur.WriteString(l + "\n")
		n += ln
	}
	if n > 0 {
		out = append(out, strings.TrimSuffix(cur.String(), "\n"))
	}
	return out
}

func limitList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(items[:n:n], fmt.Sprintf("+%d", len(items)-n))
}

// cutText shortens plain text to at most n runes at a word boundary.
func cutText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)[:n]
	cut := len(runes)
	for i := len(runes) - 1; i > n*2/3; i-- {
		if unicode.IsSpace(runes[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(runes[:cut]), unicode.IsSpace) + "…"
}

// fitPlain shortens plain text to at most limit UTF-16 units once escaped
// entities count as one, cutting at a word boundary.
func fitPlain(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	var b strings.Builder
	n := 0
	lastSpace := -1
	for _, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit-1 {
			break
		}
		if unicode.IsSpace(r) {
			lastSpace = b.Len()
		}
		b.WriteRune(r)
		n += w
	}
	out := b.String()
	if lastSpace > len(out)/2 {
		out = out[:lastSpace]
	}
	return strings.TrimRightFunc(out, unicode.IsSpace) + "…"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// VisibleLen counts text the way Telegram limits it: UTF-16 code units of
// the text after tags are removed and entities decoded.
func VisibleLen(html string) int {
	n := 0
	for i := 0; i < len(html); {
		switch html[i] {
		case '<':
			if j := strings.IndexByte(html[i:], '>'); j >= 0 {
				i += j + 1
				continue
			}
		case '&':
			if j := strings.IndexByte(html[i:], ';'); j > 0 && j < 10 {
				i += j + 1
				n++
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(html[i:])
		n += utf16.RuneLen(r)
		i += size
	}
	return n
}

// FitHTML cuts HTML that we built (escaped text and simple tags) so that
// it stays within limit: never inside a tag or an entity, never inside a
// character, closing the tags left open and ending with "…". A trailing
// link that would be cut is kept whole when it fits.
func FitHTML(html string, limit int) string {
	if VisibleLen(html) <= limit {
		return html
	}
	if i := strings.LastIndex(html, "<a "); i > 0 && strings.Contains(html[i:], "</a>") && len(openTags(html[:i])) == 0 {
		if tail := html[i:]; VisibleLen(tail) < limit/4 {
			return cutHTML(strings.TrimRight(html[:i], " \n"), limit-VisibleLen(tail)-1) + "\n" + tail
		}
	}
	return cutHTML(html, limit)
}

// openTags lists the tags left open at the end of html.
func openTags(html string) []string {
	var open []string
	for {
		i := strings.IndexByte(html, '<')
		if i < 0 {
			return open
		}
		j := strings.IndexByte(html[i:], '>')
		if j < 0 {
			return open
		}
		open = track(open, html[i+1:i+j])
		html = html[i+j+1:]
	}
}

// track updates the stack of open tags with one tag's inside ("b",
// "/b", `a href="…"`).
func track(open []string, tag string) []string {
	if strings.HasPrefix(tag, "/") {
		if len(open) > 0 {
			open = open[:len(open)-1]
		}
		return open
	}
	name, _, _ := strings.Cut(tag, " ")
	return append(open, name)
}

// cutHTML is FitHTML without the care for a trailing link.
func cutHTML(html string, limit int) string {
	if VisibleLen(html) <= limit {
		return html
	}
	var open []string
	n := 0
	end := 0
	for i := 0; i < len(html); {
		switch html[i] {
		case '<':
			j := strings.IndexByte(html[i:], '>')
			if j < 0 {
				break
			}
			open = track(open, html[i+1:i+j])
			i += j + 1
			end = i
			continue
		case '&':
			if j := strings.IndexByte(html[i:], ';'); j > 0 && j < 10 {
				if n+1 > limit-1 {
					return closeTags(html[:end], open)
				}
				n++
				i += j + 1
				end = i
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(html[i:])
		w := utf16.RuneLen(r)
		if n+w > limit-1 {
			return closeTags(html[:end], open)
		}
		n += w
		i += size
		end = i
	}
	return html
}

func closeTags(s string, open []string) string {
	s += "…"
	for i := len(open) - 1; i >= 0; i-- {
		s += "</" + open[i] + ">"
	}
	return s
}
