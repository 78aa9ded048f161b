package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// anonymousAdmin is the user Telegram shows as the sender of messages
// that a group's administrators post anonymously.
const anonymousAdmin = 1087968824

// request is one command being handled.
type request struct {
	u     tgbotapi.Update
	m     *tgbotapi.Message
	cmd   string
	args  string
	from  *tgbotapi.User
	chat  int64
	admin bool // the sender is department staff
	// mute drops the answers (not the actions) of a command sent too
	// often; see noiseLimits.
	mute bool
	// after runs once the handler's transaction committed.
	after func()
}

// reply queues html as an answer to the command, unless the noise limits
// muted it.
func (q *request) reply(tx *store.Tx, html ...string) error {
	if q.mute {
		return nil
	}
	return q.replyAlways(tx, html...)
}

// replyAlways queues html even when muted: the confirmation of a new
// subscription request, which a chat can cause only once.
func (q *request) replyAlways(tx *store.Tx, html ...string) error {
	for _, h := range html {
		if err := tx.Answer(q.chat, q.from.ID, q.admin, q.m.MessageID, h); err != nil {
			return err
		}
	}
	return nil
}

// who is the sender's name as stored in acknowledgements and notices.
func (q *request) who() string { return displayName(q.from) }

// handler handles a command. It may call Telegram first (getChatMember);
// what it changes and answers happens in the transaction it returns.
type handler func(ctx context.Context, q *request) func(tx *store.Tx) error

// access says who may use a command.
type access int

const (
	anyone access = iota
	// staff: department admins, anywhere.
	staff
	// staffView: department admins, in the department chat or a private
	// chat, since the answer shows other agencies.
	staffView
	// staffChecked: department admins; the handler refuses others itself
	// so that the refusal is audited.
	staffChecked
)

type command struct {
	run    handler
	access access
	help   string // catalog key of its line in /help
}

func (b *Bot) commands() map[string]command {
	return map[string]command{
		"start":       {b.cmdHelp, anyone, ""},
		"help":        {b.cmdHelp, anyone, "cmd.help"},
		"subscribe":   {b.cmdSubscribe, anyone, "cmd.subscribe"},
		"unsubscribe": {b.cmdUnsubscribe, anyone, "cmd.unsubscribe"},
		"ack":         {b.cmdAck, anyone, "cmd.ack"},
		"done":        {b.cmdDone, anyone, "cmd.done"},
		"pending":     {b.cmdPending, anyone, "cmd.pending"},
		"id":          {b.cmdID, anyone, "cmd.id"},
		"approve":     {b.cmdDecide(store.ChatApproved), staff, "cmd.approve"},
		"reject":      {b.cmdDecide(store.ChatRejected), staff, ""},
		"report":      {b.cmdReport, staffView, "cmd.report"},
		"agencies":    {b.cmdAgencies, staffView, "cmd.agencies"},
		"alerts":      {b.cmdAlerts, staffView, "cmd.alerts"},
		"overdue":     {b.cmdOverdue, staffView, "cmd.overdue"},
		"queue":       {b.cmdQueue, staffView, "cmd.queue"},
		"broadcast":   {b.cmdBroadcast, staffView, "cmd.broadcast"},
		"export":      {b.cmdExport, staffView, "cmd.export"},
		"audit":       {b.cmdAudit, staffView, "cmd.audit"},
		"filter":      {b.cmdFilter, anyone, "cmd.filter"},
		"sources":     {b.cmdSources, staffView, "cmd.sources"},
		"source":      {b.cmdSource, staffView, ""},
		"contacts":    {b.cmdContacts, anyone, "cmd.contacts"},
		"tag":         {b.cmdTag, staff, "cmd.tag"},
		"untag":       {b.cmdUntag, staff, ""},
		"tags":        {b.cmdTags, staffView, ""},
		"incident":    {b.cmdIncident, anyone, "cmd.incident"},
		"suco":        {b.cmdIncident, anyone, ""},
		"incidents":   {b.cmdIncidents, staffView, "cmd.incidents"},
		"duty":        {b.cmdDuty, anyone, "cmd.duty"},
		"forget":      {b.cmdForget, staffView, "cmd.forget"},
		"dashboard":   {b.cmdDashboard, staffChecked, "cmd.dashboard"},
		"summary":     {b.cmdSummary, staffView, "cmd.summary"},
	}
}

// helpOrder is the order of /help.
var helpOrder = []string{"subscribe", "ack", "done", "pending", "incident", "duty", "filter", "contacts", "unsubscribe", "id", "help",
	"approve", "tag", "incidents", "report", "agencies", "alerts", "queue", "overdue", "broadcast", "export", "audit", "sources", "summary", "dashboard", "forget"}

func (b *Bot) isAdmin(id int64) bool { return slices.Contains(b.Config.AdminIDs, id) }

func (b *Bot) onMessage(ctx context.Context, u tgbotapi.Update) error {
	m := u.Message
	switch {
	case m.MigrateToChatID != 0:
		return b.commit(u, func(tx *store.Tx) error {
			return tx.MigrateChat(b.Config.AdminChat, m.Chat.ID, m.MigrateToChatID, b.now())
		})
	case m.MigrateFromChatID != 0:
		return b.commit(u, func(tx *store.Tx) error {
			return tx.MigrateChat(b.Config.AdminChat, m.MigrateFromChatID, m.Chat.ID, b.now())
		})
	case m.From == nil:
		return b.commit(u, nil) // a post with no sender
	case !m.IsCommand() && b.repliesToIncident(m):
		return b.onReplyToBot(ctx, u) // an answer, an update or an attachment
	case !m.IsCommand() && m.ReplyToMessage != nil:
		return b.onReply(ctx, u) // maybe an acknowledgement or a note
	case !m.IsCommand():
		return b.commit(u, nil) // chatter
	}
	name := strings.ToLower(m.Command())
	if at := m.CommandWithAt(); strings.Contains(at, "@") && b.Username != "" &&
		!strings.EqualFold(at[strings.IndexByte(at, '@')+1:], b.Username) {
		return b.commit(u, nil) // another bot's command
	}
	q := &request{u: u, m: m, cmd: name, args: strings.TrimSpace(m.CommandArguments()), from: m.From,
		chat: m.Chat.ID}
	if m.From != nil {
		q.admin = b.isAdmin(m.From.ID)
	}
	var v verdict
	if !q.admin && q.chat != b.Config.AdminChat {
		// A command replying to a message is about that message: "/ack"
		// under one card and then under another are two commands.
		text := m.Text
		if m.ReplyToMessage != nil {
			text += " ↩" + strconv.Itoa(m.ReplyToMessage.MessageID)
		}
		v = b.noise.admit(q.chat, q.from.ID, text, b.subscribed(q.chat), b.now())
		switch v {
		case drop:
			return b.commit(u, nil)
		case mute, slowDown:
			q.mute = true
		}
	}
	if err := b.dispatch(ctx, q); err != nil {
		return err
	}
	if v == slowDown {
		// A separate transaction: the command is recorded as handled
		// already, and losing this request to slow down costs nothing.
		err := b.Store.Update(func(tx *store.Tx) error {
			return q.replyAlways(tx, b.Render.T("err.slow_down"))
		})
		if err == nil && b.Sender != nil {
			b.Sender.Wake()
		}
		return err
	}
	return nil
}

// subscribed reports whether chat is an approved subscriber.
func (b *Bot) subscribed(chat int64) bool {
	var c store.Chat
	_ = b.Store.View(func(tx *store.Tx) (err error) { c, _, err = tx.Chat(chat); return err })
	return c.Status == store.ChatApproved
}

// dispatch runs the command of q.
func (b *Bot) dispatch(ctx context.Context, q *request) error {
	u, m, name := q.u, q.m, q.cmd
	c, ok := b.commands()[name]
	if !ok {
		// In a group, a bare unknown command may be meant for another bot.
		addressed := m.Chat.IsPrivate() || m.Chat.ID == b.Config.AdminChat || strings.Contains(m.CommandWithAt(), "@")
		if !addressed {
			return b.commit(u, nil)
		}
		return b.commit(u, func(tx *store.Tx) error { return q.reply(tx, b.Render.T("err.unknown_cmd")) })
	}
	switch {
	case c.access != anyone && c.access != staffChecked && !q.admin:
		return b.commit(u, func(tx *store.Tx) error { return q.reply(tx, b.Render.T("err.admin_only")) })
	case c.access == staffView && !m.Chat.IsPrivate() && m.Chat.ID != b.Config.AdminChat:
		return b.commit(u, func(tx *store.Tx) error { return q.reply(tx, b.Render.T("err.private_only")) })
	}
	if err := b.commit(u, c.run(ctx, q)); err != nil {
		return err
	}
	if q.after != nil {
		q.after()
	}
	return nil
}

// repliesToIncident reports whether a person's message replies to one of
// the bot's own messages about an incident (a question of a guided
// report, a card, a confirmation, an update naming SC-7), which Telegram
// delivers even in privacy mode.
func (b *Bot) repliesToIncident(m *tgbotapi.Message) bool {
	p := m.ReplyToMessage
	if m.From == nil || p == nil || p.From == nil || !p.From.IsBot ||
		b.Username != "" && !strings.EqualFold(p.From.UserName, b.Username) {
		return false
	}
	if _, _, prompt := letter.PromptStep(p.Text); prompt {
		return true
	}
	if letter.IncidentRef(p.Text+p.Caption) == 0 {
		return false
	}
	// An alert's own title or a department letter may name "SC-4200":
	// a message the store knows as one about alerts is never an incident's.
	var aboutAlerts bool
	if err := b.Store.View(func(tx *store.Tx) (err error) {
		_, aboutAlerts, err = repliedAlerts(tx, m)
		return err
	}); err != nil {
		b.Log.Warn("read replied message", "error", err.Error())
	}
	return !aboutAlerts
}

func (b *Bot) cmdHelp(_ context.Context, q *request) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		cmds := b.commands()
		lines := []string{b.Render.T("help.intro"), "", b.Render.T("help.agency")}
		for _, name := range helpOrder {
			c, ok := cmds[name]
			if !ok || c.help == "" || c.access != anyone {
				continue
			}
			lines = append(lines, b.Render.T(c.help))
		}
		if q.admin {
			lines = append(lines, "", b.Render.T("help.admin"))
			for _, name := range helpOrder {
				if c, ok := cmds[name]; ok && c.help != "" && c.access != anyone {
					lines = append(lines, b.Render.T(c.help))
				}
			}
		}
		return q.reply(tx, Lines(lines)...)
	}
}

func (b *Bot) cmdSubscribe(_ context.Context, q *request) func(tx *store.Tx) error {
	agency := cutText(feeds.CleanName(q.args), 120)
	now := b.now()
	return func(tx *store.Tx) error {
		c, known, err := tx.Chat(q.chat)
		if err != nil {
			return err
		}
		switch {
		case known && c.Status == store.ChatApproved:
			return q.reply(tx, b.Render.T("sub.already", Esc(c.Name())))
		case known && c.Status == store.ChatPending:
			return q.reply(tx, b.Render.T("sub.already_pending"))
		case known && c.Status == store.ChatRejected && now.Before(c.DecidedAt.Add(resubscribeAfter)):
			return q.reply(tx, b.Render.T("sub.rejected_wait", b.Render.Date(c.DecidedAt.Add(resubscribeAfter))))
		case known && c.Status == store.ChatGone && c.GoneFrom == store.ChatApproved:
			c.Status, c.GoneReason, c.GoneFrom = store.ChatApproved, "", ""
			if agency != "" {
				c.Agency = agency
			}
			if err := tx.PutChat(c); err != nil {
				return err
			}
			if err := tx.Notify(b.Config.AdminChat, store.Notice{Event: store.EventRestored, ChatID: c.ID, Agency: c.Name(), At: now}, false); err != nil {
				return err
			}
			return q.reply(tx, b.Render.T("sub.restored", Esc(c.Name())))
		case agency == "" && c.Agency == "":
			return q.reply(tx, b.Render.T("sub.usage"))
		case agency == "":
			agency = c.Agency // subscribing again after /unsubscribe
		}
		c.ID, c.Agency, c.Status = q.chat, agency, store.ChatPending
		c.Title, c.Type = feeds.CleanName(q.m.Chat.Title), q.m.Chat.Type
		if c.Title == "" {
			c.Title = displayName(q.from)
		}
		c.RequestedBy, c.RequestedByName, c.RequestedAt = q.from.ID, q.who(), now
		c.GoneReason, c.GoneFrom = "", ""
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if err := tx.Notify(b.Config.AdminChat, store.Notice{Event: store.EventSubscribeRequest, ChatID: c.ID,
			Agency: agency, UserID: q.from.ID, UserName: q.who(), Detail: c.Title, At: now}, false); err != nil {
			return err
		}
		q.after = func() { b.noise.answered(q.chat, now) }
		return q.replyAlways(tx, b.Render.T("sub.pending", Esc(agency)))
	}
}

// resubscribeAfter is how long a rejected chat waits before it may ask
// again, so that a rejected group cannot flood the department with
// requests.
const resubscribeAfter = 24 * time.Hour

// isChatAdmin asks Telegram whether the sender administers the chat. In a
// private chat the sender owns it.
func (b *Bot) isChatAdmin(ctx context.Context, q *request) (bool, error) {
	if q.m.Chat.IsPrivate() {
		return true, nil
	}
	if q.from.ID == anonymousAdmin && q.m.SenderChat != nil && q.m.SenderChat.ID == q.chat {
		return true, nil
	}
	// The update loop waits for this answer: bound it.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	raw, err := b.API.Call(ctx, tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: q.chat, UserID: q.from.ID}})
	if err != nil {
		return false, err
	}
	var member tgbotapi.ChatMember
	if err := json.Unmarshal(raw, &member); err != nil {
		return false, err
	}
	return member.IsCreator() || member.IsAdministrator(), nil
}

func (b *Bot) cmdUnsubscribe(ctx context.Context, q *request) func(tx *store.Tx) error {
	allowed := q.admin
	if !allowed {
		ok, err := b.isChatAdmin(ctx, q)
		if err != nil {
			b.Log.Warn("getChatMember", "chat", q.chat, "error", err.Error())
			return func(tx *store.Tx) error { return q.reply(tx, b.Render.T("err.internal")) }
		}
		allowed = ok
	}
	now := b.now()
	return func(tx *store.Tx) error {
		if !allowed {
			return q.reply(tx, b.Render.T("err.chat_admin"))
		}
		c, known, err := tx.Chat(q.chat)
		if err != nil {
			return err
		}
		if !known || c.Status == store.ChatUnsubscribed || c.Status == store.ChatRejected {
			return q.reply(tx, b.Render.T("err.not_subscribed"))
		}
		c.Status = store.ChatUnsubscribed
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if _, err := tx.CancelQueued(b.Config.AdminChat, c.ID, "unsubscribed", now); err != nil {
			return err
		}
		if err := tx.Notify(b.Config.AdminChat, store.Notice{Event: store.EventUnsubscribed, ChatID: c.ID,
			Agency: c.Name(), UserID: q.from.ID, UserName: q.who(), At: now}, false); err != nil {
			return err
		}
		return q.reply(tx, b.Render.T("sub.unsubscribed"))
	}
}

// cmdDecide approves or rejects a chat's request: /approve <chat_id>,
// or /approve <chat_id> tag1 tag2 to tag it at once.
func (b *Bot) cmdDecide(to store.ChatStatus) handler {
	return func(_ context.Context, q *request) func(tx *store.Tx) error {
		args := strings.Fields(q.args)
		return func(tx *store.Tx) error {
			first := ""
			if len(args) > 0 {
				first = args[0]
			}
			id, err := parseChatID(first)
			if err != nil {
				return q.reply(tx, b.Render.T("err.bad_chat", Esc(q.args)))
			}
			tags, bad := parseTags(args[1:])
			if len(bad) > 0 {
				return q.reply(tx, b.Render.T("tag.bad", Esc(strings.Join(bad, " "))))
			}
			c, known, err := tx.Chat(id)
			if err != nil {
				return err
			}
			msg, err := b.decide(tx, id, to, q.from, q.chat)
			if err != nil {
				return err
			}
			if known && c.MigratedTo == 0 && b.readsOtherAgency(q, id) {
				// The department's chat is told with the name (decide).
				msg = b.Render.T("admin.decided_elsewhere", id)
			}
			if err := q.reply(tx, msg); err != nil {
				return err
			}
			if c, known, err := tx.Chat(id); err != nil || !known || len(tags) == 0 || c.Status != store.ChatApproved {
				return err
			}
			return b.retag(&request{u: q.u, m: q.m, from: q.from, chat: q.chat, admin: q.admin,
				args: strings.Join(args, " ")}, true)(tx)
		}
	}
}

// decide moves a chat to approved or rejected, tells the group, records
// the decision in the audit log and edits the request in the department's
// chat (buttons removed, who decided and when). It returns the answer for
// the admin; the department's chat is told separately only when the
// decision was made elsewhere (a private chat), so that a decision made in
// it is answered once.
func (b *Bot) decide(tx *store.Tx, chatID int64, to store.ChatStatus, admin *tgbotapi.User, where int64) (string, error) {
	r := b.Render
	c, known, err := tx.Chat(chatID)
	if err != nil {
		return "", err
	}
	if !known || c.MigratedTo != 0 {
		return r.T("err.no_chat", chatID), nil
	}
	if c.Status == to {
		return r.T("admin.already", Esc(c.Name()), c.ID, r.T("status."+string(c.Status))), nil
	}
	now := b.now()
	c.Status, c.DecidedBy, c.DecidedByName, c.DecidedAt = to, admin.ID, displayName(admin), now
	c.GoneReason, c.GoneFrom = "", ""
	if err := tx.PutChat(c); err != nil {
		return "", err
	}
	if c.RequestMessage != 0 && b.Config.AdminChat != 0 {
		if _, err := tx.Enqueue(store.Outgoing{Kind: store.OutEdit, ChatID: b.Config.AdminChat, EditMessageID: c.RequestMessage,
			Created: now}); err != nil {
			return "", err
		}
	}
	event, groupMsg, answer := store.EventApproved, r.T("sub.approved_group", Esc(c.Name())), r.T("admin.approved", Esc(c.Name()), c.ID)
	if to == store.ChatRejected {
		event, groupMsg, answer = store.EventRejected, r.T("sub.rejected_group"), r.T("admin.rejected", Esc(c.Name()), c.ID)
		if _, err := tx.CancelQueued(b.Config.AdminChat, c.ID, "rejected", now); err != nil {
			return "", err
		}
	}
	if err := tx.Reply(c.ID, 0, groupMsg); err != nil {
		return "", err
	}
	if err := tx.Audit(store.AuditEntry{At: now, UserID: admin.ID, UserName: displayName(admin), Action: event,
		Detail: fmt.Sprintf("%s (%d)", c.Name(), c.ID)}); err != nil {
		return "", err
	}
	if where == b.Config.AdminChat {
		return answer, nil
	}
	if err := tx.Notify(b.Config.AdminChat, store.Notice{Event: event, ChatID: c.ID, Agency: c.Name(),
		UserID: admin.ID, UserName: displayName(admin), At: now}, false); err != nil {
		return "", err
	}
	return answer, nil
}

// cmdID tells the ids people need for the configuration: the chat's (for
// CANHBAO_ADMIN_CHAT_ID) and the sender's (for CANHBAO_ADMIN_IDS).
func (b *Bot) cmdID(_ context.Context, q *request) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		return q.reply(tx, b.Render.T("id", q.chat, q.from.ID))
	}
}

func (b *Bot) cmdPending(_ context.Context, q *request) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		alerts, err := tx.Unacked(q.chat)
		if err != nil {
			return err
		}
		return q.reply(tx, b.Render.Pending(alerts)...)
	}
}

func (b *Bot) cmdReport(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	tag, arg, tagOK := tagArg(q.args)
	return func(tx *store.Tx) error {
		id, ok := parseID(arg)
		if !ok || !tagOK {
			return q.reply(tx, b.Render.T("err.bad_id", Esc(q.args)))
		}
		rep, err := tx.Report(id)
		if store.IsNotFound(err) {
			return q.reply(tx, b.Render.T("err.no_alert", id))
		}
		if err != nil {
			return err
		}
		text, attached := b.Render.ReportMessage(rep.ForTag(tag), now)
		if err := q.reply(tx, text); err != nil || !attached {
			return err
		}
		// The full list, for the department's records and follow-up.
		_, err = tx.Enqueue(store.Outgoing{Kind: store.OutDocument, ChatID: q.chat, ReplyTo: q.m.MessageID,
			Export: &store.ExportQuery{AlertID: id, Tag: tag, Format: FormatXLSX}, Text: b.Render.T("report.file_caption", id), Created: now})
		return err
	}
}

func (b *Bot) cmdAgencies(_ context.Context, q *request) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		return q.reply(tx, b.Render.Agencies(chats)...)
	}
}

func (b *Bot) cmdAlerts(_ context.Context, q *request) func(tx *store.Tx) error {
	return func(tx *store.Tx) error {
		alerts, err := tx.RecentAlerts(20)
		if err != nil {
			return err
		}
		lines := make([]AlertLine, len(alerts))
		for i, a := range alerts {
			c, err := tx.Counts(a.ID)
			if err != nil {
				return err
			}
			lines[i] = AlertLine{Alert: a, Counts: c}
		}
		return q.reply(tx, b.Render.Alerts(lines)...)
	}
}

func parseChatID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("bad chat id %q", s)
	}
	return id, nil
}
