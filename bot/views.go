package bot

import (
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/store"
)

// Notices renders one or more department notices as one message, with
// Approve / Reject buttons for each subscription request among them.
func (r *Renderer) Notices(entries []store.Outgoing) (string, any) {
	var parts []string
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, e := range entries {
		if e.Notice == nil {
			continue
		}
		parts = append(parts, r.Notice(e.Notice))
		if n := e.Notice; n.Event == store.EventSubscribeRequest {
			rows = append(rows, tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData(r.T("btn.approve", cutText(n.Agency, 24)), fmt.Sprintf("%s:%d", cbApprove, n.ChatID)),
				tgbotapi.NewInlineKeyboardButtonData(r.T("btn.reject"), fmt.Sprintf("%s:%d", cbReject, n.ChatID))))
		}
	}
	text := FitHTML(strings.Join(parts, "\n\n"), MaxMessage)
	if len(rows) == 0 {
		return text, nil
	}
	return text, tgbotapi.NewInlineKeyboardMarkup(rows...)
}

// Notice renders one event for the department.
func (r *Renderer) Notice(n *store.Notice) string {
	agency := Esc(n.Agency)
	switch n.Event {
	case store.EventSubscribeRequest:
		return r.T("notice.subscribe_request", agency, Esc(n.Detail), n.ChatID, Esc(n.UserName), n.UserID, n.ChatID, n.ChatID)
	case store.EventApproved:
		return r.T("notice.approved", Esc(n.UserName), agency, n.ChatID)
	case store.EventRejected:
		return r.T("notice.rejected", Esc(n.UserName), agency, n.ChatID)
	case store.EventUnsubscribed:
		return r.T("notice.unsubscribed", agency, n.ChatID, Esc(n.UserName), n.UserID)
	case store.EventRestored:
		return r.T("notice.restored", agency, n.ChatID)
	case store.EventChatGone:
		return r.T("notice.chat_gone", agency, n.ChatID, r.Reason(n.Detail))
	case store.EventMigrated:
		return r.T("notice.migrated", agency, Esc(n.Detail), n.ChatID)
	case store.EventDeliveryFailed:
		return r.T("notice.delivery_failed", r.alertNumbers(n.AlertIDs), agency, n.ChatID, r.Reason(n.Detail))
	case store.EventSourceDown:
		return r.T("notice.source_down", Esc(n.Source), r.Date(n.At), r.SourceError(n.Detail))
	case store.EventSourceUp:
		return r.T("notice.source_up", Esc(n.Source))
	case store.EventSourceFirstPoll:
		if n.Detail != "" {
			return r.T("source.first_failed", Esc(n.Source), Esc(cutText(n.Detail, 300)))
		}
		return r.T("source.first_ok", Esc(n.Source), n.Count)
	case store.EventIngestHeld:
		return r.T("notice.ingest_held", Esc(n.Source), n.Count+n.Pushed, n.Pushed, n.Count)
	case store.EventConfigProblem:
		return r.T("notice.config", Esc(n.Detail))
	case store.EventEscalation:
		if len(n.Escalations) > 0 {
			return r.Escalation(n)
		}
		id := uint64(0)
		if len(n.AlertIDs) > 0 {
			id = n.AlertIDs[0]
		}
		names := make([]string, len(n.Agencies))
		for i, a := range n.Agencies {
			names[i] = Esc(a)
		}
		return r.T("notice.escalation", id, r.Age(n.After), Esc(n.Title), len(names), strings.Join(limitList(names, 60), ", "))
	}
	return Esc(n.Event + " " + n.Detail)
}

func (r *Renderer) alertNumbers(ids []uint64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprintf("#%d", id)
	}
	return strings.Join(limitList(s, 20), ", ")
}

// Report renders the department's view of one alert, one line per agency,
// split into messages that fit.
func (r *Renderer) Report(rep store.Report, now time.Time) []string {
	if len(rep.Rows) == 0 {
		return []string{r.T("report.none", rep.Alert.ID)}
	}
	return Lines(append(r.reportHead(rep), r.reportRows(rep, now)...))
}

// reportHead is the first lines of a report: the alert, the totals.
func (r *Renderer) reportHead(rep store.Report) []string {
	a := rep.Alert
	acked, sent, queued, failed, all := rep.Totals()
	return []string{
		r.T("report.title", a.ID, severityIcon(a.Severity)+" "+Esc(cutText(a.Title, 200))),
		r.T("report.total", acked, all),
		r.T("report.states", sent, queued, failed),
		"",
	}
}

// ReportMessage is /report as one message: the whole report when it
// fits; otherwise the totals and the agencies that have not acknowledged
// (the list the department acts on), as many as fit, and attached is
// true: the full list goes with it as a file.
func (r *Renderer) ReportMessage(rep store.Report, now time.Time) (text string, attached bool) {
	if len(rep.Rows) == 0 {
		return r.T("report.none", rep.Alert.ID), false
	}
	head := r.reportHead(rep)
	if full := strings.Join(append(head, r.reportRows(rep, now)...), "\n"); VisibleLen(full) <= MaxMessage {
		return full, false
	}
	open := 0
	for _, row := range rep.Rows {
		if !row.Acked() {
			open++
		}
	}
	lines := append(head, r.T("report.open_title", open))
	foot := r.T("report.attached", len(rep.Rows))
	budget := MaxMessage - VisibleLen(strings.Join(lines, "\n")) - VisibleLen(foot) - 2
	budget -= VisibleLen(r.T("report.open_more", open)) + 1
	shown := 0
	for _, row := range rep.Rows {
		if row.Acked() {
			continue
		}
		line := r.T("report.open_row", Esc(row.Chat.Name()))
		if row.Delivery.State != store.DeliverySent {
			line = r.T("report.not_acked", Esc(row.Chat.Name()), r.DeliveryState(row.Delivery, now))
		}
		if budget -= VisibleLen(line) + 1; budget < 0 {
			break
		}
		lines = append(lines, line)
		shown++
	}
	if shown < open {
		lines = append(lines, r.T("report.open_more", open-shown))
	}
	return strings.Join(append(lines, "", foot), "\n"), true
}

// reportRows is one line per agency (and its remediation notes).
func (r *Renderer) reportRows(rep store.Report, now time.Time) []string {
	var lines []string
	for _, row := range rep.Rows {
		name := Esc(row.Chat.Name())
		if row.Acked() {
			var who []string
			for _, k := range row.Acks {
				who = append(who, r.T("report.by", Esc(k.Name), r.Date(k.At)))
			}
			lines = append(lines, r.T("report.acked", name, r.AckStatus(row.Status()), strings.Join(limitList(who, 5), "; ")))
		} else {
			lines = append(lines, r.T("report.not_acked", name, r.DeliveryState(row.Delivery, now)))
		}
		lines = append(lines, r.noteLines(row.Acks)...)
	}
	return lines
}

// AckStatus names an agency's status on an alert: chưa nhận, đã nhận, đã
// xử lý, không sử dụng.
func (r *Renderer) AckStatus(s store.AckStatus) string { return r.T("ackstatus." + string(s)) }

// noteLines lists every remediation note, oldest first, with who wrote
// it and when.
func (r *Renderer) noteLines(acks []store.Ack) []string {
	var lines []string
	for _, k := range acks {
		for _, n := range k.Notes {
			lines = append(lines, r.T("report.note", Esc(k.Name), r.Date(n.At), Esc(cutText(n.Text, 300))))
		}
	}
	return lines
}

// DeliveryState says where a delivery stands, for reports.
func (r *Renderer) DeliveryState(d store.Delivery, now time.Time) string {
	switch d.State {
	case store.DeliverySent:
		return r.T("state.sent", r.Date(d.SentAt))
	case store.DeliveryFailed:
		return r.T("state.failed", r.Reason(d.Error))
	}
	return r.T("state.queued")
}

// Agencies renders the list of chats with their status.
func (r *Renderer) Agencies(chats []store.Chat) []string {
	var live []store.Chat
	for _, c := range chats {
		if c.MigratedTo == 0 {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return []string{r.T("agencies.none")}
	}
	lines := []string{r.T("agencies.title", len(live))}
	for _, c := range live {
		lines = append(lines, r.T("agencies.row", statusIcon(c.Status), Esc(c.Name()), c.ID, r.T("status."+string(c.Status))))
	}
	return Lines(lines)
}

func statusIcon(s store.ChatStatus) string {
	switch s {
	case store.ChatApproved:
		return "🟢"
	case store.ChatPending:
		return "🕓"
	case store.ChatGone:
		return "🚫"
	}
	return "⚪"
}

// AlertLine is one row of /alerts.
type AlertLine struct {
	Alert  store.Alert
	Counts store.AlertCounts
}

// Alerts renders recent alerts with their acknowledgement totals.
func (r *Renderer) Alerts(list []AlertLine) []string {
	if len(list) == 0 {
		return []string{r.T("alerts.none")}
	}
	lines := []string{r.T("alerts.title")}
	for _, l := range list {
		total := l.Counts.Queued + l.Counts.Sent + l.Counts.Failed
		lines = append(lines, r.T("alerts.row", l.Alert.ID, severityIcon(l.Alert.Severity), Esc(cutText(l.Alert.Title, 120)), l.Counts.Acked, total))
	}
	return Lines(lines)
}

// Pending renders the alerts a chat has not acknowledged.
func (r *Renderer) Pending(alerts []store.Alert) []string {
	if len(alerts) == 0 {
		return []string{r.T("pending.none")}
	}
	lines := []string{r.T("pending.title", len(alerts))}
	for _, a := range alerts {
		lines = append(lines, fmt.Sprintf("%s #%d %s — %s", severityIcon(a.Severity), a.ID, Esc(cutText(a.Title, 160)), r.Published(&a)))
	}
	lines = append(lines, r.T("pending.hint"))
	return Lines(lines)
}
