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
