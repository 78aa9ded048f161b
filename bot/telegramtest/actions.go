package telegramtest

import (
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// NewUser makes a human user for a test. Usernames are ASCII in Telegram: the name,
// lower-cased, when it is plain ASCII ("Alice" → "alice"), else "user<id>".
func NewUser(id int64, firstName string) tgbotapi.User {
	lossy := false
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == ' ':
			return '_'
		}
		lossy = true
		return -1
	}, firstName)
	if lossy || name == "" {
		name = "user" + strconv.FormatInt(id, 10)
	}
	return tgbotapi.User{ID: id, FirstName: firstName, UserName: name, LanguageCode: "vi"}
}

// PrivateChat is the private chat between the bot and u; its id is the user's.
func PrivateChat(u tgbotapi.User) tgbotapi.Chat {
	return tgbotapi.Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, LastName: u.LastName, UserName: u.UserName}
}

// Group is a basic group; Telegram gives those small negative ids.
func Group(id int64, title string) tgbotapi.Chat {
	return tgbotapi.Chat{ID: id, Type: "group", Title: title}
}

// Supergroup is a supergroup; Telegram gives those ids below -1000000000000.
func Supergroup(id int64, title string) tgbotapi.Chat {
	return tgbotapi.Chat{ID: id, Type: "supergroup", Title: title}
}

// AddChat makes a chat known with its type and title (for getChat and
// WithKnownChatsOnly) without any update.
func (s *Server) AddChat(chat tgbotapi.Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.introduceLocked(chat)
	s.notifyLocked()
}

// Enqueue queues any update for getUpdates, giving it the next update_id, for the
// kinds the other actions do not make.
func (s *Server) Enqueue(u tgbotapi.Update) tgbotapi.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enqueueLocked(u)
}

func (s *Server) enqueueLocked(u tgbotapi.Update) tgbotapi.Update {
	s.nextUpdate++
	u.UpdateID = s.nextUpdate
	s.updates = append(s.updates, u)
	s.notifyLocked()
	return u
}

// SendText has from write text in chat and queues the update. A text starting with a
// command gets the bot_command entity Telegram adds, which tgbotapi's Message.Command
// needs.
func (s *Server) SendText(chat tgbotapi.Chat, from tgbotapi.User, text string) tgbotapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(chat, from, &message{text: text, entities: commandEntities(text)})
}

// SendTextWithEntities is SendText with more entities than the command's:
// a text_mention, which Telegram sets when a member is picked from the
// group's list and has no @username (offsets in UTF-16 code units).
func (s *Server) SendTextWithEntities(chat tgbotapi.Chat, from tgbotapi.User, text string, entities ...tgbotapi.MessageEntity) tgbotapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userMessageLocked(chat, from, &message{text: text, entities: append(commandEntities(text), entities...)})
}

// Reply has from answer message replyTo of chat (the bot's or a user's); the update's
// reply_to_message is the stored message.
func (s *Server) Reply(chat tgbotapi.Chat, from tgbotapi.User, replyTo int, text string) tgbotapi.Message {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat.ID]
	if c == nil || c.msgs[replyTo] == nil {
		s.tb.Fatalf("telegramtest: Reply: chat %d has no message %d", chat.ID, replyTo)
	}
	return s.userMessageLocked(chat, from, &message{text: text, entities: commandEntities(text), replyTo: replyTo})
}

// SendDocument has from post a document with a caption in chat, a message for the bot
// to copyMessage.
func (s *Server) SendDocument(chat tgbotapi.Chat, from tgbotapi.User, caption string) tgbotapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := s.newFileLocked("report.pdf", "application/pdf", 2048)
	return s.userMessageLocked(chat, from, &message{caption: caption, document: &doc})
}

// ReplyDocument has from answer message replyTo of chat with a document and a caption
// (a photo or file attached to an earlier message).
func (s *Server) ReplyDocument(chat tgbotapi.Chat, from tgbotapi.User, replyTo int, caption string) tgbotapi.Message {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chat.ID]
	if c == nil || c.msgs[replyTo] == nil {
		s.tb.Fatalf("telegramtest: ReplyDocument: chat %d has no message %d", chat.ID, replyTo)
	}
	doc := s.newFileLocked("evidence.pdf", "application/pdf", 4096)
	return s.userMessageLocked(chat, from, &message{caption: caption, document: &doc, replyTo: replyTo})
}

func (s *Server) userMessageLocked(chat tgbotapi.Chat, from tgbotapi.User, m *message) tgbotapi.Message {
	c := s.introduceLocked(chat)
	s.rememberLocked(from)
	m.from = from
	s.addLocked(c, m)
	queued := s.wireLocked(c, m, true)
	if c.info.Type == "channel" {
		s.enqueueLocked(tgbotapi.Update{ChannelPost: &queued})
	} else {
		s.enqueueLocked(tgbotapi.Update{Message: &queued})
	}
	return s.wireLocked(c, m, true)
}

// commandEntities is the bot_command entity Telegram sets on a text that starts with
// "/name" or "/name@bot".
func commandEntities(text string) []tgbotapi.MessageEntity {
	word := func(c byte) bool { return isAlnum(c) || c == '_' }
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	i := 1
	for i < len(text) && i <= 32 && word(text[i]) {
		i++
	}
	if i == 1 {
		return nil
	}
	if i < len(text) && text[i] == '@' {
		j := i + 1
		for j < len(text) && word(text[j]) {
			j++
		}
		if j > i+1 {
			i = j
		}
	}
	return []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: i}}
}

// PressButton has from press the inline button with callback data under the bot's
// message, queues the callback_query (its message is the stored message as it is now)
// and returns the query id for answerCallbackQuery. It fails the test when the message
// has no such button; ForgeCallback sends data no button carries.
func (s *Server) PressButton(chatID int64, messageID int, from tgbotapi.User, data string) string {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.botMessageLocked("PressButton", chatID, messageID)
	found := false
	if m.keyboard != nil {
		for _, row := range m.keyboard.InlineKeyboard {
			for _, b := range row {
				found = found || b.CallbackData != nil && *b.CallbackData == data
			}
		}
	}
	if !found {
		s.tb.Fatalf("telegramtest: PressButton: message %d in chat %d has no button with data %q; it has %q",
			messageID, chatID, data, c.sent[c.sentIdx[messageID]].CallbackData())
	}
	return s.callbackLocked(c, m, from, data)
}

// ForgeCallback is PressButton without the check that a button carries data, for tests
// of what a tampering client can send.
func (s *Server) ForgeCallback(chatID int64, messageID int, from tgbotapi.User, data string) string {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m := s.botMessageLocked("ForgeCallback", chatID, messageID)
	return s.callbackLocked(c, m, from, data)
}

func (s *Server) botMessageLocked(action string, chatID int64, messageID int) (*chat, *message) {
	s.tb.Helper()
	c := s.chats[chatID]
	if c == nil {
		s.tb.Fatalf("telegramtest: %s: chat %d has no messages", action, chatID)
	}
	m := c.msgs[messageID]
	if m == nil || !m.fromBot || m.deleted {
		s.tb.Fatalf("telegramtest: %s: chat %d has no message %d from the bot", action, chatID, messageID)
	}
	return c, m
}

func (s *Server) callbackLocked(c *chat, m *message, from tgbotapi.User, data string) string {
	s.rememberLocked(from)
	s.nextQuery++
	id := strconv.FormatInt(4300000000000000000+int64(s.nextQuery), 10)
	s.queries[id] = &query{from: from, chatID: c.info.ID, msgID: m.id, data: data}
	msg := s.wireLocked(c, m, true)
	u := from
	s.enqueueLocked(tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{
		ID: id, From: &u, Message: &msg, ChatInstance: strconv.FormatInt(-c.info.ID*7919, 10), Data: data,
	}})
	return id
}

// AddBot has by add the bot to chat (or, in a private chat, unblock it) and queues the
// my_chat_member update; it also ends a Kick.
func (s *Server) AddBot(chat tgbotapi.Chat, by tgbotapi.User) tgbotapi.ChatMemberUpdated {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.introduceLocked(chat)
	old := c.members[s.bot.ID]
	if old == "" {
		old = "left"
		if c.info.Type == "private" {
			old = "kicked"
		}
	}
	c.kicked = false
	return s.botStatusLocked(c, by, old, "member")
}

// RemoveBot has by remove the bot from chat (block it, in a private chat) and queues
// the my_chat_member update: "left" in a basic group, "kicked" elsewhere. Sends to the
// chat then fail as after Kick.
func (s *Server) RemoveBot(chat tgbotapi.Chat, by tgbotapi.User) tgbotapi.ChatMemberUpdated {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.introduceLocked(chat)
	old := c.members[s.bot.ID]
	if old == "" {
		old = "member"
	}
	status := "kicked"
	if c.info.Type == "group" {
		status = "left"
	}
	c.kicked = true
	return s.botStatusLocked(c, by, old, status)
}

func (s *Server) botStatusLocked(c *chat, by tgbotapi.User, old, status string) tgbotapi.ChatMemberUpdated {
	s.rememberLocked(by)
	c.members[s.bot.ID] = status
	member := func(status string) tgbotapi.ChatMember {
		bot := s.bot
		return tgbotapi.ChatMember{User: &bot, Status: status, IsMember: status != "left" && status != "kicked"}
	}
	upd := tgbotapi.ChatMemberUpdated{
		Chat: c.info, From: by, Date: int(time.Now().Unix()),
		OldChatMember: member(old), NewChatMember: member(status),
	}
	queued := upd
	queued.OldChatMember, queued.NewChatMember = member(old), member(status)
	s.enqueueLocked(tgbotapi.Update{MyChatMember: &queued})
	return upd
}

// Migrate upgrades group oldID to supergroup newID as Telegram does: it queues the
// service message with migrate_to_chat_id in the old chat and the one with
// migrate_from_chat_id in the new chat, and from then on requests to oldID fail with 400
// "Bad Request: group chat was upgraded to a supergroup chat" and
// parameters.migrate_to_chat_id. Members carry over.
func (s *Server) Migrate(oldID, newID int64) (inOld, inNew tgbotapi.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.chatLocked(oldID)
	admin := tgbotapi.User{ID: 1000000001, FirstName: "Group Admin", UserName: "group_admin"}
	for id, status := range old.members {
		if u, ok := s.users[id]; ok && status == "creator" {
			admin = u
		}
	}
	m1 := s.addLocked(old, &message{from: admin, migrateTo: newID})
	c := s.introduceLocked(tgbotapi.Chat{ID: newID, Type: "supergroup", Title: old.info.Title})
	for id, status := range old.members {
		c.members[id] = status
	}
	c.kicked = old.kicked
	m2 := s.addLocked(c, &message{from: admin, migrateFrom: oldID})
	old.migratedTo = newID
	q1, q2 := s.wireLocked(old, m1, false), s.wireLocked(c, m2, false)
	s.enqueueLocked(tgbotapi.Update{Message: &q1})
	s.enqueueLocked(tgbotapi.Update{Message: &q2})
	return s.wireLocked(old, m1, false), s.wireLocked(c, m2, false)
}

// SetMember sets what getChatMember answers for userID in chatID: "creator",
// "administrator", "member", "restricted", "left" or "kicked".
func (s *Server) SetMember(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(chatID).members[userID] = status
	s.notifyLocked()
}
