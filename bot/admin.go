package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// audit records an admin action in the caller's transaction.
func (q *request) audit(tx *store.Tx, action, detail string, at time.Time) error {
	return tx.Audit(store.AuditEntry{At: at, UserID: q.from.ID, UserName: q.who(), Action: action, Detail: detail})
}

// cmdBroadcast publishes a department advisory: /broadcast <text>, whose
// first line is the title and whose first words may name the severity,
// or /broadcast as a reply to a document or photo, which is copied to
// every group.
func (b *Bot) cmdBroadcast(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	r := b.Render
	return func(tx *store.Tx) error {
		a := store.Alert{Author: q.from.ID, AuthorName: q.who(), Severity: store.SeverityUnknown}
		tags, bad, text := letter.LeadingTags(q.args)
		if len(bad) > 0 {
			return q.reply(tx, r.T("tag.bad", Esc(strings.Join(bad, " "))))
		}
		for _, t := range tags {
			if ok, err := knownTag(tx, t); err != nil || !ok {
				return errors.Join(err, q.reply(tx, r.T("tag.unknown", Esc(t))))
			}
		}
		a.Audience = tags
		if src := q.m.ReplyToMessage; src != nil && text == "" {
			if src.Document == nil && src.Photo == nil && src.Text == "" {
				return q.reply(tx, r.T("broadcast.usage"))
			}
			text = src.Caption
			if src.Document != nil || src.Photo != nil {
				a.Copy = &store.MessageRef{ChatID: q.chat, MessageID: src.MessageID}
			} else {
				text = src.Text
			}
		}
		text = strings.TrimSpace(text)
		if text == "" && a.Copy == nil {
			return q.reply(tx, r.T("broadcast.usage"))
		}
		a.Severity, text = leadingSeverity(text)
		a.Due = deadlineIn(text, now.In(r.Loc))
		title, body, _ := strings.Cut(text, "\n")
		a.Title, a.Summary = feeds.CleanName(title), strings.TrimSpace(body)
		if a.Title == "" {
			a.Title = html.UnescapeString(r.T("broadcast.untitled")) // stored as plain text
		}
		a.Title = cutText(a.Title, 300)
		a.Key = fmt.Sprintf("update-%d", q.u.UpdateID)
		a, n, err := tx.Publish(a, now)
		if err != nil {
			return err
		}
		if err := q.audit(tx, "broadcast", strings.TrimSpace(fmt.Sprintf("#%d %s → %d %s", a.ID, a.Title, n, strings.Join(tags, " "))), now); err != nil {
			return err
		}
		if len(tags) > 0 {
			return q.reply(tx, r.T("broadcast.done_tags", a.ID, Esc(a.Title), n, r.tagList(tags)))
		}
		return q.reply(tx, r.T("broadcast.done", a.ID, Esc(a.Title), n))
	}
}

// leadingSeverity reads a severity marked at the start of an advisory:
// "[cao] …", "(nghiêm trọng) …", "cao: …", "Mức độ cao - …", "critical | …".
// A bare word is not enough: "Cao điểm tấn công dịp Tết" and "Cao Bằng: …"
// are titles, not severities.
func leadingSeverity(text string) (store.Severity, string) {
	text = strings.TrimSpace(text)
	var word, rest string
	switch {
	case strings.HasPrefix(text, "["), strings.HasPrefix(text, "("):
		closing := "]"
		if text[0] == '(' {
			closing = ")"
		}
		i := strings.Index(text, closing)
		if i < 0 {
			return store.SeverityUnknown, text
		}
		word, rest = text[1:i], text[i+1:]
	default:
		i := strings.IndexAny(text, ":|-–\n")
		if i <= 0 || i > 40 || text[i] == '\n' {
			return store.SeverityUnknown, text
		}
		word, rest = text[:i], text[i+len(string([]rune(text[i:])[0])):]
	}
	word = strings.TrimSpace(word)
	for _, prefix := range []string{"mức độ", "Mức độ", "mức", "Mức", "severity", "Severity"} {
		word = strings.TrimSpace(strings.TrimPrefix(word, prefix))
	}
	s, ok := store.ParseSeverity(word)
	if !ok || s == store.SeverityUnknown {
		return store.SeverityUnknown, text
	}
	return s, strings.TrimLeft(rest, ":|-– ")
}

func (b *Bot) cmdOverdue(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	r := b.Render
	tag, _, tagOK := tagArg(q.args)
	return func(tx *store.Tx) error {
		if !tagOK {
			return q.reply(tx, r.T("tag.bad", Esc(q.args)))
		}
		list, err := tx.OverdueChats(now, b.Deadlines)
		if err != nil {
			return err
		}
		list = slices.DeleteFunc(list, func(o store.Overdue) bool { return !o.Chat.HasTag(tag) && tag != "" })
		if len(list) == 0 {
			return q.reply(tx, r.T("overdue.none"))
		}
		lines := []string{r.T("overdue.title", len(list))}
		for _, o := range list {
			lines = append(lines, r.T("overdue.row", Esc(o.Chat.Name()), o.Chat.ID, len(o.Alerts), r.alertNumbers(o.Alerts), r.Age(now.Sub(o.Oldest))))
		}
		return q.reply(tx, Lines(lines)...)
	}
}

// cmdExport sends the export as a file: an Excel workbook (people open
// it), or CSV with "csv" (scripts read it); of one alert when a number is
// given: /export, /export 12, /export csv, /export 12 csv.
func (b *Bot) cmdExport(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	tag, arg, tagOK := tagArg(q.args)
	return func(tx *store.Tx) error {
		query := store.ExportQuery{Tag: tag, Format: FormatXLSX}
		if !tagOK {
			return q.reply(tx, b.Render.T("tag.bad", Esc(q.args)))
		}
		caption := b.Render.T("export.caption_xlsx")
		var rest []string
		for _, w := range strings.Fields(arg) {
			switch strings.ToLower(w) {
			case "csv":
				query.Format, caption = FormatCSV, b.Render.T("export.caption")
			case "xlsx", "excel":
			default:
				rest = append(rest, w)
			}
		}
		arg = strings.Join(rest, " ")
		if sheet := exportSheet(arg); sheet != "" {
			// The incident table is written as CSV.
			query.Sheet, arg = sheet, ""
			query.Format, caption = FormatCSV, b.Render.T("export.caption")
		}
		if arg != "" {
			id, ok := parseID(arg)
			if !ok {
				return q.reply(tx, b.Render.T("err.bad_id", Esc(arg)))
			}
			if _, err := tx.Alert(id); store.IsNotFound(err) {
				return q.reply(tx, b.Render.T("err.no_alert", id))
			} else if err != nil {
				return err
			}
			query.AlertID = id
		}
		if err := q.audit(tx, "export", q.args, now); err != nil {
			return err
		}
		_, err := tx.Enqueue(store.Outgoing{Kind: store.OutDocument, ChatID: q.chat, ReplyTo: q.m.MessageID,
			Export: &query, Text: caption, Created: now})
		return err
	}
}

func (b *Bot) cmdAudit(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	return func(tx *store.Tx) error {
		list, err := tx.AuditLog(30)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return q.reply(tx, r.T("audit.none"))
		}
		lines := []string{r.T("audit.title")}
		for _, e := range list {
			lines = append(lines, fmt.Sprintf("%s — %s (<code>%d</code>): <b>%s</b> %s", r.Date(e.At), Esc(e.UserName), e.UserID, Esc(r.AuditAction(e.Action)), Esc(cutText(e.Detail, 200))))
		}
		return q.reply(tx, Lines(lines)...)
	}
}

// cmdQueue shows what waits in the outbox (the oldest first, retrying
// ones with their last error) and the deliveries that failed in the last
// seven days, with Telegram's reason.
func (b *Bot) cmdQueue(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	r := b.Render
	const most = 25
	return func(tx *store.Tx) error {
		entries, err := tx.Outbox()
		if err != nil {
			return err
		}
		var waiting, retrying []string
		for _, o := range entries {
			if o.Attempts == 0 {
				waiting = append(waiting, r.T("queue.waiting_row", r.kindName(o.Kind), alertRef(o), o.ChatID, r.Age(now.Sub(o.Created))))
				continue
			}
			retrying = append(retrying, r.T("queue.retry", r.kindName(o.Kind), alertRef(o), o.ChatID, o.Attempts, r.Reason(cutText(o.LastError, 120)), r.Date(o.NotBefore)))
		}
		lines := []string{r.T("queue.title"), r.T("queue.counts", len(waiting), len(retrying))}
		lines = append(lines, retrying[:min(len(retrying), most)]...)
		lines = append(lines, waiting[:min(len(waiting), most)]...)
		if n := len(waiting) + len(retrying) - min(len(retrying), most) - min(len(waiting), most); n > 0 {
			lines = append(lines, r.T("queue.more", n))
		}
		failed, err := b.recentFailures(tx, now.Add(-7*24*time.Hour))
		if err != nil {
			return err
		}
		if len(failed) > 0 {
			lines = append(lines, "", r.T("queue.failed", len(failed)))
			lines = append(lines, failed[:min(len(failed), 2*most)]...)
			if len(failed) > 2*most {
				lines = append(lines, r.T("queue.more", len(failed)-2*most))
			}
		}
		return q.reply(tx, Lines(lines)...)
	}
}

// recentFailures lists the deliveries of alerts first seen since `since`
// that failed, newest alert first.
func (b *Bot) recentFailures(tx *store.Tx, since time.Time) ([]string, error) {
	r := b.Render
	var out []string
	for id := tx.LastAlertID(); id > 0; id-- {
		a, err := tx.Alert(id)
		if store.IsNotFound(err) {
			continue
		} else if err != nil {
			return nil, err
		}
		if a.FirstSeen.Before(since) {
			break
		}
		ds, err := tx.Deliveries(id)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.State != store.DeliveryFailed {
				continue
			}
			c, _, err := tx.Chat(d.ChatID)
			if err != nil {
				return nil, err
			}
			c.ID = d.ChatID
			out = append(out, r.T("queue.failed_row", a.ID, Esc(c.Name()), c.ID, r.Reason(cutText(d.Error, 120))))
		}
	}
	return out, nil
}

func alertRef(o store.Outgoing) string {
	if len(o.AlertIDs) == 0 {
		return ""
	}
	return fmt.Sprintf(" #%d", o.AlertIDs[0])
}

func (r *Renderer) kindName(k store.Kind) string { return r.T("kind." + string(k)) }

// cmdFilter shows or changes a chat's filter. Forms (Vietnamese and
// English, with or without diacritics):
//
//	/filter                       show
//	/filter mức cao               minimum severity (min high)
//	/filter từ-khóa microsoft, vpn keywords or vendors (keywords …)
//	/filter nguồn cisa msrc       sources (sources …)
//	/filter xóa                   reset (reset)
//
// A part given without values is cleared. Admins may name a chat first:
// /filter -1001234567890 mức cao.
func (b *Bot) cmdFilter(ctx context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	args := strings.Fields(q.args)
	target := q.chat
	if len(args) > 0 && q.admin {
		if id, err := parseChatID(args[0]); err == nil {
			target, args = id, args[1:]
		}
	}
	if target != q.chat && !q.m.Chat.IsPrivate() && q.chat != b.Config.AdminChat {
		// Another agency's filter is not for this group's eyes.
		return func(tx *store.Tx) error { return q.reply(tx, r.T("err.private_only")) }
	}
	allowed := q.admin || len(args) == 0
	if !allowed {
		ok, err := b.isChatAdmin(ctx, q)
		if err != nil {
			b.Log.Warn("getChatMember", "chat", q.chat, "error", err.Error())
			return func(tx *store.Tx) error { return q.reply(tx, r.T("err.internal")) }
		}
		allowed = ok
	}
	now := b.now()
	return func(tx *store.Tx) error {
		c, known, err := tx.Chat(target)
		if err != nil {
			return err
		}
		if !known || c.MigratedTo != 0 {
			if target != q.chat {
				return q.reply(tx, r.T("err.no_chat", target))
			}
			return q.reply(tx, r.T("err.not_subscribed"))
		}
		if len(args) == 0 {
			return q.reply(tx, r.FilterView(c))
		}
		if !allowed {
			return q.reply(tx, r.T("err.chat_admin"))
		}
		f, err := applyFilter(c.Filter, args)
		if err != nil {
			return q.reply(tx, r.T("filter.usage"))
		}
		c.Filter = f
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if err := q.audit(tx, "filter", fmt.Sprintf("%s (%d): %s", c.Name(), c.ID, strings.Join(args, " ")), now); err != nil {
			return err
		}
		return q.reply(tx, r.FilterView(c))
	}
}

// fold removes Vietnamese diacritics and case for matching command words.
func fold(s string) string {
	return strings.ToLower(foldReplacer.Replace(s))
}

var foldReplacer = strings.NewReplacer(
	"á", "a", "à", "a", "ả", "a", "ã", "a", "ạ", "a", "ă", "a", "ắ", "a", "ằ", "a", "ẳ", "a", "ẵ", "a", "ặ", "a",
	"â", "a", "ấ", "a", "ầ", "a", "ẩ", "a", "ẫ", "a", "ậ", "a", "đ", "d", "Đ", "d",
	"é", "e", "è", "e", "ẻ", "e", "ẽ", "e", "ẹ", "e", "ê", "e", "ế", "e", "ề", "e", "ể", "e", "ễ", "e", "ệ", "e",
	"í", "i", "ì", "i", "ỉ", "i", "ĩ", "i", "ị", "i",
	"ó", "o", "ò", "o", "ỏ", "o", "õ", "o", "ọ", "o", "ô", "o", "ố", "o", "ồ", "o", "ổ", "o", "ỗ", "o", "ộ", "o",
	"ơ", "o", "ớ", "o", "ờ", "o", "ở", "o", "ỡ", "o", "ợ", "o",
	"ú", "u", "ù", "u", "ủ", "u", "ũ", "u", "ụ", "u", "ư", "u", "ứ", "u", "ừ", "u", "ử", "u", "ữ", "u", "ự", "u",
	"ý", "y", "ỳ", "y", "ỷ", "y", "ỹ", "y", "ỵ", "y", "-", "", "_", "")

func applyFilter(f store.Filter, args []string) (store.Filter, error) {
	key, values := fold(args[0]), args[1:]
	// Two-word forms: "mức độ cao", "từ khóa microsoft".
	if len(values) > 0 && (key == "muc" && fold(values[0]) == "do" || key == "tu" && fold(values[0]) == "khoa") {
		key, values = key+fold(values[0]), values[1:]
	}
	list := func() []string {
		var out []string
		for _, v := range strings.FieldsFunc(strings.Join(values, " "), func(r rune) bool { return r == ',' || r == ';' }) {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	switch key {
	case "muc", "mucdo", "min", "severity":
		if len(values) == 0 {
			f.MinSeverity = ""
			return f, nil
		}
		s, ok := store.ParseSeverity(strings.Join(values, " "))
		if !ok {
			return f, fmt.Errorf("unknown severity %q", strings.Join(values, " "))
		}
		f.MinSeverity = s
		if s == store.SeverityUnknown {
			f.MinSeverity = ""
		}
	case "tukhoa", "keywords", "keyword", "vendors", "vendor", "hang":
		f.Keywords = list()
	case "nguon", "sources", "source":
		f.Sources = strings.Fields(strings.ReplaceAll(strings.Join(values, " "), ",", " "))
	case "xoa", "reset", "clear", "tatca", "all":
		f = store.Filter{}
	default:
		return f, fmt.Errorf("unknown filter part %q", args[0])
	}
	return f, nil
}

// FilterView renders a chat's filter as one sentence whose parts are
// joined by "and", what always passes, and how to change it.
func (r *Renderer) FilterView(c store.Chat) string {
	what := r.T("filter.none")
	if !c.Filter.IsZero() {
		what = r.T("filter.combine", r.filterParts(c.Filter, r.T("filter.and_html"), Esc))
	}
	return r.T("filter.view", Esc(c.Name()), what) + "\n" + r.T("filter.always") + "\n\n" + r.T("filter.usage")
}

// cmdSources lists every source with its health.
func (b *Bot) cmdSources(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	return func(tx *store.Tx) error {
		list, err := tx.Sources()
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return q.reply(tx, r.T("sources.none"))
		}
		lines := []string{r.T("sources.title", len(list))}
		for _, s := range list {
			icon := "🟢"
			switch {
			case s.Paused:
				icon = "⏸"
			case !s.FailingSince.IsZero():
				icon = "🔴"
			case s.LastSuccess.IsZero():
				icon = "⚪"
			}
			name := Esc(s.Name)
			if s.Title != "" && s.Title != s.Name {
				name += " · " + Esc(s.Title) // the name groups see
			}
			line := r.T("sources.row", icon, name, Esc(string(s.Kind)), r.Severity(s.Severity), r.Date(s.LastSuccess), s.Items, r.Date(s.NextPoll))
			if s.LastError != "" && !s.FailingSince.IsZero() {
				line += "\n   " + r.T("sources.error", r.Date(s.LastErrorAt), r.SourceError(cutText(s.LastError, 200)))
			}
			lines = append(lines, line)
		}
		return q.reply(tx, Lines(lines)...)
	}
}

// cmdSource manages sources: /source add NAME URL, pause|resume|remove NAME.
func (b *Bot) cmdSource(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	now := b.now()
	args := strings.Fields(q.args)
	return func(tx *store.Tx) error {
		if len(args) < 2 {
			return q.reply(tx, r.T("source.usage"))
		}
		verb, name := fold(args[0]), args[1]
		old, known, err := tx.Source(name)
		if err != nil {
			return err
		}
		switch verb {
		case "add", "them":
			if len(args) != 3 {
				return q.reply(tx, r.T("source.usage"))
			}
			if b.ParseSource == nil {
				return q.reply(tx, r.T("err.internal"))
			}
			src, err := b.ParseSource(name, args[2])
			if err != nil {
				return q.reply(tx, r.T("source.bad", Esc(err.Error())))
			}
			src.FirstPollTo = &store.MessageRef{ChatID: q.chat, MessageID: q.m.MessageID}
			// A new address counts as a new source: its first poll is a
			// backfill, so moving a source does not resend its archive.
			if err := tx.ReplaceSource(src); err != nil {
				return err
			}
		case "pause", "tamdung", "resume", "tiep", "tieptuc":
			if !known {
				return q.reply(tx, r.T("source.unknown", Esc(name)))
			}
			old.Paused = verb == "pause" || verb == "tamdung"
			if err := tx.PutSource(old); err != nil {
				return err
			}
		case "remove", "xoa":
			if !known {
				return q.reply(tx, r.T("source.unknown", Esc(name)))
			}
			if err := tx.DeleteSource(name); err != nil {
				return err
			}
		default:
			return q.reply(tx, r.T("source.usage"))
		}
		if err := q.audit(tx, "source "+canonicalVerb(verb), feeds.RedactText(strings.Join(args[1:], " ")), now); err != nil {
			return err
		}
		q.after = b.SourcesChanged
		if canonicalVerb(verb) == "add" {
			return q.reply(tx, r.T("source.added", Esc(name)))
		}
		return q.reply(tx, r.T("source.done", r.T("verb."+canonicalVerb(verb)), Esc(name)))
	}
}

// canonicalVerb maps the Vietnamese and English forms of a /source verb to
// one name.
func canonicalVerb(v string) string {
	switch v {
	case "add", "them":
		return "add"
	case "pause", "tamdung":
		return "pause"
	case "resume", "tiep", "tieptuc":
		return "resume"
	}
	return "remove"
}
