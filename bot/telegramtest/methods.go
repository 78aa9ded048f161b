package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// method is one Bot API method the fake serves.
type method struct {
	name string
	fn   func(s *Server, ctx context.Context, p url.Values, files map[string]upload) (any, *apiError)
}

// methods is keyed by lower-case name: Telegram matches method names case-insensitively.
var methods = map[string]method{}

func init() {
	for _, m := range []method{
		{"getMe", (*Server).getMe},
		{"getUpdates", (*Server).getUpdates},
		{"sendMessage", (*Server).sendMessage},
		{"editMessageText", (*Server).editMessageText},
		{"editMessageReplyMarkup", (*Server).editMessageReplyMarkup},
		{"answerCallbackQuery", (*Server).answerCallbackQuery},
		{"copyMessage", (*Server).copyMessage},
		{"sendDocument", (*Server).sendDocument},
		{"sendPhoto", (*Server).sendPhoto},
		{"getChatMember", (*Server).getChatMember},
		{"deleteMessage", (*Server).deleteMessage},
		{"setMyCommands", (*Server).setMyCommands},
		{"getChat", (*Server).getChat},
		{"sendChatAction", (*Server).sendChatAction},
		{"deleteWebhook", (*Server).acknowledge},
		{"getWebhookInfo", (*Server).getWebhookInfo},
	} {
		methods[strings.ToLower(m.name)] = m
	}
}

const (
	maxText    = 4096 // UTF-16 code units of a message text after entity parsing
	maxCaption = 1024 // and of a caption
)

func (s *Server) getMe(context.Context, url.Values, map[string]upload) (any, *apiError) {
	return s.bot, nil
}

func (s *Server) acknowledge(context.Context, url.Values, map[string]upload) (any, *apiError) {
	return true, nil
}

func (s *Server) getWebhookInfo(context.Context, url.Values, map[string]upload) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return tgbotapi.WebhookInfo{PendingUpdateCount: len(s.updates)}, nil
}

// getUpdates is a real long poll: it confirms the updates below offset, then answers at
// once if any are left, or waits up to timeout seconds for one. A newer getUpdates ends
// a waiting one with 409 Conflict, as Telegram does when two instances poll.
func (s *Server) getUpdates(ctx context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	offset, _ := strconv.Atoi(p.Get("offset"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.ParseFloat(p.Get("timeout"), 64)
	deadline := time.Now().Add(time.Duration(max(timeout, 0) * float64(time.Second)))

	s.mu.Lock()
	s.poll++
	gen := s.poll
	s.notifyLocked()
	var timer *time.Timer
	for {
		// The offset confirms the updates below it when the request comes
		// and again whenever it wakes while waiting: Telegram never
		// returns an update numbered below the offset (after a week of
		// silence it numbers the next at random).
		if s.poll == gen {
			s.confirmLocked(offset)
		}
		switch {
		case s.poll != gen:
			s.mu.Unlock()
			return nil, &apiError{code: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		case s.down:
			s.mu.Unlock()
			return nil, &apiError{hangup: true}
		case len(s.updates) > 0 || !time.Now().Before(deadline):
			out := make([]tgbotapi.Update, min(limit, len(s.updates)))
			copy(out, s.updates)
			s.mu.Unlock()
			return out, nil
		}
		changed := s.changed
		s.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
			defer timer.Stop()
		}
		select {
		case <-changed:
		case <-timer.C:
		case <-ctx.Done():
			return nil, &apiError{gone: true}
		case <-s.done:
			return nil, &apiError{gone: true}
		}
		s.mu.Lock()
	}
}

// confirmLocked forgets the updates before offset; a negative offset keeps only the
// last -offset updates, as the Bot API documents.
func (s *Server) confirmLocked(offset int) {
	drop := 0
	switch {
	case offset > 0:
		for drop < len(s.updates) && s.updates[drop].UpdateID < offset {
			drop++
		}
	case offset < 0:
		drop = max(len(s.updates)+offset, 0)
	}
	if drop > 0 {
		s.updates = append(s.updates[:0:0], s.updates[drop:]...)
		s.notifyLocked()
	}
}

// content is a text or caption read from a request.
type content struct {
	raw       string
	parseMode string
	plain     string
	entities  []tgbotapi.MessageEntity
}

// readText parses text as Telegram does for parse_mode or explicit entities. Only HTML
// is parsed; Markdown and MarkdownV2 are taken as plain text.
func (s *Server) readText(raw, parseMode, entities string) (content, *apiError) {
	c := content{raw: raw, parseMode: parseMode, plain: raw}
	if !validUTF8(raw) {
		return c, badRequest("strings must be encoded in UTF-8")
	}
	if entities != "" {
		// tgbotapi sends "null" for no entities; only a non-empty list wins over parse_mode.
		if err := json.Unmarshal([]byte(entities), &c.entities); err != nil {
			return c, badRequest("can't parse entities JSON object")
		}
	}
	switch {
	case len(c.entities) > 0:
	case strings.EqualFold(parseMode, "HTML"):
		plain, ents, err := parseHTML(raw, !s.lenient)
		if err != nil {
			return c, badRequest("can't parse entities: " + err.Error())
		}
		c.plain, c.entities = plain, ents
	case parseMode == "", strings.EqualFold(parseMode, "Markdown"), strings.EqualFold(parseMode, "MarkdownV2"):
	default:
		return c, badRequest("unsupported parse_mode")
	}
	c.plain, c.entities = trimText(c.plain, c.entities)
	return c, nil
}

// readKeyboard reads reply_markup: the inline keyboard when it is one, nil for the other
// kinds or none.
func readKeyboard(raw string) (*tgbotapi.InlineKeyboardMarkup, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var probe struct {
		InlineKeyboard *[][]tgbotapi.InlineKeyboardButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if probe.InlineKeyboard == nil || len(*probe.InlineKeyboard) == 0 {
		return nil, nil
	}
	for _, row := range *probe.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > 64) {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
			if b.CallbackData == nil && b.URL == nil && b.LoginURL == nil && b.SwitchInlineQuery == nil &&
				b.SwitchInlineQueryCurrentChat == nil && b.CallbackGame == nil && !b.Pay {
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
		}
	}
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: *probe.InlineKeyboard}, nil
}

// replyTarget checks reply_to_message_id against the chat.
func replyTarget(c *chat, p url.Values) (int, *apiError) {
	id, _ := strconv.Atoi(p.Get("reply_to_message_id"))
	if id == 0 {
		return 0, nil
	}
	if m := c.msgs[id]; m == nil || m.deleted {
		if p.Get("allow_sending_without_reply") == "true" {
			return 0, nil
		}
		return 0, badRequest("message to be replied not found")
	}
	return id, nil
}

func (s *Server) sendMessage(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	text, kb, err := s.readTextAndKeyboard(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.writableLocked(p.Get("chat_id"))
	if err != nil {
		return nil, err
	}
	if text.plain == "" {
		return nil, errTextEmpty
	}
	if utf16LenString(text.plain) > maxText {
		return nil, errTooLong
	}
	replyTo, err := replyTarget(c, p)
	if err != nil {
		return nil, err
	}
	m := s.addLocked(c, &message{fromBot: true, from: s.bot, text: text.plain, entities: text.entities, keyboard: kb, replyTo: replyTo})
	s.recordSentLocked(c, Sent{
		ChatID: c.info.ID, MessageID: m.id, Method: "sendMessage",
		Text: text.raw, ParseMode: text.parseMode, Plain: text.plain, Entities: text.entities,
		Keyboard: kb, ReplyMarkup: p.Get("reply_markup"), ReplyToMessageID: replyTo,
		DisableNotification: p.Get("disable_notification") == "true",
		DisableWebPreview:   p.Get("disable_web_page_preview") == "true",
		Time:                time.Now(),
	})
	s.notifyLocked()
	return s.wireLocked(c, m, true), nil
}

// readTextAndKeyboard reads the text, parse mode and keyboard that
// sendMessage and editMessageText share.
func (s *Server) readTextAndKeyboard(p url.Values) (content, *tgbotapi.InlineKeyboardMarkup, *apiError) {
	if p.Get("text") == "" {
		return content{}, nil, errTextEmpty
	}
	text, err := s.readText(p.Get("text"), p.Get("parse_mode"), p.Get("entities"))
	if err != nil {
		return content{}, nil, err
	}
	kb, err := readKeyboard(p.Get("reply_markup"))
	if err != nil {
		return content{}, nil, err
	}
	return text, kb, nil
}

// editTarget finds the bot message an edit names.
func (s *Server) editTargetLocked(p url.Values) (*chat, *message, *apiError) {
	if p.Get("chat_id") == "" && p.Get("inline_message_id") != "" {
		return nil, nil, errEditNotFound // inline messages are not faked
	}
	c, err := s.writableLocked(p.Get("chat_id"))
	if err != nil {
		return nil, nil, err
	}
	id, _ := strconv.Atoi(p.Get("message_id"))
	m := c.msgs[id]
	if m == nil || m.deleted {
		return nil, nil, errEditNotFound
	}
	if !m.fromBot {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

// editMessageText replaces the text and the keyboard: an edit without reply_markup
// removes the keyboard, as in Telegram.
func (s *Server) editMessageText(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	text, kb, err := s.readTextAndKeyboard(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTargetLocked(p)
	if err != nil {
		return nil, err
	}
	if m.document != nil {
		return nil, badRequest("there is no text in the message to edit")
	}
	if text.plain == "" {
		return nil, errTextEmpty
	}
	if utf16LenString(text.plain) > maxText {
		return nil, errTooLong
	}
	if m.text == text.plain && sameEntities(m.entities, text.entities) && reflect.DeepEqual(m.keyboard, kb) {
		return nil, errNotModified
	}
	before := m.text
	m.text, m.entities, m.keyboard, m.editDate = text.plain, text.entities, kb, int(time.Now().Unix())
	s.recordEditLocked(c, m, before, func(sent *Sent) {
		sent.Text, sent.ParseMode, sent.Plain, sent.Entities = text.raw, text.parseMode, text.plain, text.entities
		sent.Keyboard, sent.ReplyMarkup = kb, p.Get("reply_markup")
	})
	return s.wireLocked(c, m, true), nil
}

// editMessageReplyMarkup replaces only the keyboard; no reply_markup removes it.
func (s *Server) editMessageReplyMarkup(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	kb, err := readKeyboard(p.Get("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.editTargetLocked(p)
	if err != nil {
		return nil, err
	}
	if reflect.DeepEqual(m.keyboard, kb) {
		return nil, errNotModified
	}
	m.keyboard, m.editDate = kb, int(time.Now().Unix())
	s.recordEditLocked(c, m, m.text, func(sent *Sent) {
		sent.Keyboard, sent.ReplyMarkup = kb, p.Get("reply_markup")
	})
	return s.wireLocked(c, m, true), nil
}

func (s *Server) recordEditLocked(c *chat, m *message, before string, apply func(*Sent)) {
	if k, ok := c.sentIdx[m.id]; ok {
		sent := &c.sent[k]
		apply(sent)
		sent.Edits++
		c.edits = append(c.edits, Edit{
			ChatID: c.info.ID, MessageID: m.id, Text: sent.Text, ParseMode: sent.ParseMode, Plain: sent.Plain,
			Keyboard: m.keyboard, Before: before, Time: time.Now(),
		})
	}
	s.notifyLocked()
}

func sameEntities(a, b []tgbotapi.MessageEntity) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// query is a callback query made by PressButton, waiting for its answer.
type query struct {
	from     tgbotapi.User
	chatID   int64
	msgID    int
	data     string
	answered bool
}

// answerCallbackQuery accepts one answer per query; Telegram refuses a second one (and
// a made-up id) as too old.
func (s *Server) answerCallbackQuery(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	id := p.Get("callback_query_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[id]
	if q == nil || q.answered {
		return nil, errQueryInvalid
	}
	q.answered = true
	cache, _ := strconv.Atoi(p.Get("cache_time"))
	s.answers = append(s.answers, CallbackAnswer{
		QueryID: id, Text: p.Get("text"), ShowAlert: p.Get("show_alert") == "true", URL: p.Get("url"),
		CacheTime: cache, Time: time.Now(), From: q.from, ChatID: q.chatID, MessageID: q.msgID, Data: q.data,
	})
	s.notifyLocked()
	return true, nil
}

// copyMessage copies a message (a user's text or document, or the bot's own) and answers
// only its new id, as Telegram does.
func (s *Server) copyMessage(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	var caption *content
	if p.Has("caption") {
		c, err := s.readText(p.Get("caption"), p.Get("parse_mode"), p.Get("caption_entities"))
		if err != nil {
			return nil, err
		}
		caption = &c
	}
	kb, err := readKeyboard(p.Get("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	to, err := s.writableLocked(p.Get("chat_id"))
	if err != nil {
		return nil, err
	}
	if p.Get("from_chat_id") == "" {
		return nil, errChatNotFound
	}
	from, err := s.resolveLocked(p.Get("from_chat_id"))
	if err != nil {
		return nil, err
	}
	srcID, _ := strconv.Atoi(p.Get("message_id"))
	src := from.msgs[srcID]
	if src == nil || src.deleted {
		return nil, badRequest("message to copy not found")
	}
	if src.migrateTo != 0 || src.migrateFrom != 0 {
		return nil, badRequest("message can't be copied")
	}
	replyTo, err := replyTarget(to, p)
	if err != nil {
		return nil, err
	}
	m := &message{fromBot: true, from: s.bot, text: src.text, entities: src.entities,
		caption: src.caption, captionEntities: src.captionEntities, document: src.document, keyboard: kb, replyTo: replyTo}
	sent := Sent{
		ChatID: to.info.ID, Method: "copyMessage", Text: src.text, Plain: src.text, Entities: src.entities,
		Keyboard: kb, ReplyMarkup: p.Get("reply_markup"), ReplyToMessageID: replyTo,
		DisableNotification: p.Get("disable_notification") == "true", Time: time.Now(),
		CopiedFrom: &MessageRef{ChatID: from.info.ID, MessageID: srcID},
	}
	if src.document != nil {
		sent.DocumentName = src.document.FileName
		sent.Text, sent.Plain = src.caption, src.caption
		if caption != nil {
			if utf16LenString(caption.plain) > maxCaption {
				return nil, errCaptionLong
			}
			m.caption, m.captionEntities = caption.plain, caption.entities
			sent.Text, sent.ParseMode, sent.Plain, sent.Entities = caption.raw, caption.parseMode, caption.plain, caption.entities
		}
	}
	s.addLocked(to, m)
	sent.MessageID = m.id
	s.recordSentLocked(to, sent)
	s.notifyLocked()
	return tgbotapi.MessageID{MessageID: m.id}, nil
}

// sendDocument takes the file from a multipart part named "document", or a file_id or
// URL in the parameter of that name.
func (s *Server) sendDocument(_ context.Context, p url.Values, files map[string]upload) (any, *apiError) {
	return s.sendFile(p, files, "document", "sendDocument")
}

// sendPhoto is sendDocument for a picture (part or parameter "photo"); it is recorded
// among the chat's documents with its MIME type.
func (s *Server) sendPhoto(_ context.Context, p url.Values, files map[string]upload) (any, *apiError) {
	return s.sendFile(p, files, "photo", "sendPhoto")
}

func (s *Server) sendFile(p url.Values, files map[string]upload, field, method string) (any, *apiError) {
	up, uploaded := files[field]
	ref := p.Get(field)
	if !uploaded && ref == "" {
		return nil, badRequest("there is no " + field + " in the request")
	}
	caption, err := s.readText(p.Get("caption"), p.Get("parse_mode"), p.Get("caption_entities"))
	if err != nil {
		return nil, err
	}
	kb, err := readKeyboard(p.Get("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.writableLocked(p.Get("chat_id"))
	if err != nil {
		return nil, err
	}
	if utf16LenString(caption.plain) > maxCaption {
		return nil, errCaptionLong
	}
	replyTo, err := replyTarget(c, p)
	if err != nil {
		return nil, err
	}
	var doc tgbotapi.Document
	switch known, ok := s.files[ref]; {
	case uploaded:
		doc = s.newFileLocked(up.name, up.mime, len(up.data))
	case ok:
		doc = known
	default:
		name := ref
		if u, err := url.Parse(ref); err == nil && u.Scheme != "" {
			name = u.Path[strings.LastIndex(u.Path, "/")+1:]
		}
		doc = s.newFileLocked(name, "application/octet-stream", 0)
	}
	m := s.addLocked(c, &message{fromBot: true, from: s.bot, caption: caption.plain, captionEntities: caption.entities,
		document: &doc, keyboard: kb, replyTo: replyTo})
	now := time.Now()
	s.recordSentLocked(c, Sent{
		ChatID: c.info.ID, MessageID: m.id, Method: method,
		Text: caption.raw, ParseMode: caption.parseMode, Plain: caption.plain, Entities: caption.entities,
		Keyboard: kb, ReplyMarkup: p.Get("reply_markup"), ReplyToMessageID: replyTo,
		DisableNotification: p.Get("disable_notification") == "true", Time: now, DocumentName: doc.FileName,
	})
	d := Document{ChatID: c.info.ID, MessageID: m.id, FileName: doc.FileName, MIMEType: doc.MimeType,
		Caption: caption.raw, ParseMode: caption.parseMode, Time: now}
	if uploaded {
		d.Data = up.data
	} else {
		d.FileID = ref
	}
	c.documents = append(c.documents, d)
	s.notifyLocked()
	return s.wireLocked(c, m, true), nil
}

// newFileLocked makes up the ids Telegram gives a new file.
func (s *Server) newFileLocked(name, mimeType string, size int) tgbotapi.Document {
	s.nextFile++
	doc := tgbotapi.Document{
		FileID:       fmt.Sprintf("BQACAgIAAxkBAAFAKE%06d", s.nextFile),
		FileUniqueID: fmt.Sprintf("AgADFAKE%06d", s.nextFile),
		FileName:     name, MimeType: mimeType, FileSize: size,
	}
	s.files[doc.FileID] = doc
	return doc
}

// getChatMember answers the status SetMember set (member by default). The bot's own
// status follows AddBot, RemoveBot and Kick.
func (s *Server) getChatMember(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveLocked(p.Get("chat_id"))
	if err != nil {
		return nil, err
	}
	if c.migratedTo != 0 {
		return nil, &apiError{code: 400, desc: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: c.migratedTo}
	}
	if c.kicked && c.info.Type != "private" {
		return nil, kickedError(c.info.Type)
	}
	userID, perr := strconv.ParseInt(p.Get("user_id"), 10, 64)
	if perr != nil || userID <= 0 {
		return nil, badRequest("invalid user_id specified")
	}
	status, ok := c.members[userID]
	if !ok {
		status = "member"
	}
	user, ok := s.users[userID]
	switch {
	case userID == s.bot.ID:
		user = s.bot
	case !ok:
		user = tgbotapi.User{ID: userID, FirstName: fmt.Sprintf("User %d", userID)}
	}
	m := tgbotapi.ChatMember{User: &user, Status: status, IsMember: status != "left" && status != "kicked"}
	if status == "administrator" || status == "creator" {
		m.CanManageChat, m.CanDeleteMessages, m.CanRestrictMembers, m.CanInviteUsers, m.CanPinMessages =
			true, true, true, true, true
	}
	return m, nil
}

func (s *Server) deleteMessage(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.writableLocked(p.Get("chat_id"))
	if err != nil {
		return nil, err
	}
	id, _ := strconv.Atoi(p.Get("message_id"))
	m := c.msgs[id]
	if m == nil || m.deleted {
		return nil, badRequest("message to delete not found")
	}
	m.deleted = true
	if k, ok := c.sentIdx[id]; ok {
		c.sent[k].Deleted = true
	}
	s.notifyLocked()
	return true, nil
}

// botCommand is what Telegram accepts as a command name.
var botCommand = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	var cmds []tgbotapi.BotCommand
	if err := json.Unmarshal([]byte(p.Get("commands")), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	for _, c := range cmds {
		if !botCommand.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands = cmds
	s.notifyLocked()
	return true, nil
}

func (s *Server) getChat(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveLocked(p.Get("chat_id"))
	if err != nil {
		return nil, err
	}
	if c.kicked && c.info.Type != "private" {
		return nil, kickedError(c.info.Type)
	}
	return c.info, nil
}

func (s *Server) sendChatAction(_ context.Context, p url.Values, _ map[string]upload) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.writableLocked(p.Get("chat_id")); err != nil {
		return nil, err
	}
	return true, nil
}
