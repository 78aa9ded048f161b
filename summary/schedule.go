package summary

import (
	"context"
	"log/slog"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Schedule queues the summary of the past week for the department's chat
// every Monday at a time of day. A week's summary is queued once, even
// across restarts, and a service that was down at that time sends it when
// it starts later the same week.
type Schedule struct {
	Store *store.Store
	// At is "HH:MM" in Loc.
	At       string
	Loc      *time.Location
	DeptChat int64
	// Wake tells the sender a message is queued.
	Wake func()
	Log  *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
}

func (s *Schedule) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// due returns the start of the week whose Monday summary time is the
// latest one at or before now, and when the next one comes.
func (s *Schedule) due(now time.Time) (week, next time.Time) {
	at, _ := time.Parse("15:04", s.At)
	local := now.In(s.Loc)
	monday := time.Date(local.Year(), local.Month(), local.Day()-(int(local.Weekday())+6)%7, 0, 0, 0, 0, s.Loc)
	slot := monday.Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
	if now.Before(slot) {
		return monday.AddDate(0, 0, -7), slot
	}
	return monday, slot.AddDate(0, 0, 7)
}

// Tick queues this week's summary if its time has come and it was not
// queued yet; it reports whether it queued one. The very first start of a
// service only marks the current week as done: a new installation has no
// week to report on.
func (s *Schedule) Tick() (bool, error) {
	now := s.now()
	monday, _ := s.due(now)
	// The week summarised is the one before this Monday.
	q := store.ExportQuery{From: monday.AddDate(0, 0, -7), To: monday}
	if now.Sub(monday) >= 7*24*time.Hour {
		// Before this Monday's time: last week's summary is a week old.
		return false, s.Store.MarkWeeklySummaryStart(q)
	}
	return s.Store.QueueWeeklySummary(s.DeptChat, q, now)
}

// Run checks at start and then at every Monday's time until ctx ends.
func (s *Schedule) Run(ctx context.Context) {
	for {
		queued, err := s.Tick()
		switch {
		case err != nil:
			s.Log.Error("weekly summary", slog.String("error", err.Error()))
		case queued:
			s.Log.Info("weekly summary queued")
			if s.Wake != nil {
				s.Wake()
			}
		}
		_, next := s.due(s.now())
		wait := time.Until(next)
		if err != nil {
			wait = min(wait, time.Minute)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
