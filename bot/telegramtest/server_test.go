package telegramtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

var (
	alice = NewUser(1001, "Alice")
	bob   = NewUser(1002, "Bob")
	soc   = Group(-4001, "SOC")
)

// apiError asserts err is Telegram's error with that code and description.
func wantAPIError(t *testing.T, err error, code int, desc string) *tgbotapi.Error {
	t.Helper()
	var tgErr *tgbotapi.Error
	if !errors.As(err, &tgErr) {
		t.Fatalf("error = %v (%T), want *tgbotapi.Error %d %q", err, err, code, desc)
	}
	if tgErr.Code != code || tgErr.Message != desc {
		t.Fatalf("error = %d %q, want %d %q", tgErr.Code, tgErr.Message, code, desc)
	}
	return tgErr
}

func TestGetMe(t *testing.T) {
	s := New(t)
	bot := s.Client()
	if bot.Self.UserName != "canhbao_test_bot" || !bot.Self.IsBot || bot.Self.ID != s.Bot().ID {
		t.Errorf("Self = %+v", bot.Self)
	}
	if !strings.HasPrefix(s.Token(), fmt.Sprint(bot.Self.ID)+":") {
		t.Errorf("token %q does not start with the bot id", s.Token())
	}
}

func TestWrongTokenAndUnknownMethod(t *testing.T) {
	s := New(t)
	_, err := tgbotapi.NewBotAPIWithAPIEndpoint("123:wrong", s.Endpoint())
	wantAPIError(t, err, 401, "Unauthorized")

	_, err = s.Client().MakeRequest("sendMesage", nil)
	wantAPIError(t, err, 404, "Not Found")
}

func TestLongPollDeliversAndConfirms(t *testing.T) {
	s := New(t)
	bot := s.Client()

	type result struct {
		updates []tgbotapi.Update
		err     error
		took    time.Duration
	}
	done := make(chan result)
	go func() {
		start := time.Now()
		u, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		done <- result{u, err, time.Since(start)}
	}()
	s.WaitRequests(t, "getUpdates", 1, 5*time.Second)
	sent := s.SendText(soc, alice, "/subscribe@canhbao_test_bot high")

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.took > 5*time.Second || len(r.updates) != 1 {
		t.Fatalf("got %d updates after %v", len(r.updates), r.took)
	}
	msg := r.updates[0].Message
	if msg == nil || msg.MessageID != sent.MessageID || msg.Chat.ID != soc.ID || msg.From.ID != alice.ID {
		t.Fatalf("update = %+v", r.updates[0])
	}
	if msg.Command() != "subscribe" || msg.CommandArguments() != "high" {
		t.Errorf("Command() = %q, arguments %q", msg.Command(), msg.CommandArguments())
	}

	// Unconfirmed, it comes again; confirmed by offset, it is gone for good.
	again, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(again) != 1 {
		t.Fatalf("without offset: %d updates, %v", len(again), err)
	}
	next := r.updates[0].UpdateID + 1
	if u, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: next}); err != nil || len(u) != 0 {
		t.Fatalf("with offset: %d updates, %v", len(u), err)
	}
	if u, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil || len(u) != 0 {
		t.Fatalf("after confirming: %d updates, %v", len(u), err)
	}
	if s.PendingUpdates() != 0 {
		t.Errorf("PendingUpdates = %d", s.PendingUpdates())
	}
}

func TestLongPollTimesOutAndLimits(t *testing.T) {
	s := New(t)
	bot := s.Client()
	start := time.Now()
	u, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 1})
	if err != nil || len(u) != 0 {
		t.Fatalf("%d updates, %v", len(u), err)
	}
	if took := time.Since(start); took < 900*time.Millisecond || took > 3*time.Second {
		t.Errorf("a 1s poll took %v", took)
	}
	for i := range 5 {
		s.SendText(soc, alice, fmt.Sprint("msg ", i))
	}
	u, err = bot.GetUpdates(tgbotapi.UpdateConfig{Limit: 2})
	if err != nil || len(u) != 2 || u[1].UpdateID != u[0].UpdateID+1 {
		t.Fatalf("limit 2: %+v, %v", u, err)
	}
}

// An update numbered below the offset never comes back, also when it
// arrives while the poll waits (Telegram numbers the first update after a
// week of silence at random, possibly below the offset the bot holds).
func TestLongPollNeverReturnsAnUpdateBelowItsOffset(t *testing.T) {
	s := New(t)
	bot := s.Client()
	got := make(chan []tgbotapi.Update, 1)
	go func() {
		u, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: 900000000, Timeout: 1})
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	s.WaitFor(t, 5*time.Second, func() bool { return len(s.Requests("getUpdates")) == 1 }, "the poll")
	time.Sleep(100 * time.Millisecond) // the poll is waiting
	s.SendText(soc, alice, "/id")      // numbered far below 900000000
	if u := <-got; len(u) != 0 {
		t.Fatalf("the poll returned %d updates below its offset: %+v", len(u), u)
	}
}

// The client's context ends the poll at once, on the server too.
func TestLongPollHonoursCancel(t *testing.T) {
	s := New(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf(s.Endpoint(), s.Token(), "getUpdates"),
		strings.NewReader("timeout=30"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	s.WaitRequests(t, "getUpdates", 1, 5*time.Second)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	s.WaitFor(t, 2*time.Second, func() bool { return s.Requests("getUpdates")[0].Status == 499 },
		"the server to see the poll abandoned")
}

func TestSecondPollerGetsConflict(t *testing.T) {
	s := New(t)
	first := make(chan error, 1)
	go func() {
		_, err := s.Client().GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		first <- err
	}()
	s.WaitRequests(t, "getUpdates", 1, 5*time.Second)
	second := s.Client()
	if _, err := second.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, <-first, 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
}

func TestSendMessageValidation(t *testing.T) {
	s := New(t)
	bot := s.Client()
	long := strings.Repeat("😀", 2048) // 4096 UTF-16 code units
	tests := map[string]struct {
		text, mode string
		err        string // "" for success
		plain      string
	}{
		"good tags": {text: `<b>Cảnh báo</b> <i>cao</i> <a href="https://x.vn/a?b=1&amp;c=2">CVE</a> <code>id</code>`,
			mode: "HTML", plain: "Cảnh báo cao CVE id"},
		"escaped": {text: "a &lt;b&gt; &amp; c", mode: "HTML", plain: "a <b> & c"},
		"script": {text: "<script>alert(1)</script>", mode: "HTML",
			err: `Bad Request: can't parse entities: Unsupported start tag "script" at byte offset 0`},
		"bare ampersand": {text: "Tom & Jerry", mode: "HTML",
			err: "Bad Request: can't parse entities: Unsupported HTML entity at byte offset 4 (a bare '&' must be written &amp;)"},
		"unclosed": {text: "<b>bold", mode: "HTML",
			err: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`},
		"misnested": {text: "<b><i>x</b></i>", mode: "HTML",
			err: `Bad Request: can't parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		"no parse mode keeps markup": {text: "<script> & co", plain: "<script> & co"},
		"4096 units":                 {text: long, plain: long},
		"4097 units with emoji":      {text: long + "a", err: "Bad Request: message is too long"},
		"4097 after parsing":         {text: "<b>" + long + "</b>!", mode: "HTML", err: "Bad Request: message is too long"},
		"escapes count once":         {text: strings.Repeat("&lt;", 4096), mode: "HTML", plain: strings.Repeat("<", 4096)},
		"empty":                      {text: "", err: "Bad Request: message text is empty"},
		"empty after parsing":        {text: "<b> </b>\n", mode: "HTML", err: "Bad Request: message text is empty"},
		"unknown parse mode":         {text: "x", mode: "Plain", err: "Bad Request: unsupported parse_mode"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := tgbotapi.NewMessage(soc.ID, tt.text)
			cfg.ParseMode = tt.mode
			msg, err := bot.Send(cfg)
			if tt.err != "" {
				wantAPIError(t, err, 400, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg.Text != tt.plain || msg.Chat.ID != soc.ID || msg.From.ID != s.Bot().ID || msg.Date == 0 {
				t.Errorf("message = %+v", msg)
			}
			got, ok := s.Message(soc.ID, msg.MessageID)
			if !ok || got.Text != tt.text || got.Plain != tt.plain || got.ParseMode != tt.mode || got.Method != "sendMessage" {
				t.Errorf("recorded = %+v", got)
			}
		})
	}
}

func TestSendMessageChatErrors(t *testing.T) {
	s := New(t)
	bot := s.Client()
	_, err := bot.Send(tgbotapi.NewMessage(0, "x"))
	wantAPIError(t, err, 400, "Bad Request: chat_id is empty")

	s.DeleteChat(-4002)
	_, err = bot.Send(tgbotapi.NewMessage(-4002, "x"))
	wantAPIError(t, err, 400, "Bad Request: chat not found")

	_, err = bot.Send(tgbotapi.MessageConfig{BaseChat: tgbotapi.BaseChat{ChatID: soc.ID, ReplyToMessageID: 99}, Text: "x"})
	wantAPIError(t, err, 400, "Bad Request: message to be replied not found")

	strict := New(t, WithKnownChatsOnly())
	_, err = strict.Client().Send(tgbotapi.NewMessage(soc.ID, "x"))
	wantAPIError(t, err, 400, "Bad Request: chat not found")
	strict.AddChat(soc)
	if _, err := strict.Client().Send(tgbotapi.NewMessage(soc.ID, "x")); err != nil {
		t.Fatal(err)
	}
}

func TestMessageIDsAreSequentialPerChat(t *testing.T) {
	s := New(t)
	bot := s.Client()
	other := Supergroup(-1001234567890, "CERT")
	var wg sync.WaitGroup
	for i := range 20 {
		for _, c := range []int64{soc.ID, other.ID} {
			wg.Go(func() {
				if _, err := bot.Send(tgbotapi.NewMessage(c, fmt.Sprint("alert ", i))); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, c := range []int64{soc.ID, other.ID} {
		sent := s.WaitMessages(t, c, 20, time.Second)
		for k, m := range sent {
			if m.MessageID != k+1 {
				t.Fatalf("chat %d: message %d has id %d", c, k, m.MessageID)
			}
		}
	}
	if all := s.Messages(0); len(all) != 40 {
		t.Errorf("Messages(0) has %d", len(all))
	}
	if n := s.MaxSendsWithin(soc.ID, time.Hour); n != 20 {
		t.Errorf("MaxSendsWithin = %d", n)
	}
}

func TestFloodWait(t *testing.T) {
	s := New(t)
	bot := s.Client()
	s.FloodWait(soc.ID, 7, 1)
	if _, err := bot.Send(tgbotapi.NewMessage(-4999, "other chat")); err != nil {
		t.Fatal(err)
	}
	_, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	tgErr := wantAPIError(t, err, 429, "Too Many Requests: retry after 7")
	if tgErr.RetryAfter != 7 {
		t.Errorf("RetryAfter = %d", tgErr.RetryAfter)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x")); err != nil {
		t.Fatalf("after the flood: %v", err)
	}
	reqs := s.Requests("sendMessage")
	if reqs[1].Status != 429 || reqs[2].Status != 200 {
		t.Errorf("statuses %d, %d", reqs[1].Status, reqs[2].Status)
	}
}

func TestMigrate(t *testing.T) {
	s := New(t)
	bot := s.Client()
	const newID = -1009876543210
	s.AddBot(soc, alice)
	inOld, inNew := s.Migrate(soc.ID, newID)
	if inOld.MigrateToChatID != newID || inNew.MigrateFromChatID != soc.ID || inNew.Chat.Type != "supergroup" {
		t.Fatalf("service messages %+v / %+v", inOld, inNew)
	}
	updates, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(updates) != 3 || updates[1].Message.MigrateToChatID != newID ||
		updates[2].Message.MigrateFromChatID != soc.ID {
		t.Fatalf("updates %+v, %v", updates, err)
	}
	_, err = bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	tgErr := wantAPIError(t, err, 400, "Bad Request: group chat was upgraded to a supergroup chat")
	if tgErr.MigrateToChatID != newID {
		t.Errorf("MigrateToChatID = %d", tgErr.MigrateToChatID)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(newID, "x")); err != nil {
		t.Fatal(err)
	}
}

func TestKickAndMembership(t *testing.T) {
	s := New(t)
	bot := s.Client()
	s.Kick(soc.ID)
	_, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	wantAPIError(t, err, 403, "Forbidden: bot was kicked from the group chat")
	s.Kick(-1001111111111)
	_, err = bot.Send(tgbotapi.NewMessage(-1001111111111, "x"))
	wantAPIError(t, err, 403, "Forbidden: bot was kicked from the supergroup chat")
	s.Kick(alice.ID)
	_, err = bot.Send(tgbotapi.NewMessage(alice.ID, "x"))
	wantAPIError(t, err, 403, "Forbidden: bot was blocked by the user")

	upd := s.AddBot(soc, bob)
	if upd.OldChatMember.Status != "kicked" || upd.NewChatMember.Status != "member" {
		t.Errorf("AddBot = %+v", upd)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "back")); err != nil {
		t.Fatal(err)
	}
	s.SetMember(soc.ID, bob.ID, "administrator")
	member, err := bot.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: soc.ID, UserID: bob.ID}})
	if err != nil || !member.IsAdministrator() || member.User.UserName != "bob" {
		t.Fatalf("member %+v, %v", member, err)
	}
	member, err = bot.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: soc.ID, UserID: 5555}})
	if err != nil || member.Status != "member" {
		t.Fatalf("default member %+v, %v", member, err)
	}

	removed := s.RemoveBot(soc, bob)
	if removed.NewChatMember.Status != "left" {
		t.Errorf("RemoveBot = %+v", removed)
	}
	updates, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(updates) != 2 || updates[0].MyChatMember == nil || updates[1].MyChatMember.NewChatMember.Status != "left" {
		t.Fatalf("updates %+v", updates)
	}
	_, err = bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	wantAPIError(t, err, 403, "Forbidden: bot was kicked from the group chat")
}

func TestEditMessageText(t *testing.T) {
	s := New(t)
	bot := s.Client()
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Ack", "ack:1")))
	cfg := tgbotapi.NewMessage(soc.ID, "<b>Alert</b>")
	cfg.ParseMode, cfg.ReplyMarkup = "HTML", kb
	msg, err := bot.Send(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if msg.ReplyMarkup == nil || len(msg.Entities) != 1 || msg.Entities[0].Type != "bold" {
		t.Fatalf("sent %+v", msg)
	}

	same := tgbotapi.NewEditMessageTextAndMarkup(soc.ID, msg.MessageID, "<b>Alert</b>", kb)
	same.ParseMode = "HTML"
	_, err = bot.Send(same)
	wantAPIError(t, err, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

	// Same text without the markup removes the keyboard: a change.
	edit := tgbotapi.NewEditMessageText(soc.ID, msg.MessageID, "<b>Alert</b>")
	edit.ParseMode = "HTML"
	edited, err := bot.Send(edit)
	if err != nil || edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Fatalf("edited %+v, %v", edited, err)
	}
	if _, err := bot.Send(tgbotapi.NewEditMessageText(soc.ID, msg.MessageID, "Acked by Bob")); err != nil {
		t.Fatal(err)
	}
	edits := s.Edits(soc.ID)
	if len(edits) != 2 || edits[1].Before != "Alert" || edits[1].Plain != "Acked by Bob" {
		t.Fatalf("edits %+v", edits)
	}
	if got, _ := s.Message(soc.ID, msg.MessageID); got.Plain != "Acked by Bob" || got.Edits != 2 || got.Keyboard != nil {
		t.Errorf("message now %+v", got)
	}

	_, err = bot.Send(tgbotapi.NewEditMessageText(soc.ID, 999, "x"))
	wantAPIError(t, err, 400, "Bad Request: message to edit not found")
	bad := tgbotapi.NewEditMessageText(soc.ID, msg.MessageID, "<i>x")
	bad.ParseMode = "HTML"
	_, err = bot.Send(bad)
	wantAPIError(t, err, 400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "i"`)
}

func TestPressButtonRoundTrip(t *testing.T) {
	s := New(t)
	bot := s.Client()
	cfg := tgbotapi.NewMessage(soc.ID, "Alert")
	cfg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Ack", "ack:42"), tgbotapi.NewInlineKeyboardButtonURL("CVE", "https://nvd.nist.gov")))
	msg, err := bot.Send(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Messages(soc.ID)[0].CallbackData(); len(got) != 1 || got[0] != "ack:42" {
		t.Fatalf("CallbackData = %q", got)
	}
	id := s.PressButton(soc.ID, msg.MessageID, bob, "ack:42")

	updates, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 1})
	if err != nil || len(updates) != 1 || updates[0].CallbackQuery == nil {
		t.Fatalf("updates %+v, %v", updates, err)
	}
	q := updates[0].CallbackQuery
	if q.ID != id || q.Data != "ack:42" || q.From.ID != bob.ID || q.Message.MessageID != msg.MessageID ||
		q.Message.Text != "Alert" || q.Message.ReplyMarkup == nil || updates[0].FromChat().ID != soc.ID {
		t.Fatalf("callback query %+v", q)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(q.ID, "Acknowledged")); err != nil {
		t.Fatal(err)
	}
	_, err = bot.Request(tgbotapi.NewCallback(q.ID, "again"))
	wantAPIError(t, err, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
	answers := s.CallbackAnswers()
	if len(answers) != 1 || answers[0].Text != "Acknowledged" || answers[0].Data != "ack:42" || answers[0].From.ID != bob.ID {
		t.Errorf("answers %+v", answers)
	}
}

func TestReplyAndCopy(t *testing.T) {
	s := New(t)
	bot := s.Client()
	prompt, err := bot.Send(tgbotapi.NewMessage(alice.ID, "Send the report"))
	if err != nil {
		t.Fatal(err)
	}
	reply := s.Reply(PrivateChat(alice), alice, prompt.MessageID, "here")
	if reply.ReplyToMessage == nil || reply.ReplyToMessage.Text != "Send the report" || !reply.ReplyToMessage.From.IsBot {
		t.Fatalf("reply %+v", reply)
	}
	doc := s.SendDocument(PrivateChat(alice), alice, "IOC list")
	copied, err := bot.Request(tgbotapi.NewCopyMessage(soc.ID, alice.ID, doc.MessageID))
	if err != nil || !strings.Contains(string(copied.Result), `"message_id":1`) {
		t.Fatalf("copy %s, %v", copied.Result, err)
	}
	got := s.Messages(soc.ID)
	if len(got) != 1 || got[0].Method != "copyMessage" || got[0].Plain != "IOC list" || got[0].DocumentName != "report.pdf" ||
		*got[0].CopiedFrom != (MessageRef{ChatID: alice.ID, MessageID: doc.MessageID}) {
		t.Fatalf("copied %+v", got)
	}
	_, err = bot.Request(tgbotapi.NewCopyMessage(soc.ID, alice.ID, 999))
	wantAPIError(t, err, 400, "Bad Request: message to copy not found")
}

func TestSendDocumentUpload(t *testing.T) {
	s := New(t)
	bot := s.Client()
	cfg := tgbotapi.NewDocument(soc.ID, tgbotapi.FileBytes{Name: "alerts.csv", Bytes: []byte("id,severity\n1,high\n")})
	cfg.Caption = "<b>Export</b>"
	cfg.ParseMode = "HTML"
	msg, err := bot.Send(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Document == nil || msg.Document.FileName != "alerts.csv" || msg.Caption != "Export" {
		t.Fatalf("message %+v", msg)
	}
	docs := s.Documents(soc.ID)
	if len(docs) != 1 || string(docs[0].Data) != "id,severity\n1,high\n" || docs[0].MessageID != msg.MessageID {
		t.Fatalf("documents %+v", docs)
	}
	// Reused by file_id, nothing uploaded.
	if _, err := bot.Send(tgbotapi.NewDocument(soc.ID, tgbotapi.FileID(msg.Document.FileID))); err != nil {
		t.Fatal(err)
	}
	if docs := s.Documents(soc.ID); docs[1].FileID != msg.Document.FileID || docs[1].FileName != "alerts.csv" {
		t.Errorf("by file id %+v", docs[1])
	}
	// tgbotapi's UploadFiles drops the error code; the description is Telegram's.
	s.Kick(soc.ID)
	_, err = bot.Send(tgbotapi.NewDocument(soc.ID, tgbotapi.FileBytes{Name: "x", Bytes: []byte("x")}))
	if err == nil || err.Error() != "Forbidden: bot was kicked from the group chat" {
		t.Errorf("kicked upload: %v", err)
	}
}

func TestFailNextAndDown(t *testing.T) {
	s := New(t)
	bot := s.Client()
	s.FailNext("sendMessage", 1, 502)
	_, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	var tgErr *tgbotapi.Error
	if err == nil || errors.As(err, &tgErr) {
		t.Fatalf("502 page: err = %v, want a decoding error", err)
	}
	s.FailNext("", 1, 500)
	_, err = bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	wantAPIError(t, err, 500, "Internal Server Error")
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "ok")); err != nil {
		t.Fatal(err)
	}

	s.Down()
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x")); err == nil {
		t.Fatal("sent while down")
	}
	if _, err := http.Post(s.URL(), "text/plain", nil); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("dial while down: %v", err)
	}
	s.Up()
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "again")); err != nil {
		t.Fatalf("after Up: %v", err)
	}
	if n := len(s.Messages(soc.ID)); n != 2 {
		t.Errorf("%d messages", n)
	}
}

func TestDownCutsLongPoll(t *testing.T) {
	s := New(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Client().GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		errc <- err
	}()
	s.WaitRequests(t, "getUpdates", 1, 5*time.Second)
	s.Down()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("the poll survived Down")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the poll is still waiting")
	}
	s.Up()
}

func TestOnRequestHook(t *testing.T) {
	s := New(t)
	bot := s.Client()
	s.OnRequest(func(method string, p url.Values) *Fault {
		if method == "sendMessage" && strings.Contains(p.Get("text"), "poison") {
			return &Fault{Code: 400, Description: "Bad Request: custom"}
		}
		return nil
	})
	_, err := bot.Send(tgbotapi.NewMessage(soc.ID, "poison"))
	wantAPIError(t, err, 400, "Bad Request: custom")
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "fine")); err != nil {
		t.Fatal(err)
	}
	s.OnRequest(func(string, url.Values) *Fault { return &Fault{Hangup: true} })
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x")); err == nil {
		t.Error("hang-up answered")
	}
	s.ClearFaults()
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "x")); err != nil {
		t.Fatal(err)
	}
}

func TestJSONBodyAndCommands(t *testing.T) {
	s := New(t)
	body := `{"chat_id":-4001,"text":"<b>hi</b>","parse_mode":"HTML","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`
	resp, err := http.Post(fmt.Sprintf(s.Endpoint(), s.Token(), "sendMessage"), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if m := s.Messages(soc.ID); len(m) != 1 || m[0].Plain != "hi" || m[0].CallbackData()[0] != "a" {
		t.Fatalf("messages %+v", m)
	}

	bot := s.Client()
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "subscribe", Description: "Subscribe"})); err != nil {
		t.Fatal(err)
	}
	if c := s.Commands(); len(c) != 1 || c[0].Command != "subscribe" {
		t.Errorf("commands %+v", c)
	}
	_, err = bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Bad-Name", Description: "x"}))
	wantAPIError(t, err, 400, "Bad Request: BOT_COMMAND_INVALID")
	chat, err := bot.GetChat(tgbotapi.ChatInfoConfig{ChatConfig: tgbotapi.ChatConfig{ChatID: soc.ID}})
	if err != nil || chat.Type != "group" {
		t.Fatalf("chat %+v, %v", chat, err)
	}
}

func TestDeleteMessage(t *testing.T) {
	s := New(t)
	bot := s.Client()
	msg, _ := bot.Send(tgbotapi.NewMessage(soc.ID, "x"))
	if _, err := bot.Request(tgbotapi.NewDeleteMessage(soc.ID, msg.MessageID)); err != nil {
		t.Fatal(err)
	}
	_, err := bot.Request(tgbotapi.NewDeleteMessage(soc.ID, msg.MessageID))
	wantAPIError(t, err, 400, "Bad Request: message to delete not found")
	if m, _ := s.Message(soc.ID, msg.MessageID); !m.Deleted {
		t.Error("not marked deleted")
	}
}

// BenchmarkSendMessage measures the fake under load: it must take far more than 1,000
// messages a second so that benchmarks of the service measure the service.
func BenchmarkSendMessage(b *testing.B) {
	s := New(b)
	bot, err := tgbotapi.NewBotAPIWithAPIEndpoint(s.Token(), s.Endpoint())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			cfg := tgbotapi.NewMessage(int64(-5000-i%50), "<b>Cảnh báo</b> CVE-2024-0001 &amp; co")
			cfg.ParseMode = "HTML"
			if _, err := bot.Send(cfg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func TestWaitMessagesWakesOnArrival(t *testing.T) {
	s := New(t, WithLatency(20*time.Millisecond))
	bot := s.Client()
	go func() {
		for i := range 3 {
			if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, fmt.Sprint("late ", i))); err != nil {
				t.Error(err)
			}
		}
	}()
	start := time.Now()
	sent := s.WaitMessages(t, 0, 3, 5*time.Second)
	if len(sent) != 3 || sent[2].Plain != "late 2" {
		t.Fatalf("sent %+v", sent)
	}
	if took := time.Since(start); took < 60*time.Millisecond || took > 2*time.Second {
		t.Errorf("three sends with 20ms latency took %v", took)
	}
}

func TestEditReplyMarkupAndLenientEntities(t *testing.T) {
	s := New(t, WithLenientEntities())
	bot := s.Client()
	cfg := tgbotapi.NewMessage(soc.ID, "AT&T <b>down</b>")
	cfg.ParseMode = "HTML"
	cfg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Ack", "ack")))
	msg, err := bot.Send(cfg)
	if err != nil || msg.Text != "AT&T down" {
		t.Fatalf("lenient: %+v, %v", msg, err)
	}
	empty := tgbotapi.NewEditMessageReplyMarkup(soc.ID, msg.MessageID, tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}})
	if _, err := bot.Send(empty); err != nil {
		t.Fatal(err)
	}
	_, err = bot.Send(empty)
	wantAPIError(t, err, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	if m, _ := s.Message(soc.ID, msg.MessageID); m.Keyboard != nil || m.Plain != "AT&T down" || m.Edits != 1 {
		t.Errorf("after removing the keyboard: %+v", m)
	}
}

// fatalRecorder keeps what Fatalf said instead of ending the test.
type fatalRecorder struct {
	*testing.T
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) { r.msg = fmt.Sprintf(format, args...) }

func TestWaitMessagesExplainsTimeout(t *testing.T) {
	s := New(t)
	bot := s.Client()
	if _, err := bot.Send(tgbotapi.NewMessage(soc.ID, "only one")); err != nil {
		t.Fatal(err)
	}
	s.Kick(soc.ID)
	bot.Send(tgbotapi.NewMessage(soc.ID, "refused"))
	rec := &fatalRecorder{T: t}
	s.WaitMessages(rec, soc.ID, 2, 50*time.Millisecond)
	for _, want := range []string{"waiting for 2 messages in chat -4001", `"only one"`, "sendMessage chat_id=-4001 → 403 Forbidden: bot was kicked"} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, rec.msg)
		}
	}
}
