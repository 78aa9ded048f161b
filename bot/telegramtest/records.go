package telegramtest

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Sent is a message the bot put into a chat (sendMessage, copyMessage or sendDocument), as
// the chat shows it now: an accepted edit changes Text, Plain and Keyboard, and deleting
// it sets Deleted. Tests read it instead of parsing request bodies.
type Sent struct {
	ChatID    int64
	MessageID int
	// Method is the Bot API method that created the message.
	Method string
	// Text is the text (or document caption) as the bot wrote it, markup included.
	Text      string
	ParseMode string
	// Plain is what the user reads: Text after entity parsing and Telegram's trimming.
	Plain    string
	Entities []tgbotapi.MessageEntity
	// Keyboard is the inline keyboard under the message, nil when there is none.
	Keyboard *tgbotapi.InlineKeyboardMarkup
	// ReplyMarkup is the raw reply_markup JSON of the last send or edit, for the other
	// keyboard kinds.
	ReplyMarkup         string
	ReplyToMessageID    int
	DisableNotification bool
	DisableWebPreview   bool
	Time                time.Time
	// CopiedFrom is the original message of a copyMessage.
	CopiedFrom *MessageRef
	// DocumentName is the file name of a sent or copied document.
	DocumentName string
	// Edits counts the accepted edits; Edits(chatID) has their history.
	Edits   int
	Deleted bool
}

// Code returns the text of the message's code entities, in order: what it
// tells people to type, for a test to type back.
func (s Sent) Code() []string {
	units := utf16.Encode([]rune(s.Plain))
	var out []string
	for _, e := range s.Entities {
		if e.Type == "code" && e.Offset+e.Length <= len(units) {
			out = append(out, string(utf16.Decode(units[e.Offset:e.Offset+e.Length])))
		}
	}
	return out
}

// CallbackData lists the callback_data of the message's inline buttons, row by row, so a
// test can find the button it wants to press.
func (s Sent) CallbackData() []string {
	var out []string
	if s.Keyboard == nil {
		return nil
	}
	for _, row := range s.Keyboard.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil {
				out = append(out, *b.CallbackData)
			}
		}
	}
	return out
}

// MessageRef names a message by chat and id.
type MessageRef struct {
	ChatID    int64
	MessageID int
}

// Edit is one accepted editMessageText, kept in order so tests can check the history of
// a message (an alert turning into "acknowledged by …").
type Edit struct {
	ChatID    int64
	MessageID int
	Text      string
	ParseMode string
	Plain     string
	// Keyboard is the keyboard after the edit: nil when the edit omitted reply_markup,
	// which removes the keyboard in Telegram.
	Keyboard *tgbotapi.InlineKeyboardMarkup
	// Before is the visible text the edit replaced.
	Before string
	Time   time.Time
}

// Request is one HTTP request the fake received with a valid path, successful or not.
type Request struct {
	Method string
	Params url.Values
	Time   time.Time
	// Status is the HTTP status answered: 0 while the request is still being served, -1
	// when the fake closed the connection instead (Down, Fault.Hangup), 499 when the
	// client went away first.
	Status int
	// Description is the error description answered, empty on success.
	Description string
}

// CallbackAnswer is one answerCallbackQuery, with the query it answered.
type CallbackAnswer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
	Time      time.Time
	// The pressed button: who, where and its data.
	From      tgbotapi.User
	ChatID    int64
	MessageID int
	Data      string
}

// Document is a document the bot sent with sendDocument.
type Document struct {
	ChatID    int64
	MessageID int
	FileName  string
	MIMEType  string
	// Data is the uploaded content; nil when the bot passed a file_id or URL (FileID).
	Data      []byte
	FileID    string
	Caption   string
	ParseMode string
	Time      time.Time
}

// Messages returns a copy of the messages the bot sent to chatID, in order; chatID 0
// returns those of every chat in the order they were accepted.
func (s *Server) Messages(chatID int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID)
}

func (s *Server) messagesLocked(chatID int64) []Sent {
	if chatID == 0 {
		out := make([]Sent, 0, len(s.allSent))
		for _, ref := range s.allSent {
			c := s.chats[ref.ChatID]
			out = append(out, cloneSent(c.sent[c.sentIdx[ref.MessageID]]))
		}
		return out
	}
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Sent, len(c.sent))
	for k, m := range c.sent {
		out[k] = cloneSent(m)
	}
	return out
}

// Message returns one sent message of the bot as it is now.
func (s *Server) Message(chatID int64, messageID int) (Sent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return Sent{}, false
	}
	k, ok := c.sentIdx[messageID]
	if !ok {
		return Sent{}, false
	}
	return cloneSent(c.sent[k]), true
}

// Edits returns a copy of the accepted edits in chatID, oldest first.
func (s *Server) Edits(chatID int64) []Edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Edit, len(c.edits))
	for k, e := range c.edits {
		e.Keyboard = cloneKeyboard(e.Keyboard)
		out[k] = e
	}
	return out
}

// Documents returns a copy of the documents the bot sent to chatID.
func (s *Server) Documents(chatID int64) []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Document, len(c.documents))
	for k, d := range c.documents {
		d.Data = slices.Clone(d.Data)
		out[k] = d
	}
	return out
}

// CallbackAnswers returns a copy of every answerCallbackQuery accepted, in order.
func (s *Server) CallbackAnswers() []CallbackAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answers)
}

// Requests returns a copy of the requests for method (case-insensitive), or of all
// requests when method is "", in arrival order.
func (s *Server) Requests(method string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "" {
		out := make([]Request, len(s.requests))
		for k, r := range s.requests {
			out[k] = cloneRequest(r)
		}
		return out
	}
	idx := s.byMethod[strings.ToLower(method)]
	out := make([]Request, len(idx))
	for k, i := range idx {
		out[k] = cloneRequest(s.requests[i])
	}
	return out
}

// Commands returns the command list of the last accepted setMyCommands.
func (s *Server) Commands() []tgbotapi.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// SendTimes returns when each message (sendMessage, copyMessage, sendDocument) was
// accepted in chatID, or in every chat for 0, oldest first: the raw data of a rate-limit
// check.
func (s *Server) SendTimes(chatID int64) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if chatID == 0 {
		out := make([]time.Time, 0, len(s.allSent))
		for _, ref := range s.allSent {
			c := s.chats[ref.ChatID]
			out = append(out, c.sent[c.sentIdx[ref.MessageID]].Time)
		}
		return out
	}
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]time.Time, len(c.sent))
	for k, m := range c.sent {
		out[k] = m.Time
	}
	return out
}

// MaxSendsWithin returns the largest number of messages accepted in chatID (0: all
// chats) within any interval of length window, so a test can assert the sender kept to
// Telegram's limits (about one message a second per chat, twenty a minute per group,
// thirty a second overall).
func (s *Server) MaxSendsWithin(chatID int64, window time.Duration) int {
	return MostWithin(s.SendTimes(chatID), window)
}

// MostWithin returns the largest number of times within any interval of
// length window (it sorts times), so that a test of pacing without the
// server counts as the server does.
func MostWithin(times []time.Time, window time.Duration) int {
	sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// PendingUpdates is the number of updates not yet confirmed by a getUpdates offset.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

func cloneSent(m Sent) Sent {
	m.Keyboard = cloneKeyboard(m.Keyboard)
	m.Entities = slices.Clone(m.Entities)
	if m.CopiedFrom != nil {
		ref := *m.CopiedFrom
		m.CopiedFrom = &ref
	}
	return m
}

func cloneRequest(r Request) Request {
	r.Params = cloneValues(r.Params)
	return r
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// cloneKeyboard deep-copies a keyboard, whose buttons hold pointers.
func cloneKeyboard(k *tgbotapi.InlineKeyboardMarkup) *tgbotapi.InlineKeyboardMarkup {
	if k == nil {
		return nil
	}
	out := &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: make([][]tgbotapi.InlineKeyboardButton, len(k.InlineKeyboard))}
	for r, row := range k.InlineKeyboard {
		out.InlineKeyboard[r] = make([]tgbotapi.InlineKeyboardButton, len(row))
		for c, b := range row {
			b.URL = clonePtr(b.URL)
			b.CallbackData = clonePtr(b.CallbackData)
			b.SwitchInlineQuery = clonePtr(b.SwitchInlineQuery)
			b.SwitchInlineQueryCurrentChat = clonePtr(b.SwitchInlineQueryCurrentChat)
			if b.LoginURL != nil {
				l := *b.LoginURL
				b.LoginURL = &l
			}
			if b.CallbackGame != nil {
				b.CallbackGame = &tgbotapi.CallbackGame{}
			}
			out.InlineKeyboard[r][c] = b
		}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
