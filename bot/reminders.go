package bot

import (
	"context"
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
	every := r.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := r.Store.QueueReminders(time.Now(), r.Deadlines(), r.DeptChat)
		if err != nil {
			r.Log.Error("queue reminders", slog.String("error", err.Error()))
		} else if n > 0 {
			r.Log.Info("reminders queued", slog.Int("messages", n))
			r.Sender.Wake()
		}
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
