package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"log/slog"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Reminders periodically queues reminders to chats that have not
// acknowledged an alert in time, and escalations to the department.
type Reminders struct {
	Store    *store.Store
	Sender   *Sender
	Log      *slog.Logger
	DeptChat int64
	// UrgentAfter (critical, high) and After (others) count from the
	// delivery; EscalateAfter likewise.
	UrgentAfter, After, EscalateAfter time.Duration
	// Every is how often deadlines are checked; a minute by default.
	Every time.Duration
}

// Deadlines returns the configured deadlines.
func (r *Reminders) Deadlines() store.Deadlines {
	return store.Deadlines{UrgentAfter: r.UrgentAfter, After: r.After, EscalateAfter: r.EscalateAfter}
}

// Run checks deadlines until ctx ends.
func (r *Reminders) Run(ctx context.Context) {
	everyUntilDone(ctx, r.Every, func() {
		n, err := r.Store.QueueReminders(time.Now(), r.Deadlines(), r.DeptChat)
		if err != nil {
			r.Log.Error("queue reminders", slog.String("error", err.Error()))
		} else if n > 0 {
			r.Log.Info("reminders queued", slog.Int("messages", n))
			r.Sender.Wake()
		}
	})
}

// everyUntilDone calls check at once and then every period (a minute
// when period is not set) until ctx ends: the loop of the periodic jobs
// that queue reminders and the letter's follow-ups.
func everyUntilDone(ctx context.Context, period time.Duration, check func()) {
	if period <= 0 {
		period = time.Minute
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		check()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reminderText renders a reminder entry with what the store says now: the
// alerts, how long ago each reached the chat, and the chat's contact.
func (s *Sender) reminderText(o store.Outgoing) (string, error) {
	var items []Overdue
	var contact string
	err := s.Store.View(func(tx *store.Tx) error {
		c, _, err := tx.Chat(o.ChatID)
		if err != nil {
			return err
		}
		contact = chatContact(c)
		for _, id := range o.AlertIDs {
			a, err := tx.Alert(id)
			if err != nil {
				return err
			}
			d, _, err := tx.Delivery(id, o.ChatID)
			if err != nil {
				return err
			}
			items = append(items, Overdue{Alert: a, Age: o.Created.Sub(d.SentAt)})
		}
		return nil
	})
	return s.Render.Reminder(items, contact), err
}

// chatContact is the person reminders and escalations name for a group:
// who asked for its subscription, as a Telegram mention.
func chatContact(c store.Chat) string {
	if c.RequestedBy == 0 || c.RequestedBy == anonymousAdmin || c.ID > 0 {
		return "" // a private chat is the person; an anonymous admin has no account to mention
	}
	return mention(c.RequestedBy, c.RequestedByName)
}

// buildNoticeEdit renders a department message again once a request in it
// was decided: the decided requests say who decided and when and lose
// their buttons; the others keep theirs.
func (s *Sender) buildNoticeEdit(o store.Outgoing) (tgbotapi.Chattable, error) {
	var sent store.SentMessage
	chats := make(map[int64]store.Chat)
	err := s.Store.View(func(tx *store.Tx) error {
		var ok bool
		var err error
		if sent, ok, err = tx.SentMessage(o.ChatID, o.EditMessageID); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("message %d in chat %d is not a notice", o.EditMessageID, o.ChatID))
		}
		for _, n := range sent.Notices {
			if c, found, err := tx.Chat(n.ChatID); err != nil {
				return err
			} else if found {
				chats[n.ChatID] = c
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	text, kb := s.Render.decidedNotices(sent.Notices, chats)
	e := tgbotapi.NewEditMessageText(o.ChatID, o.EditMessageID, text)
	e.ParseMode = tgbotapi.ModeHTML
	if o.Plain {
		e.Text, e.ParseMode = plainFallback(text), ""
	}
	e.DisableWebPagePreview = true
	if kb != nil {
		e.ReplyMarkup = kb
	}
	return e, nil
}

// decidedNotices renders notices as Notices does, in the same order, with
// each decided subscription request marked and its buttons gone.
func (r *Renderer) decidedNotices(notices []store.Notice, chats map[int64]store.Chat) (string, *tgbotapi.InlineKeyboardMarkup) {
	var parts []string
	var rows [][]tgbotapi.InlineKeyboardButton
	for i := range notices {
		n := notices[i]
		c, ok := chats[n.ChatID]
		if n.Event == store.EventSubscribeRequest && ok && c.Status != store.ChatPending && !c.DecidedAt.IsZero() {
			key := "request.approved"
			if c.Status == store.ChatRejected {
				key = "request.rejected"
			}
			parts = append(parts, r.Notice(&n)+"\n"+r.T(key, Esc(c.DecidedByName), r.Date(c.DecidedAt)))
			continue
		}
		text, kb := r.Notices([]store.Outgoing{{Kind: store.OutNotice, Notice: &n}})
		parts = append(parts, text)
		if m, ok := kb.(tgbotapi.InlineKeyboardMarkup); ok {
			rows = append(rows, m.InlineKeyboard...)
		}
	}
	out := FitHTML(strings.Join(parts, "\n\n"), MaxMessage)
	if len(rows) == 0 {
		return out, nil
	}
	m := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return out, &m
}
