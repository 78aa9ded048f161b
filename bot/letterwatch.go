package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/canhbao/canhbao/store"
)

// LetterWatch runs the timed parts of the department letter's features:
// reminders for incidents without news, and the requests, reminders and
// escalations of watch periods. Everything it sends goes through the
// outbox in the transaction that records it was sent.
type LetterWatch struct {
	Bot *Bot
	// Every is how often it looks; a minute by default.
	Every time.Duration
}

// Run looks until ctx ends.
func (w *LetterWatch) Run(ctx context.Context) {
	everyUntilDone(ctx, w.Every, func() {
		n, err := w.Bot.LetterTick(w.Bot.now())
		if err != nil {
			w.Bot.Log.Error("letter watch", slog.String("error", err.Error()))
		} else if n > 0 && w.Bot.Sender != nil {
			w.Bot.Sender.Wake()
		}
	})
}

// LetterTick queues, in one transaction, whatever is due at now, and
// returns how many messages it queued.
func (b *Bot) LetterTick(now time.Time) (int, error) {
	n := 0
	err := b.Store.Update(func(tx *store.Tx) error {
		stale, err := b.remindStaleIncidents(tx, now)
		if err != nil {
			return err
		}
		duty, err := b.dutyTick(tx, now)
		n = stale + duty
		return err
	})
	return n, err
}
