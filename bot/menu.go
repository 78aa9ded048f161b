package bot

import (
	"context"
	"log/slog"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// agencyMenu and staffMenu are the commands Telegram offers when a user
// types "/": agencies see theirs everywhere, the department's chat sees
// its own as well.
var (
	agencyMenu = []string{"ack", "done", "pending", "subscribe", "filter", "incident", "duty", "contacts", "unsubscribe", "id", "help"}
	staffMenu  = []string{"report", "overdue", "alerts", "agencies", "queue", "approve", "reject", "broadcast", "export", "audit", "sources", "source", "incidents", "tag", "untag", "tags", "summary", "dashboard", "forget"}
)

// RegisterCommands publishes the command menu (setMyCommands). A failure
// is logged, not fatal: the commands work without a menu.
func (b *Bot) RegisterCommands(ctx context.Context) {
	menu := func(names []string) []tgbotapi.BotCommand {
		out := make([]tgbotapi.BotCommand, len(names))
		for i, n := range names {
			out[i] = tgbotapi.BotCommand{Command: n, Description: b.Render.T("menu." + n)}
		}
		return out
	}
	agency := menu(agencyMenu)
	requests := []tgbotapi.SetMyCommandsConfig{tgbotapi.NewSetMyCommands(agency...)}
	if b.Config.AdminChat != 0 {
		requests = append(requests, tgbotapi.NewSetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(b.Config.AdminChat),
			append(menu(staffMenu), agency...)...))
	}
	for _, r := range requests {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := b.API.Call(c, r)
		cancel()
		if err != nil {
			b.Log.Warn("setMyCommands", slog.String("error", err.Error()))
		}
	}
}
