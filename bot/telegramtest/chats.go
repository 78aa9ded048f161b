package telegramtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// chat is everything the fake knows about one chat.
type chat struct {
	info       tgbotapi.Chat
	registered bool // introduced by the test, for WithKnownChatsOnly
	nextID     int
	msgs       map[int]*message // every message, the bot's and the users'
	sent       []Sent           // the bot's messages, in order
	sentIdx    map[int]int      // message id → index in sent
	edits      []Edit
	documents  []Document
	members    map[int64]string
	kicked     bool
	deleted    bool
	migratedTo int64
}

// message is a stored message, from which the wire Message is built on demand.
type message struct {
	id              int
	fromBot         bool
	from            tgbotapi.User
	date            int
	text            string
	entities        []tgbotapi.MessageEntity
	caption         string
	captionEntities []tgbotapi.MessageEntity
	document        *tgbotapi.Document
	keyboard        *tgbotapi.InlineKeyboardMarkup
	replyTo         int
	editDate        int
	deleted         bool
	migrateTo       int64
	migrateFrom     int64
}

// inferChat gives a chat seen only by id the type Telegram's id ranges imply: users are
// positive, basic groups small negative, supergroups and channels -100….
func inferChat(id int64) tgbotapi.Chat {
	switch {
	case id > 0:
		return tgbotapi.Chat{ID: id, Type: "private", FirstName: fmt.Sprintf("User %d", id)}
	case id <= -1000000000000:
		return tgbotapi.Chat{ID: id, Type: "supergroup", Title: fmt.Sprintf("Supergroup %d", id)}
	default:
		return tgbotapi.Chat{ID: id, Type: "group", Title: fmt.Sprintf("Group %d", id)}
	}
}

// chatLocked returns the state of chatID, creating it on first sight.
func (s *Server) chatLocked(id int64) *chat {
	c := s.chats[id]
	if c == nil {
		info := inferChat(id)
		if u, ok := s.users[id]; ok && id > 0 {
			info.FirstName, info.LastName, info.UserName = u.FirstName, u.LastName, u.UserName
		}
		c = &chat{info: info, nextID: 1, msgs: make(map[int]*message), sentIdx: make(map[int]int), members: make(map[int64]string)}
		s.chats[id] = c
	}
	return c
}

// introduceLocked registers a chat the test named, keeping what the fake knew of it.
func (s *Server) introduceLocked(info tgbotapi.Chat) *chat {
	c := s.chatLocked(info.ID)
	if info.Type == "" {
		info.Type = c.info.Type
	}
	if info.Title == "" && info.FirstName == "" {
		info.Title, info.FirstName = c.info.Title, c.info.FirstName
	}
	c.info = tgbotapi.Chat{
		ID: info.ID, Type: info.Type, Title: info.Title, UserName: info.UserName,
		FirstName: info.FirstName, LastName: info.LastName,
	}
	c.registered = true
	return c
}

func (s *Server) rememberLocked(u tgbotapi.User) {
	if u.ID != 0 {
		s.users[u.ID] = u
	}
}

// resolveLocked finds the chat a request names by chat_id: a number or an @username.
func (s *Server) resolveLocked(param string) (*chat, *apiError) {
	if param == "" {
		return nil, errChatIDEmpty
	}
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil {
		if name, ok := strings.CutPrefix(param, "@"); ok {
			for _, c := range s.chats {
				if c.info.UserName != "" && strings.EqualFold(c.info.UserName, name) && !c.deleted {
					return c, nil
				}
			}
		}
		return nil, errChatNotFound
	}
	if id == 0 || (s.strictChats && (s.chats[id] == nil || !s.chats[id].registered)) {
		return nil, errChatNotFound
	}
	c := s.chatLocked(id)
	if c.deleted {
		return nil, errChatNotFound
	}
	return c, nil
}

// writableLocked resolves the chat of a request that posts or changes messages and
// refuses it as Telegram does when the chat was upgraded or the bot is out of it.
func (s *Server) writableLocked(param string) (*chat, *apiError) {
	c, err := s.resolveLocked(param)
	if err != nil {
		return nil, err
	}
	if c.migratedTo != 0 {
		return nil, &apiError{code: 400, desc: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: c.migratedTo}
	}
	if c.kicked {
		return nil, kickedError(c.info.Type)
	}
	return c, nil
}

func kickedError(chatType string) *apiError {
	switch chatType {
	case "private":
		return &apiError{code: 403, desc: "Forbidden: bot was blocked by the user"}
	case "", "group":
		return &apiError{code: 403, desc: "Forbidden: bot was kicked from the group chat"}
	default:
		return &apiError{code: 403, desc: "Forbidden: bot was kicked from the " + chatType + " chat"}
	}
}

// addLocked stores a new message in c with the chat's next id.
func (s *Server) addLocked(c *chat, m *message) *message {
	m.id = c.nextID
	c.nextID++
	if m.date == 0 {
		m.date = int(time.Now().Unix())
	}
	c.msgs[m.id] = m
	return m
}

// recordSentLocked files a bot message under Messages.
func (s *Server) recordSentLocked(c *chat, sent Sent) {
	c.sentIdx[sent.MessageID] = len(c.sent)
	c.sent = append(c.sent, sent)
	s.allSent = append(s.allSent, MessageRef{ChatID: c.info.ID, MessageID: sent.MessageID})
}

// wireLocked builds the Message Telegram would return for m; withReply adds the message
// it replies to, itself without a reply, as Telegram nests only one level.
func (s *Server) wireLocked(c *chat, m *message, withReply bool) tgbotapi.Message {
	info := c.info
	from := m.from
	out := tgbotapi.Message{
		MessageID:         m.id,
		From:              &from,
		Date:              m.date,
		Chat:              &info,
		Text:              m.text,
		Entities:          slices.Clone(m.entities),
		Caption:           m.caption,
		CaptionEntities:   slices.Clone(m.captionEntities),
		EditDate:          m.editDate,
		MigrateToChatID:   m.migrateTo,
		MigrateFromChatID: m.migrateFrom,
		ReplyMarkup:       cloneKeyboard(m.keyboard),
	}
	if m.document != nil {
		d := *m.document
		out.Document = &d
	}
	if withReply && m.replyTo != 0 {
		if r := c.msgs[m.replyTo]; r != nil {
			rm := s.wireLocked(c, r, false)
			out.ReplyToMessage = &rm
		}
	}
	return out
}
