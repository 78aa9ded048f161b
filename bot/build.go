package bot

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/store"
)

// Callback data of the buttons. Telegram allows 64 bytes.
const (
	cbAck     = "ack"     // "ack:12" acknowledges alert 12; "ack" alone, every alert the message stands for
	cbNote    = "note"    // "note:12" asks for a remediation note for alert 12
	cbNotUsed = "nouse"   // "nouse:12": the agency does not run the product of alert 12
	cbApprove = "approve" // "approve:<chat id>"
	cbReject  = "reject"  // "reject:<chat id>"
)

// ackData is the callback data of an acknowledge button: "ack:12" names
// alert 12, plain "ack" every alert the pressed message stands for.
func ackData(alertID uint64) string {
	if alertID != 0 {
		return fmt.Sprintf("%s:%d", cbAck, alertID)
	}
	return cbAck
}

// keyboard is what goes under a message about alerts: the acknowledge
// button, whose label counts who acknowledged so that nobody mistakes an
// unpressed button for a pressed one, and under a card (and a letter) the
// remediation buttons.
func (r *Renderer) keyboard(kind store.Kind, alertID uint64, acks []store.Ack) tgbotapi.InlineKeyboardMarkup {
	label := r.T("ack.button")
	switch {
	case len(acks) > 0 && (kind == store.OutFollowUp || kind == store.OutCopy):
		// The text of a letter or a follow-up is not rewritten: the
		// button names the latest person too.
		label = cutText(r.T("ack.button_done", len(acks), acks[len(acks)-1].Name), 60)
	case len(acks) > 0:
		label = r.T("ack.button_count", len(acks))
	}
	rows := [][]tgbotapi.InlineKeyboardButton{tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(label, ackData(alertID)))}
	switch kind {
	case store.OutAlert:
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(r.T("note.button"), fmt.Sprintf("%s:%d", cbNote, alertID)),
			tgbotapi.NewInlineKeyboardButtonData(r.T("notused.button"), fmt.Sprintf("%s:%d", cbNotUsed, alertID))))
	case store.OutCopy:
		rows[0] = append(rows[0], tgbotapi.NewInlineKeyboardButtonData(r.T("note.button"), fmt.Sprintf("%s:%d", cbNote, alertID)))
	}
	return tgbotapi.NewInlineKeyboardMarkup(rows...)
}

func markup(rows [][]store.Button) any {
	if len(rows) == 0 {
		return nil
	}
	var kb [][]tgbotapi.InlineKeyboardButton
	for _, row := range rows {
		var r []tgbotapi.InlineKeyboardButton
		for _, b := range row {
			r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data))
		}
		kb = append(kb, r)
	}
	return tgbotapi.NewInlineKeyboardMarkup(kb...)
}

// answerSeparator stands between answers merged into one message, so that
// a person who sent several commands at once sees where each answer starts.
const answerSeparator = "\n\n┈┈┈┈┈┈┈┈┈┈\n\n"

// card renders an alert's card and its buttons. A card nobody has
// acknowledged yet is the same for every group of a fan-out: it is
// rendered once per version of the alert (CachedAlert keeps the pointer
// while the record is the same), and its buttons are shared by the
// requests, which only read them.
func (s *Sender) card(a *store.Alert, acks []store.Ack) (string, tgbotapi.InlineKeyboardMarkup) {
	if len(acks) > 0 {
		return s.Render.Card(a, acks), s.Render.keyboard(store.OutAlert, a.ID, acks)
	}
	s.cardsMu.Lock()
	c, ok := s.cards[a]
	s.cardsMu.Unlock()
	if ok {
		return c.text, c.keyboard
	}
	c = renderedCard{s.Render.Card(a, nil), s.Render.keyboard(store.OutAlert, a.ID, nil)}
	s.cardsMu.Lock()
	if s.cards == nil || len(s.cards) >= 64 {
		s.cards = make(map[*store.Alert]renderedCard)
	}
	s.cards[a] = c
	s.cardsMu.Unlock()
	return c.text, c.keyboard
}

// renderedCard is a card as it is sent before anyone acknowledged it.
type renderedCard struct {
	text     string
	keyboard tgbotapi.InlineKeyboardMarkup
}

// build renders an outbox entry (or merged notices) into a request.
func (s *Sender) build(o store.Outgoing, merged []store.Outgoing) (tgbotapi.Chattable, error) {
	var (
		text     string
		keyboard any
		err      error
	)
	r := s.Render
	switch o.Kind {
	case store.OutText:
		text, keyboard = o.Text, markup(o.Buttons)
		if len(merged) > 1 {
			parts := make([]string, len(merged))
			for i := range merged {
				parts[i] = merged[i].Text
			}
			text = strings.Join(parts, answerSeparator)
		}
		if o.ForceReply {
			keyboard = tgbotapi.ForceReply{ForceReply: true, Selective: true}
		}
		if o.EditMessageID != 0 {
			return editText(o, keyboard), nil
		}
	case store.OutForward:
		if o.Copy == nil {
			return nil, fmt.Errorf("forward %d names no message", o.ID)
		}
		c := tgbotapi.NewCopyMessage(o.ChatID, o.Copy.ChatID, o.Copy.MessageID)
		c.Caption, c.ParseMode = o.Text, tgbotapi.ModeHTML
		c.ReplyToMessageID, c.AllowSendingWithoutReply = o.ReplyTo, true
		return c, nil
	case store.OutNotice:
		text, keyboard = r.Notices(merged)
	case store.OutAlert, store.OutFollowUp:
		var a, ref *store.Alert
		var acks []store.Ack
		var duty string
		err = s.Store.View(func(tx *store.Tx) error {
			if a, err = tx.CachedAlert(&s.alerts, o.AlertIDs[0]); err != nil {
				return err
			}
			if o.Ref != 0 {
				if ref, err = tx.CachedAlert(&s.alerts, o.Ref); err != nil {
					return err
				}
			}
			if o.Kind == store.OutAlert && a.Severity == store.SeverityCritical {
				duty = s.onDutyLineIn(tx, o.ChatID, time.Now())
			}
			acks, err = tx.Acks(a.ID, o.ChatID)
			return err
		})
		if err != nil {
			return nil, err
		}
		if o.Kind == store.OutAlert {
			text, keyboard = s.card(a, acks)
			text = withLine(text, duty)
		} else {
			text, keyboard = r.FollowUp(a, ref), r.keyboard(o.Kind, a.ID, acks)
		}
	case store.OutReminder:
		if text, err = s.reminderText(o); err != nil {
			return nil, err
		}
		text = withLine(text, s.onDutyLine(o.ChatID, time.Now()))
		label := r.T("ack.button")
		if len(o.AlertIDs) > 1 {
			label = r.T("ack.button_all", len(o.AlertIDs))
		}
		keyboard = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(label, ackData(0))))
	case store.OutUpdate:
		var a store.Alert
		if err := s.Store.View(func(tx *store.Tx) (err error) { a, err = tx.Alert(o.AlertIDs[0]); return err }); err != nil {
			return nil, err
		}
		if o.Update < 1 || o.Update > len(a.Updates) {
			return nil, fmt.Errorf("alert %d has no update %d", a.ID, o.Update)
		}
		text = r.Update(&a, a.Updates[o.Update-1])
	case store.OutPrompt:
		text, keyboard = o.Text, tgbotapi.ForceReply{ForceReply: true, Selective: true,
			InputFieldPlaceholder: cutText(PlainText(r.T("note.placeholder")), 64)}
	case store.OutDigest:
		var alerts []store.Alert
		if alerts, err = s.loadAlerts(o.AlertIDs); err != nil {
			return nil, err
		}
		text, keyboard = r.Digest(alerts, nil), r.keyboard(o.Kind, 0, nil)
	case store.OutEdit:
		return s.buildEdit(o)
	case store.OutCopy:
		var a store.Alert
		if err := s.Store.View(func(tx *store.Tx) (err error) { a, err = tx.Alert(o.AlertIDs[0]); return err }); err != nil {
			return nil, err
		}
		if a.Copy == nil {
			return nil, fmt.Errorf("alert %d has nothing to copy", a.ID)
		}
		c := tgbotapi.NewCopyMessage(o.ChatID, a.Copy.ChatID, a.Copy.MessageID)
		c.ReplyMarkup = r.keyboard(o.Kind, a.ID, nil)
		return c, nil
	case store.OutDocument:
		if s.Exporter == nil || o.Export == nil {
			return nil, fmt.Errorf("no exporter for document %d", o.ID)
		}
		name, data, err := s.Exporter(*o.Export)
		if err != nil {
			return nil, err
		}
		doc := tgbotapi.NewDocument(o.ChatID, tgbotapi.FileBytes{Name: name, Bytes: data})
		doc.Caption = o.Text
		doc.ParseMode = tgbotapi.ModeHTML
		doc.ReplyToMessageID, doc.AllowSendingWithoutReply = o.ReplyTo, true
		return doc, nil
	case store.OutPhoto:
		if s.Summary == nil || o.Export == nil {
			return nil, fmt.Errorf("no summary for photo %d", o.ID)
		}
		data, caption, err := s.Summary(*o.Export)
		if err != nil {
			return nil, err
		}
		photo := tgbotapi.NewPhoto(o.ChatID, tgbotapi.FileBytes{Name: "canhbao-summary.png", Bytes: data})
		photo.Caption, photo.ParseMode = caption, tgbotapi.ModeHTML
		if o.Plain {
			photo.Caption, photo.ParseMode = PlainText(caption), ""
		}
		photo.ReplyToMessageID, photo.AllowSendingWithoutReply = o.ReplyTo, true
		return photo, nil
	default:
		return nil, fmt.Errorf("unknown outbox kind %q", o.Kind)
	}
	m := tgbotapi.NewMessage(o.ChatID, text)
	m.ParseMode = tgbotapi.ModeHTML
	if o.Plain {
		m.Text, m.ParseMode = plainFallback(text), ""
	}
	m.DisableWebPagePreview = true
	m.ReplyToMessageID, m.AllowSendingWithoutReply = o.ReplyTo, o.ReplyTo != 0
	m.ReplyMarkup = keyboard
	return m, nil
}

// withLine ends text with line (when there is one), within Telegram's
// limit.
func withLine(text, line string) string {
	if line == "" {
		return text
	}
	return FitHTML(text+"\n"+line, MaxMessage)
}

// editText rewrites a message the bot sent with prepared text and
// buttons (an incident card after the department pressed one of them).
func editText(o store.Outgoing, keyboard any) tgbotapi.Chattable {
	e := tgbotapi.NewEditMessageText(o.ChatID, o.EditMessageID, o.Text)
	if kb, ok := keyboard.(tgbotapi.InlineKeyboardMarkup); ok {
		e.ReplyMarkup = &kb
	}
	e.ParseMode = tgbotapi.ModeHTML
	if o.Plain {
		e.Text, e.ParseMode = plainFallback(o.Text), ""
	}
	e.DisableWebPagePreview = true
	return e
}

// buildEdit renders the live card (or digest) with the acknowledgements
// so far.
func (s *Sender) buildEdit(o store.Outgoing) (tgbotapi.Chattable, error) {
	if len(o.AlertIDs) == 0 {
		return s.buildNoticeEdit(o)
	}
	var alerts []store.Alert
	var acks []store.Ack
	var digest, followUp bool
	err := s.Store.View(func(tx *store.Tx) error {
		ds, err := tx.DeliveryByMessage(o.ChatID, o.EditMessageID)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return fmt.Errorf("message %d in chat %d carries no alert", o.EditMessageID, o.ChatID)
		}
		seen := make(map[int64]bool)
		for _, d := range ds {
			digest = digest || d.Via == "digest"
			followUp = followUp || d.Via == "followup"
			a, err := tx.Alert(d.AlertID)
			if err != nil {
				return err
			}
			alerts = append(alerts, a)
			list, err := tx.Acks(d.AlertID, o.ChatID)
			if err != nil {
				return err
			}
			for _, k := range list {
				if !seen[k.UserID] {
					seen[k.UserID] = true
					acks = append(acks, k)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := s.Render
	kind := store.OutAlert
	switch {
	case followUp:
		kind = store.OutFollowUp
	case alerts[0].Copy != nil:
		kind = store.OutCopy
	case digest:
		kind = store.OutDigest
	}
	if kind == store.OutFollowUp || kind == store.OutCopy {
		// A letter's caption is the department's and a follow-up note
		// stays short: the button tells who acknowledged.
		return tgbotapi.NewEditMessageReplyMarkup(o.ChatID, o.EditMessageID, r.keyboard(kind, alerts[0].ID, acks)), nil
	}
	var text string
	var kb tgbotapi.InlineKeyboardMarkup
	if digest {
		text, kb = r.Digest(alerts, acks), r.keyboard(kind, 0, acks)
	} else {
		text, kb = r.Card(&alerts[0], acks), r.keyboard(kind, alerts[0].ID, acks)
	}
	e := tgbotapi.NewEditMessageTextAndMarkup(o.ChatID, o.EditMessageID, text, kb)
	e.ParseMode = tgbotapi.ModeHTML
	if o.Plain {
		e.Text, e.ParseMode = plainFallback(text), ""
	}
	e.DisableWebPagePreview = true
	return e, nil
}

func (s *Sender) loadAlerts(ids []uint64) (alerts []store.Alert, err error) {
	err = s.Store.View(func(tx *store.Tx) error {
		for _, id := range ids {
			a, err := tx.Alert(id)
			if err != nil {
				return err
			}
			alerts = append(alerts, a)
		}
		return nil
	})
	return alerts, err
}

// PlainText turns our own HTML into the text Telegram would show, for the
// fallback after Telegram rejected the formatting. A '<' that starts no
// tag (an unescaped "a < b", the likely cause of the rejection) is kept as
// text.
func PlainText(h string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(h, '<')
		if i < 0 {
			b.WriteString(h)
			break
		}
		b.WriteString(h[:i])
		h = h[i:]
		j := strings.IndexByte(h, '>')
		if j < 0 || len(h) < 2 || !isTagStart(h[1]) {
			b.WriteByte('<')
			h = h[1:]
			continue
		}
		h = h[j+1:]
	}
	return html.UnescapeString(b.String())
}

func isTagStart(c byte) bool { return c == '/' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// plainFallback is the text of the one plain-text attempt after Telegram
// refused a message as malformed or too long: no markup, and within
// Telegram's limit so that "too long" cannot happen twice.
func plainFallback(h string) string {
	text := PlainText(h)
	if utf16Len(text) <= MaxMessage {
		return text
	}
	return fitPlain(text, MaxMessage)
}

// parseID reads an alert number as people type it: "12" or "#12".
func parseID(s string) (uint64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id > 0
}
