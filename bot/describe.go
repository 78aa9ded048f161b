package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Dept is the department's name as messages show it (CANHBAO_DEPT_NAME,
// else the catalogue's default), so that an agency that is itself a "Sở"
// never reads an ambiguous "Sở".
func (r *Renderer) Dept() string {
	if r.DeptName != "" {
		return r.DeptName
	}
	return r.T("card.department")
}

// AuditAction names an audit log action in the renderer's language; an
// action the catalogue does not know is shown as stored.
func (r *Renderer) AuditAction(action string) string {
	key := "action." + strings.ReplaceAll(action, " ", "_")
	if s := r.T(key); s != key {
		return s
	}
	return action
}

// reasonPatterns recognise Telegram's error descriptions and the reasons
// canhbao stores with a failed delivery, in the order they are tried.
var reasonPatterns = []struct {
	key  string
	any  []string // lower-case substrings
	code string   // or a leading status code that starts so
}{
	{key: "reason.kicked", any: []string{"bot was kicked"}},
	{key: "reason.blocked", any: []string{"bot was blocked by the user"}},
	{key: "reason.not_member", any: []string{"bot is not a member"}},
	{key: "reason.user_deactivated", any: []string{"user is deactivated"}},
	{key: "reason.group_deactivated", any: []string{"group chat was deactivated"}},
	{key: "reason.chat_not_found", any: []string{"chat not found", "peer_id_invalid"}},
	{key: "reason.no_rights", any: []string{"not enough rights", "have no rights", "need administrator rights", "chat_write_forbidden"}},
	{key: "reason.flood", any: []string{"too many requests"}, code: "429"},
	{key: "reason.too_long", any: []string{"message is too long", "caption is too long"}},
	{key: "reason.bad_html", any: []string{"can't parse entities"}},
	{key: "reason.edit", any: []string{"message to edit not found", "message can't be edited"}},
	{key: "reason.reply", any: []string{"replied message not found", "message to be replied not found"}},
	{key: "reason.too_large", any: []string{"request entity too large", "file is too big"}, code: "413"},
	{key: "reason.unauthorized", any: []string{"unauthorized"}, code: "401"},
	{key: "reason.server", any: []string{"bad gateway", "internal server error", "service unavailable", "gateway timeout"}, code: "5"},
	{key: "reason.bad_answer", any: []string{"invalid character", "looking for beginning of value", "unexpected end of json"}},
	{key: "reason.timeout", any: []string{"timeout", "deadline exceeded", "timed out"}},
	{key: "reason.network", any: []string{"connection refused", "no such host", "connection reset", "network is unreachable", "eof", "broken pipe"}},
	{key: "reason.unsubscribed", any: []string{"unsubscribed"}},
	{key: "reason.rejected", any: []string{"rejected"}},
}

// Reason describes, as HTML, why Telegram refused a message (or why
// canhbao stopped trying) in the renderer's language. English shows
// Telegram's own words; Vietnamese describes the known cases and quotes
// anything else as a technical detail.
func (r *Renderer) Reason(s string) string {
	s = strings.TrimSpace(s)
	if r.Lang == English || s == "" {
		return Esc(s)
	}
	if rest, ok := strings.CutPrefix(s, "gave up after "); ok {
		if d, cause, ok := strings.Cut(rest, ": "); ok {
			if dur, err := time.ParseDuration(d); err == nil {
				age := r.Age(dur)
				if dur < time.Minute {
					age = r.T("age.seconds", int(dur/time.Second))
				}
				return r.T("reason.gave_up", age, r.Reason(cause))
			}
		}
	}
	for _, prefix := range []string{"bot kicked by ", "bot left by "} {
		if who, ok := strings.CutPrefix(s, prefix); ok {
			return r.T("reason.removed_by", Esc(who))
		}
	}
	lower := strings.ToLower(s)
	code, _, _ := strings.Cut(s, " ")
	if _, err := strconv.Atoi(code); err != nil || len(code) != 3 {
		code = ""
	}
	for _, p := range reasonPatterns {
		if code != "" && p.code != "" && strings.HasPrefix(code, p.code) {
			return r.T(p.key)
		}
		for _, sub := range p.any {
			if strings.Contains(lower, sub) {
				return r.T(p.key)
			}
		}
	}
	return r.T("reason.other", Esc(s))
}

// sourcePatterns recognise the errors of fetching and reading a source.
var sourcePatterns = []struct{ key, sub string }{
	{"source_error.timeout", "no complete answer"},
	{"source_error.timeout", "deadline exceeded"},
	{"source_error.timeout", "timeout"},
	{"source_error.dns", "no such host"},
	{"source_error.refused", "connection refused"},
	{"source_error.tls", "x509"},
	{"source_error.tls", "tls:"},
	{"source_error.too_large", "too large"},
	{"source_error.redirect", "redirect"},
	{"source_error.layout", "matched nothing"},
	{"source_error.not_feed", "not a feed"},
	{"source_error.not_feed", "not valid json"},
	{"source_error.http", "http "},
}

// SourceError describes, as HTML, a source's last error for the
// department: what went wrong in the renderer's language, then the
// technical detail as the fetcher reported it (the address and selector
// in it are what the department fixes).
func (r *Renderer) SourceError(s string) string {
	s = strings.TrimSpace(s)
	if r.Lang == English || s == "" {
		return Esc(s)
	}
	lower := strings.ToLower(s)
	key := "source_error.other"
	for _, p := range sourcePatterns {
		if strings.Contains(lower, p.sub) {
			key = p.key
			break
		}
	}
	return r.T(key) + " " + r.T("source_error.detail", Esc(s))
}

// FilterSummary states a filter in one line of plain text, its parts
// joined by "and", for the agencies sheet of the export.
func (r *Renderer) FilterSummary(f store.Filter) string {
	return r.filterParts(f, r.T("filter.and"), func(s string) string { return s })
}

// filterParts joins the parts of a filter with and; esc escapes values.
func (r *Renderer) filterParts(f store.Filter, and string, esc func(string) string) string {
	var parts []string
	if f.MinSeverity.Rank() > 0 {
		parts = append(parts, r.T("filter.from", r.Severity(f.MinSeverity)))
	}
	if len(f.Keywords) > 0 {
		parts = append(parts, r.T("filter.part_keywords", esc(strings.Join(f.Keywords, ", "))))
	}
	if len(f.Sources) > 0 {
		parts = append(parts, r.T("filter.part_sources", esc(strings.Join(f.Sources, ", "))))
	}
	if len(parts) == 0 {
		return r.T("filter.any")
	}
	return strings.Join(parts, and)
}
