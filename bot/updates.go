package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/store"
)

// Config is what the bot needs to know about the department.
type Config struct {
	// AdminIDs are the department staff's Telegram user ids.
	AdminIDs []int64
	// AdminChat is the department's chat for requests and notices.
	AdminChat int64
	// EditDelay gathers acknowledgements pressed within it into one edit
	// of the card.
	EditDelay time.Duration
	// PollTimeout is the long-poll wait of getUpdates.
	PollTimeout time.Duration
	// IncidentWithin is the deadline for reporting an incident after its
	// discovery; later reports are flagged late.
	IncidentWithin time.Duration
	// IncidentStale is how long an open incident may go without news
	// before its agency is reminded (once per such period).
	IncidentStale time.Duration
	// DutyRemindBefore is how long before a watch period starts the
	// agencies that have not registered are reminded; DutyGap the least
	// time between a request, its reminder and the escalation.
	DutyRemindBefore, DutyGap time.Duration
	// DashboardURL is the web dashboard's public address, put in sign-in
	// links; empty when the dashboard is off.
	DashboardURL string
}

// Bot receives updates from Telegram and answers them. Every update is
// handled in one store transaction that also records it as handled, so a
// restart never applies a command twice.
type Bot struct {
	API    Telegram
	Store  *store.Store
	Render *Renderer
	Sender *Sender
	Log    *slog.Logger
	Config Config
	// Username is the bot's @name, to tell our commands from other bots'
	// in groups.
	Username string
	// Now is the clock; tests may set it.
	Now func() time.Time
	// Deadlines decide what /overdue lists.
	Deadlines store.Deadlines
	// ParseSource reads /source add NAME URL (the feeds package's rules).
	ParseSource func(name, rawURL string) (store.Source, error)
	// SourcesChanged is called after /source changed the list, so the
	// poller picks it up at once.
	SourcesChanged func()

	noise noiseLimits
	// recordWait is maxRecordWait unless a test changes it.
	recordWait time.Duration
}

func (b *Bot) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// updateIDReset is how long without updates makes Telegram number the next
// update at random (the Bot API says a week; a day's margin).
const updateIDReset = 6 * 24 * time.Hour

// allowedUpdates are the update types the bot acts on.
var allowedUpdates = []string{"message", "callback_query", "my_chat_member"}

// Run long-polls getUpdates until ctx ends. It is written here rather than
// taken from the library, whose update channel logs errors with the token
// in the URL, ignores retry_after and cannot be cancelled.
func (b *Bot) Run(ctx context.Context) error {
	poll := b.Config.PollTimeout
	if poll <= 0 {
		poll = 30 * time.Second
	}
	var stored int
	var lastUpdate time.Time
	if err := b.Store.View(func(tx *store.Tx) error { stored, lastUpdate = tx.Offset(); return nil }); err != nil {
		return err
	}
	offset := stored + 1
	if lastUpdate.IsZero() {
		lastUpdate = b.now()
	}
	failures := 0
	for ctx.Err() == nil {
		// After a week without updates Telegram numbers the next one at
		// random, possibly below our offset, which would confirm (drop) it
		// unseen. Nothing older than a day is kept by Telegram, so asking
		// from the start again can only bring updates never handled.
		if offset != 0 && b.now().Sub(lastUpdate) > updateIDReset {
			b.Log.Info("no update for a week: reading updates from the start", slog.Int("offset", offset))
			offset = 0
		}
		reqCtx, cancel := context.WithTimeout(ctx, poll+15*time.Second)
		raw, err := b.API.Call(reqCtx, tgbotapi.UpdateConfig{Offset: offset, Limit: 100,
			Timeout: int(poll / time.Second), AllowedUpdates: allowedUpdates})
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			wait := backoff(failures, time.Second, 30*time.Second)
			var tg *tgbotapi.Error
			if errors.As(err, &tg) && tg.RetryAfter > 0 {
				wait = time.Duration(tg.RetryAfter) * time.Second
			}
			failures++
			b.Log.Warn("getUpdates failed", slog.String("error", err.Error()), slog.Duration("retry_in", wait))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		failures = 0
		var updates []tgbotapi.Update
		if err := json.Unmarshal(raw, &updates); err != nil {
			b.Log.Error("decode updates", slog.String("error", err.Error()))
			failures++
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff(failures, time.Second, 30*time.Second)):
			}
			continue
		}
		for _, u := range updates {
			b.Handle(ctx, u)
			offset, lastUpdate = u.UpdateID+1, b.now()
		}
	}
	return nil
}

// Handle applies one update. A handler that keeps failing (the store
// cannot be written) is retried a few times and then skipped with an
// error in the log, so that one bad update cannot stall the bot.
func (b *Bot) Handle(ctx context.Context, u tgbotapi.Update) {
	// A bug in one handler must not crash-loop the service on the same
	// update after every restart: log it and mark the update handled.
	defer func() {
		if p := recover(); p != nil {
			b.Log.Error("handler panicked; update skipped", slog.Int("update", u.UpdateID), slog.Any("panic", p))
			if err := b.commit(u, nil); err != nil {
				b.Log.Error("skip update", slog.Int("update", u.UpdateID), slog.String("error", err.Error()))
			}
		}
	}()
	var err error
	for attempt := range 3 {
		if err = b.handle(ctx, u); err == nil {
			return
		}
		b.Log.Error("handle update", slog.Int("update", u.UpdateID), slog.String("error", err.Error()), slog.Int("attempt", attempt))
		time.Sleep(backoff(attempt, 200*time.Millisecond, 2*time.Second))
	}
	if err := b.commit(u, nil); err != nil {
		b.Log.Error("skip update", slog.Int("update", u.UpdateID), slog.String("error", err.Error()))
	}
}

func (b *Bot) handle(ctx context.Context, u tgbotapi.Update) error {
	switch {
	case u.Message != nil:
		return b.onMessage(ctx, u)
	case u.CallbackQuery != nil:
		return b.onCallback(ctx, u)
	case u.MyChatMember != nil:
		return b.onMembership(u)
	}
	return b.commit(u, nil)
}

// commit runs fn and records u as handled in one transaction, then wakes
// the sender for the replies fn queued.
func (b *Bot) commit(u tgbotapi.Update, fn func(tx *store.Tx) error) error {
	err := b.Store.Update(func(tx *store.Tx) error {
		if fn != nil {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return tx.SetOffset(u.UpdateID, b.now())
	})
	if err == nil && fn != nil && b.Sender != nil {
		b.Sender.Wake()
	}
	return err
}

// onMembership follows the bot being added to or removed from a chat.
func (b *Bot) onMembership(u tgbotapi.Update) error {
	m := u.MyChatMember
	chat := m.Chat.ID
	switch status := m.NewChatMember.Status; status {
	case "member", "administrator":
		was := m.OldChatMember.Status
		if was != "left" && was != "kicked" && was != "" {
			return b.commit(u, nil) // a change of rights, not an arrival
		}
		return b.commit(u, func(tx *store.Tx) error {
			switch {
			case m.Chat.IsPrivate():
				return nil
			case chat == b.Config.AdminChat:
				return tx.Reply(chat, 0, b.Render.T("welcome.dept"))
			case b.Config.AdminChat == 0 && (len(b.Config.AdminIDs) == 0 || b.isAdmin(m.From.ID)):
				// Setting up: this may be the department's chat.
				return tx.Reply(chat, 0, b.Render.T("welcome.group")+"\n\n"+b.Render.T("welcome.setup"))
			}
			return tx.Reply(chat, 0, b.Render.T("welcome.group"))
		})
	case "left", "kicked":
		reason := "bot " + status + " by " + displayName(&m.From)
		return b.commit(u, func(tx *store.Tx) error {
			return tx.ChatGone(b.Config.AdminChat, chat, reason, b.now())
		})
	}
	return b.commit(u, nil)
}

// displayName is how a person is named in records and messages: first and
// last name without invisible or direction-changing characters (a right-to-
// left override could make it read as someone else), else @username.
func displayName(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	name := feeds.CleanName(u.FirstName + " " + u.LastName)
	if name == "" && u.UserName != "" {
		name = "@" + u.UserName
	}
	return name
}
