package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// cbIncident is the callback prefix of incident buttons: "inc:7:d:today"
// (an answer in a guided report) and "inc:7:recv" (the department's
// buttons under the card).
const cbIncident = "inc"

// The department's buttons under an incident card and the status each
// sets.
var incidentActions = map[string]store.IncidentStatus{
	"recv":  store.IncidentReceived,
	"help":  store.IncidentSupport,
	"fixed": store.IncidentResolved,
}

// deptSide reports whether a request speaks for the department: staff in
// the department's chat or in a private chat with the bot.
func (b *Bot) deptSide(q *request) bool {
	return q.admin && (q.chat == b.Config.AdminChat || q.m.Chat.IsPrivate())
}

// cmdIncident handles /incident (and /suco):
//
//	/incident              a guided report, question by question
//	/incident <text>       a report in one message, discovered now; the
//	                       missing details are asked after it is filed
//	/incident 7            the report SC-7 with its timeline
//	/incident 7 <text>     an update to SC-7 (agency or department)
//
// In an agency's group only its own incidents exist.
func (b *Bot) cmdIncident(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	now := b.now()
	first, rest, _ := strings.Cut(q.args, " ")
	rest = strings.TrimSpace(rest)
	return func(tx *store.Tx) error {
		dept := b.deptSide(q)
		if id, ok := letter.ParseIncidentNumber(first); ok {
			inc, found, err := tx.Incident(id)
			if err != nil {
				return err
			}
			mine := found && inc.Status != store.IncidentDraft && (dept || inc.ChatID == q.chat)
			switch {
			case mine && rest == "":
				return q.reply(tx, r.IncidentDetail(&inc, b.Config.IncidentWithin)...)
			case mine:
				return b.incidentUpdate(tx, q, &inc, cutText(rest, 2000), dept, now)
			case dept || rest == "":
				return q.reply(tx, r.T("inc.not_found", id))
			}
			// Not this group's: a one-message report that starts with a
			// number ("3 máy chủ bị mã hóa").
		}
		if dept {
			return q.reply(tx, r.T("inc.dept_usage"))
		}
		c, known, err := tx.Chat(q.chat)
		if err != nil {
			return err
		}
		if !known || c.Status != store.ChatApproved {
			return q.reply(tx, r.T("err.not_subscribed"))
		}
		if q.args == "" {
			inc, resumed, err := tx.DraftIncident(q.chat, q.from.ID)
			if err != nil {
				return err
			}
			if !resumed {
				inc, err = tx.NewIncident(store.Incident{ChatID: q.chat, Agency: c.Name(), Status: store.IncidentDraft,
					ReporterID: q.from.ID, ReporterName: q.who()})
				if err != nil {
					return err
				}
			}
			if err := b.ask(tx, &inc, q.m.MessageID, q.from); err != nil {
				return err
			}
			return tx.PutIncident(inc)
		}
		inc, err := tx.NewIncident(store.Incident{ChatID: q.chat, Agency: c.Name(), Status: store.IncidentDraft,
			ReporterID: q.from.ID, ReporterName: q.who(), DiscoveredAt: now, Description: cutText(q.args, 2000)})
		if err != nil {
			return err
		}
		return b.fileIncident(tx, &inc, q.m.MessageID, q.from, now)
	}
}

// ask queues the next question of a report, or nothing when it is
// complete. The question mentions the person answering, so that the reply
// field opens for them.
func (b *Bot) ask(tx *store.Tx, inc *store.Incident, replyTo int, who *tgbotapi.User) error {
	r := b.Render
	inc.Step = letter.NextStep(inc)
	if inc.Step == "" {
		return nil
	}
	text := r.T("inc.prompt_head", inc.ID, letter.StepNumber(inc.Step), len(letter.Steps), mention(who.ID, displayName(who))) +
		"\n" + r.T("inc.q."+inc.Step)
	o := store.Outgoing{Kind: store.OutText, ChatID: inc.ChatID, ReplyTo: replyTo, Text: text, Urgent: true}
	data := func(v string) string { return fmt.Sprintf("%s:%d:%s", cbIncident, inc.ID, v) }
	switch inc.Step {
	case letter.StepDiscovered:
		o.Buttons = [][]store.Button{{{Text: r.T("inc.btn.today"), Data: data("d:today")}, {Text: r.T("inc.btn.yesterday"), Data: data("d:yesterday")},
			{Text: r.T("inc.btn.other_day"), Data: data("d:other")}}}
	case letter.StepType:
		var row []store.Button
		for _, t := range letter.IncidentTypes {
			row = append(row, store.Button{Text: r.T("inctype." + t), Data: data("t:" + t)})
			if len(row) == 2 {
				o.Buttons, row = append(o.Buttons, row), nil
			}
		}
		if len(row) > 0 {
			o.Buttons = append(o.Buttons, row)
		}
	case letter.StepSupport:
		o.Buttons = [][]store.Button{{{Text: r.T("inc.btn.support_yes"), Data: data("s:yes")}, {Text: r.T("inc.btn.support_no"), Data: data("s:no")}}}
	default:
		o.ForceReply = true
	}
	_, err := tx.Enqueue(o)
	return err
}

// answer records the answer to one question of a report. problem is the
// catalogue key of what was wrong with it, "" when it was taken.
func (b *Bot) answer(inc *store.Incident, step, text string, now time.Time) (problem string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "inc.bad_empty"
	}
	switch step {
	case letter.StepDiscovered:
		t, err := letter.ParseDiscovered(text, now, b.Render.Loc)
		if errors.Is(err, letter.ErrFuture) {
			return "inc.bad_future"
		} else if err != nil {
			return "inc.bad_date"
		}
		inc.DiscoveredAt = t
	case letter.StepSystem:
		inc.System = cutText(text, 300)
	case letter.StepType:
		t, ok := letter.IncidentType(text)
		if !ok {
			return "inc.bad_type"
		}
		inc.Type = t
	case letter.StepWhat:
		inc.Description = cutText(text, 2000)
	case letter.StepActions:
		inc.Actions = cutText(text, 2000)
	case letter.StepSupport:
		yes, ok := letter.Yes(text)
		if !ok {
			return "inc.bad_yes"
		}
		inc.Support = map[bool]string{true: "yes", false: "no"}[yes]
	case letter.StepPhone:
		p, ok := letter.Phone(text)
		if !ok {
			return "inc.bad_phone"
		}
		inc.Phone = p
	}
	return ""
}

// onAnswer applies an answer (a reply to a question, or a button) and
// moves the report on: the next question, filing a finished draft, or
// telling the department what a filed report gained.
func (b *Bot) onAnswer(tx *store.Tx, inc *store.Incident, step, text string, replyTo int, who *tgbotapi.User) (string, error) {
	r := b.Render
	now := b.now()
	if problem := b.answer(inc, step, text, now); problem != "" {
		return r.T(problem), b.toAgency(tx, inc.ChatID, replyTo, r.T(problem))
	}
	asked := inc.Step
	if inc.Status == store.IncidentDraft {
		if letter.NextStep(inc) == "" {
			return r.T("inc.toast_answer"), b.fileIncident(tx, inc, replyTo, who, now)
		}
	} else {
		added := r.T("inc.field."+step) + ": " + r.incidentField(inc, step)
		inc.AddEvent(store.IncidentEvent{At: now, UserID: who.ID, Name: displayName(who), Kind: "update", Text: added})
		if err := b.toDepartment(tx, r.T("inc.update_dept", inc.ID, Esc(inc.Agency), Esc(displayName(who)), Esc(added))); err != nil {
			return "", err
		}
	}
	if asked == step || letter.Answered(inc, asked) {
		if err := b.ask(tx, inc, replyTo, who); err != nil {
			return "", err
		}
		if inc.Step == "" && inc.Status != store.IncidentDraft {
			if err := b.toAgency(tx, inc.ChatID, replyTo, r.T("inc.complete", inc.ID)); err != nil {
				return "", err
			}
		}
	} else if err := b.toAgency(tx, inc.ChatID, replyTo, r.T("inc.corrected", inc.ID, r.T("inc.field."+step))); err != nil {
		return "", err
	}
	return r.T("inc.toast_answer"), tx.PutIncident(*inc)
}

// toAgency queues a prepared message about an incident for the agency's
// group. Incident messages go ahead of routine answers: the agency is in
// the middle of an incident.
func (b *Bot) toAgency(tx *store.Tx, chat int64, replyTo int, html string) error {
	_, err := tx.Enqueue(store.Outgoing{Kind: store.OutText, ChatID: chat, ReplyTo: replyTo, Text: html, Urgent: true})
	return err
}

// toDepartment queues a prepared message for the department's chat, when
// there is one.
func (b *Bot) toDepartment(tx *store.Tx, html string, buttons ...[]store.Button) error {
	if b.Config.AdminChat == 0 {
		return nil
	}
	_, err := tx.Enqueue(store.Outgoing{Kind: store.OutText, ChatID: b.Config.AdminChat, Text: html, Buttons: buttons, Urgent: true})
	return err
}

// fileIncident sends a report to the department: it gets its reporting
// time and lateness, the agency a confirmation with the help line, the
// department's chat the card with its buttons; then what is still missing
// is asked.
func (b *Bot) fileIncident(tx *store.Tx, inc *store.Incident, replyTo int, who *tgbotapi.User, now time.Time) error {
	r := b.Render
	inc.Status, inc.ReportedAt = store.IncidentOpen, now
	inc.Late = letter.Lateness(inc.DiscoveredAt, inc.ReportedAt, b.Config.IncidentWithin) > 0
	inc.AddEvent(store.IncidentEvent{At: now, UserID: who.ID, Name: displayName(who), Kind: "filed"})
	confirm := r.IncidentConfirm(inc, b.Config.IncidentWithin)
	if err := b.toAgency(tx, inc.ChatID, replyTo, confirm); err != nil {
		return err
	}
	if err := b.toDepartment(tx, r.IncidentCard(inc, b.Config.IncidentWithin), r.incidentButtons(inc)...); err != nil {
		return err
	}
	if err := b.ask(tx, inc, replyTo, who); err != nil {
		return err
	}
	return tx.PutIncident(*inc)
}

// incidentButtons are the department's buttons under the card.
func (r *Renderer) incidentButtons(inc *store.Incident) [][]store.Button {
	data := func(v string) string { return fmt.Sprintf("%s:%d:%s", cbIncident, inc.ID, v) }
	return [][]store.Button{{{Text: r.T("inc.btn.recv"), Data: data("recv")}, {Text: r.T("inc.btn.help"), Data: data("help")}},
		{{Text: r.T("inc.btn.fixed"), Data: data("fixed")}}}
}

// incidentUpdate appends a text update to the timeline and shows it to
// the other side.
func (b *Bot) incidentUpdate(tx *store.Tx, q *request, inc *store.Incident, text string, dept bool, now time.Time) error {
	r := b.Render
	inc.AddEvent(store.IncidentEvent{At: now, UserID: q.from.ID, Name: q.who(), Department: dept, Kind: "update", Text: text})
	if err := tx.PutIncident(*inc); err != nil {
		return err
	}
	if dept {
		if err := b.toAgency(tx, inc.ChatID, 0, r.T("inc.update_agency", inc.ID, Esc(r.deptName()), Esc(q.who()), Esc(text))); err != nil {
			return err
		}
		return q.reply(tx, r.T("inc.update_sent", inc.ID, Esc(inc.Agency)))
	}
	if err := b.toDepartment(tx, r.T("inc.update_dept", inc.ID, Esc(inc.Agency), Esc(q.who()), Esc(text))); err != nil {
		return err
	}
	return q.reply(tx, r.T("inc.update_recorded", inc.ID, Esc(r.deptName())))
}

// onReplyToBot handles a message that replies to one of the bot's own
// messages (which Telegram delivers in privacy mode): an answer to a
// question of a guided report, or an update or attachment for the
// incident the replied message names. Anything else is chatter.
func (b *Bot) onReplyToBot(_ context.Context, u tgbotapi.Update) error {
	m := u.Message
	parent := m.ReplyToMessage.Text + m.ReplyToMessage.Caption
	chat := m.Chat.ID
	dept := b.isAdmin(m.From.ID) && (chat == b.Config.AdminChat || m.Chat.IsPrivate())
	return b.commit(u, func(tx *store.Tx) error {
		if id, step, ok := letter.PromptStep(parent); ok && m.Text != "" {
			inc, found, err := tx.Incident(id)
			if err != nil || !found || inc.ChatID != chat {
				return err
			}
			_, err = b.onAnswer(tx, &inc, step, m.Text, m.MessageID, m.From)
			return err
		}
		id := letter.IncidentRef(parent)
		if id == 0 {
			return nil
		}
		inc, found, err := tx.Incident(id)
		if err != nil || !found || inc.Status == store.IncidentDraft || !dept && inc.ChatID != chat {
			return err
		}
		q := &request{u: u, m: m, from: m.From, chat: chat, admin: dept}
		if m.Document != nil || len(m.Photo) > 0 || m.Video != nil {
			return b.incidentAttachment(tx, q, &inc, dept)
		}
		if strings.TrimSpace(m.Text) == "" {
			return nil
		}
		return b.incidentUpdate(tx, q, &inc, cutText(m.Text, 2000), dept, b.now())
	})
}

// incidentAttachment copies a photo or document sent as a reply to an
// incident's message to the other side and records it in the timeline.
func (b *Bot) incidentAttachment(tx *store.Tx, q *request, inc *store.Incident, dept bool) error {
	r := b.Render
	now := b.now()
	what := q.m.Caption
	if what == "" && q.m.Document != nil {
		what = q.m.Document.FileName
	}
	inc.AddEvent(store.IncidentEvent{At: now, UserID: q.from.ID, Name: q.who(), Department: dept, Kind: "attachment", Text: cutText(what, 300)})
	if err := tx.PutIncident(*inc); err != nil {
		return err
	}
	to, from := b.Config.AdminChat, inc.Agency
	if dept {
		to, from = inc.ChatID, r.deptName()
	}
	caption := r.T("inc.attachment", inc.ID, Esc(from), Esc(q.who()))
	if q.m.Caption != "" {
		caption += "\n" + Esc(cutText(q.m.Caption, 700))
	}
	if to != 0 {
		if _, err := tx.Enqueue(store.Outgoing{Kind: store.OutForward, ChatID: to, Text: caption, Urgent: true,
			Copy: &store.MessageRef{ChatID: q.chat, MessageID: q.m.MessageID}, Created: now}); err != nil {
			return err
		}
	}
	return q.reply(tx, r.T("inc.attachment_sent", inc.ID))
}

// incidentButton handles the buttons of incidents: answers in a guided
// report (pressed in the agency's group) and the department's status
// buttons under the card. It returns the toast and whether it must be
// shown as an alert.
func (b *Bot) incidentButton(tx *store.Tx, cq *tgbotapi.CallbackQuery, arg string) (string, bool, error) {
	r := b.Render
	idText, action, _ := strings.Cut(arg, ":")
	id, ok := letter.ParseIncidentNumber(idText)
	if !ok || cq.Message == nil {
		return r.T("inc.toast_unknown"), false, nil
	}
	inc, found, err := tx.Incident(id)
	if err != nil || !found {
		return r.T("inc.toast_unknown"), false, err
	}
	chat := cq.Message.Chat.ID
	if status, ok := incidentActions[action]; ok {
		if chat != b.Config.AdminChat || !b.isAdmin(cq.From.ID) {
			return r.T("err.admin_only"), true, nil
		}
		return b.setIncidentStatus(tx, &inc, status, cq)
	}
	if inc.ChatID != chat {
		return r.T("inc.toast_unknown"), false, nil
	}
	kind, value, _ := strings.Cut(action, ":")
	step := map[string]string{"d": letter.StepDiscovered, "t": letter.StepType, "s": letter.StepSupport}[kind]
	switch {
	case step == "":
		return r.T("inc.toast_unknown"), false, nil
	case kind == "d" && value == "other":
		text := r.T("inc.prompt_head", inc.ID, letter.StepNumber(step), len(letter.Steps), mention(cq.From.ID, displayName(cq.From))) +
			"\n" + r.T("inc.q.discovered_date")
		_, err := tx.Enqueue(store.Outgoing{Kind: store.OutText, ChatID: chat, Text: text, ForceReply: true, Urgent: true})
		return r.T("inc.toast_date"), false, err
	case kind == "d":
		value = map[string]string{"today": "hôm nay", "yesterday": "hôm qua"}[value]
	case kind == "s":
		value = map[string]string{"yes": "có", "no": "không"}[value]
	}
	toast, err := b.onAnswer(tx, &inc, step, value, cq.Message.MessageID, cq.From)
	return toast, false, err
}

// setIncidentStatus applies a department button: the status, a timeline
// entry, the card rewritten in place and a message to the agency.
func (b *Bot) setIncidentStatus(tx *store.Tx, inc *store.Incident, status store.IncidentStatus, cq *tgbotapi.CallbackQuery) (string, bool, error) {
	r := b.Render
	if inc.Status == status {
		return r.T("inc.toast_same", r.T("incstatus."+string(status))), false, nil
	}
	now := b.now()
	inc.Status = status
	inc.AddEvent(store.IncidentEvent{At: now, UserID: cq.From.ID, Name: displayName(cq.From), Department: true, Kind: string(status)})
	if err := tx.PutIncident(*inc); err != nil {
		return "", false, err
	}
	_, err := tx.Enqueue(store.Outgoing{Kind: store.OutText, ChatID: cq.Message.Chat.ID, EditMessageID: cq.Message.MessageID,
		Text: r.IncidentCard(inc, b.Config.IncidentWithin), Buttons: r.incidentButtons(inc), Created: now})
	if err != nil {
		return "", false, err
	}
	msg := r.T("inc.status_agency."+string(status), inc.ID, Esc(r.deptName()), Esc(displayName(cq.From)))
	if status == store.IncidentSupport {
		if line := r.HelpLine(); line != "" {
			msg += "\n" + line
		}
	}
	if err := b.toAgency(tx, inc.ChatID, 0, msg); err != nil {
		return "", false, err
	}
	return r.T("inc.toast_status", inc.ID, r.T("incstatus."+string(status))), false, nil
}

// cmdIncidents lists the open incidents for the department, the oldest
// report first: /incidents, /incidents all (resolved too), /incidents @tag.
func (b *Bot) cmdIncidents(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	now := b.now()
	tag, rest, tagOK := tagArg(q.args)
	all := letter.Fold(rest) == "all" || letter.Fold(rest) == "tat ca"
	return func(tx *store.Tx) error {
		if !tagOK {
			return q.reply(tx, r.T("tag.bad", Esc(q.args)))
		}
		list, err := tx.Incidents()
		if err != nil {
			return err
		}
		var shown []store.Incident
		for _, inc := range list {
			if inc.Status == store.IncidentDraft || !all && !inc.Open() {
				continue
			}
			if tag != "" {
				if c, _, err := tx.Chat(inc.ChatID); err != nil || !c.HasTag(tag) {
					if err != nil {
						return err
					}
					continue
				}
			}
			shown = append(shown, inc)
		}
		return q.reply(tx, r.Incidents(shown, all, now, b.Config.IncidentWithin)...)
	}
}

// remindStaleIncidents reminds the agency of every open incident without
// news for `stale`, once per such period.
func (b *Bot) remindStaleIncidents(tx *store.Tx, now time.Time) (int, error) {
	if b.Config.IncidentStale <= 0 {
		return 0, nil
	}
	list, err := tx.OpenIncidents()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, inc := range list {
		last := inc.UpdatedAt
		if inc.RemindedAt.After(last) {
			last = inc.RemindedAt
		}
		if now.Sub(last) < b.Config.IncidentStale {
			continue
		}
		if c, _, err := tx.Chat(inc.ChatID); err != nil || c.Status != store.ChatApproved {
			if err != nil {
				return n, err
			}
			continue
		}
		inc.RemindedAt = now
		if err := tx.PutIncident(inc); err != nil {
			return n, err
		}
		if err := tx.Reply(inc.ChatID, 0, b.Render.T("inc.stale", inc.ID, Esc(b.Render.incidentTitle(&inc)), b.Render.Age(now.Sub(inc.UpdatedAt)), inc.ID)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
