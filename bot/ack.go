package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/store"
)

// ackResult is what became of acknowledging one alert.
type ackResult int

const (
	ackAdded ackResult = iota
	ackAgain
	ackNotDelivered
	ackUnknown
)

// ackExtra is what an acknowledgement may carry besides itself.
type ackExtra struct {
	// note is a remediation report (/done, the report button).
	note string
	// notUsed: the agency does not run the product.
	notUsed bool
}

// acknowledge records that user acknowledged alerts in chat and queues one
// edit per card so the group sees who did. A note is appended to the
// person's earlier ones.
func (b *Bot) acknowledge(tx *store.Tx, chat int64, ids []uint64, user *tgbotapi.User, extra ackExtra) ([]ackResult, error) {
	now := b.now()
	results := make([]ackResult, len(ids))
	edits := make(map[int][]uint64) // message id → alerts it carries
	for i, id := range ids {
		if _, err := tx.Alert(id); store.IsNotFound(err) {
			results[i] = ackUnknown
			continue
		} else if err != nil {
			return nil, err
		}
		d, ok, err := tx.Delivery(id, chat)
		if err != nil {
			return nil, err
		}
		// A queued delivery may be in flight: Telegram can show the card
		// a moment before the sender records it, and the card is rendered
		// with the acknowledgements so far if it has not left yet.
		if !ok || d.State == store.DeliveryFailed {
			results[i] = ackNotDelivered
			continue
		}
		ack := store.Ack{AlertID: id, ChatID: chat, UserID: user.ID, Name: displayName(user), At: now, NotUsed: extra.notUsed}
		if extra.note != "" {
			ack.Notes = []store.Note{{Text: extra.note, At: now}}
		}
		added, err := tx.AddAck(ack)
		if err != nil {
			return nil, err
		}
		if !added {
			results[i] = ackAgain
			if extra == (ackExtra{}) {
				continue
			}
		}
		switch {
		case !d.EditQueued && d.MessageID != 0:
			edits[d.MessageID] = append(edits[d.MessageID], id)
		case !d.EditDirty:
			// The card or its edit is in flight: the store queues one
			// more edit once it settles.
			d.EditDirty = true
			if err := tx.PutDelivery(d); err != nil {
				return nil, err
			}
		}
	}
	for _, msg := range sortedKeys(edits) {
		// The edit covers every alert the message carries (a digest).
		ds, err := tx.DeliveryByMessage(chat, msg)
		if err != nil {
			return nil, err
		}
		var all []uint64
		for _, d := range ds {
			d.EditQueued = true
			if err := tx.PutDelivery(d); err != nil {
				return nil, err
			}
			all = append(all, d.AlertID)
		}
		if _, err := tx.Enqueue(store.Outgoing{Kind: store.OutEdit, ChatID: chat, AlertIDs: all, EditMessageID: msg,
			Created: now, NotBefore: now.Add(b.Config.EditDelay)}); err != nil {
			return nil, err
		}
	}
	return results, nil
}

func sortedKeys(m map[int][]uint64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// repliedAlerts returns the alerts the message m replies to stands for,
// and what kind of message it was; nil when m is no reply to one of the
// service's messages about alerts.
func repliedAlerts(tx *store.Tx, m *tgbotapi.Message) (store.SentMessage, bool, error) {
	if m.ReplyToMessage == nil {
		return store.SentMessage{}, false, nil
	}
	return tx.SentMessage(m.Chat.ID, m.ReplyToMessage.MessageID)
}

// awaitRecorded waits, for a few seconds at most, until the store knows
// what message msg of chat stands for, when msg is a fresh message of
// this bot and a message about alerts to that chat is on its way to
// Telegram or not yet recorded: Telegram shows a message (and people
// answer it) a moment before the sender has written down its id. Cards
// still queued for the chat cannot be msg (they have not been sent), so
// a reply while they wait their turn is handled at once.
func (b *Bot) awaitRecorded(ctx context.Context, chat int64, msg *tgbotapi.Message) {
	if msg == nil || msg.From == nil || !msg.From.IsBot || b.Username != "" && !strings.EqualFold(msg.From.UserName, b.Username) ||
		b.now().Sub(msg.Time()) > time.Minute || b.Sender == nil {
		return
	}
	recorded := b.Sender.whenRecorded(chat)
	if recorded == nil {
		return
	}
	var known bool
	err := b.Store.View(func(tx *store.Tx) (err error) {
		_, known, err = tx.SentMessage(chat, msg.MessageID)
		return err
	})
	if err != nil || known {
		return
	}
	wait := b.recordWait
	if wait <= 0 {
		wait = maxRecordWait
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-recorded:
	case <-timer.C:
	}
}

// maxRecordWait bounds how long a reply or a press waits for the message
// it answers to be recorded (a request that hangs is cut off sooner).
const maxRecordWait = 3 * time.Second

// cmdAck handles /ack 12, /ack #12, /ack 3,4, /ack 59-78, and /ack sent
// as a reply to any message about alerts.
func (b *Bot) cmdAck(ctx context.Context, q *request) func(tx *store.Tx) error {
	if q.m.ReplyToMessage != nil && q.args == "" {
		b.awaitRecorded(ctx, q.chat, q.m.ReplyToMessage)
	}
	return func(tx *store.Tx) error {
		ids, bad, err := b.commandAlerts(tx, q, q.args)
		if err != nil || bad != "" || ids == nil {
			return err
		}
		return b.answerAck(tx, q, ids, ackExtra{}, true)
	}
}

// cmdDone handles /done 12 <what was done>, and /done <what was done> as
// a reply to a message about alerts: a remediation report that also
// acknowledges.
func (b *Bot) cmdDone(ctx context.Context, q *request) func(tx *store.Tx) error {
	if q.m.ReplyToMessage != nil {
		b.awaitRecorded(ctx, q.chat, q.m.ReplyToMessage)
	}
	return func(tx *store.Tx) error {
		first, note := q.args, ""
		if i := strings.IndexFunc(q.args, unicode.IsSpace); i >= 0 {
			first, note = q.args[:i], strings.TrimSpace(q.args[i:])
		}
		var ids []uint64
		if list, _, ok := parseAlertList(first); ok {
			ids = list
		} else if sent, ok, err := repliedAlerts(tx, q.m); err != nil {
			return err
		} else if ok {
			ids, note = sent.AlertIDs, q.args
		}
		if len(ids) == 0 || note == "" {
			return q.reply(tx, b.Render.T("done.usage"))
		}
		return b.answerAck(tx, q, ids, ackExtra{note: cutText(note, 1000)}, true)
	}
}

// commandAlerts reads the alerts an /ack names: its argument, else the
// message it replies to. A nil list means the command was answered (a bad
// number, no alert named).
func (b *Bot) commandAlerts(tx *store.Tx, q *request, arg string) (ids []uint64, bad string, err error) {
	r := b.Render
	if arg != "" {
		ids, more, ok := parseAlertList(arg)
		if !ok {
			return nil, arg, q.reply(tx, r.T("err.bad_id", Esc(cutText(arg, 40))))
		}
		if more > 0 {
			extra, err := nextUnacked(tx, q.chat, slices.Max(ids), more)
			if err != nil {
				return nil, "", err
			}
			ids = append(ids, extra...)
		}
		return ids, "", nil
	}
	sent, ok, err := repliedAlerts(tx, q.m)
	switch {
	case err != nil:
		return nil, "", err
	case ok:
		return sent.AlertIDs, "", nil
	case q.m.ReplyToMessage != nil:
		return nil, "", q.reply(tx, r.T("ack.reply_unknown"))
	}
	return nil, "", q.reply(tx, r.T("ack.usage"))
}

// maxListed bounds how many alerts one /ack may name, so that "/ack
// 1-999999999" is refused rather than walked.
const maxListed = 1000

// parseAlertList reads alert numbers as people type them and as the
// service writes them: "12", "#12", "3,4", "3 4", "59-78" (or "59–78"),
// and "59,60,…,78" (an ellipsis between two numbers is the range). A
// trailing "+5" is what older reminders wrote for "and five more": it is
// returned as more. ok is false when a part is none of these.
func parseAlertList(s string) (ids []uint64, more int, ok bool) {
	s = strings.NewReplacer("…", ",…,", "...", ",…,", "–", "-", "—", "-").Replace(s)
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	seen := make(map[uint64]bool)
	add := func(id uint64) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	gap := false
	for _, p := range parts {
		switch {
		case p == "…":
			gap = true
			continue
		case strings.HasPrefix(p, "+"):
			n, err := strconv.Atoi(p[1:])
			if err != nil || n <= 0 || n > maxListed {
				return nil, 0, false
			}
			more += n
			continue
		}
		lo, hi := p, p
		if i := strings.Index(p, "-"); i > 0 {
			lo, hi = p[:i], p[i+1:]
		}
		from, ok1 := parseID(lo)
		to, ok2 := parseID(hi)
		if !ok1 || !ok2 || to < from || to-from >= maxListed {
			return nil, 0, false
		}
		if gap && len(ids) > 0 && ids[len(ids)-1] < from && from-ids[len(ids)-1] < maxListed {
			from = ids[len(ids)-1] + 1
		}
		gap = false
		// Counted, not compared: "to" may be the largest uint64, past
		// which id++ would wrap around and never end.
		for n := uint64(0); n <= to-from; n++ {
			add(from + n)
		}
		if len(ids) > maxListed {
			return nil, 0, false
		}
	}
	return ids, more, len(ids) > 0
}

// nextUnacked reads an older reminder's "+n": the n alerts after the last
// one it listed that were delivered to the chat and not yet acknowledged
// there (what that reminder had no room to list).
func nextUnacked(tx *store.Tx, chat int64, after uint64, n int) ([]uint64, error) {
	ds, err := tx.ChatDeliveries(chat)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, d := range ds {
		if len(out) == n {
			break
		}
		if d.AlertID > after && d.State == store.DeliverySent && !tx.Acked(d.AlertID, chat) {
			out = append(out, d.AlertID)
		}
	}
	return out, nil
}

// answerAck acknowledges and answers in one message. quietAgain leaves an
// acknowledgement made before unanswered (a text reply such as "ok"
// repeated: no chatter in the group).
func (b *Bot) answerAck(tx *store.Tx, q *request, ids []uint64, extra ackExtra, answerAgain bool) error {
	r := b.Render
	results, err := b.acknowledge(tx, q.chat, ids, q.from, extra)
	if err != nil {
		return err
	}
	var lines []string
	var added, again []uint64
	for i, res := range results {
		switch res {
		case ackAdded:
			added = append(added, ids[i])
		case ackAgain:
			again = append(again, ids[i])
		case ackNotDelivered:
			lines = append(lines, r.T("err.not_delivered", ids[i]))
		case ackUnknown:
			lines = append(lines, r.T("err.no_alert", ids[i]))
		}
	}
	who, at := Esc(q.who()), r.Clock(b.now())
	switch {
	case extra.note != "" && len(added)+len(again) > 0:
		lines = append(lines, r.T("done.noted", who, r.alertRanges(append(added, again...)), at, Esc(cutText(extra.note, 200))))
	default:
		if len(added) > 0 {
			lines = append(lines, r.T("ack.done", who, r.alertRanges(added), at))
		}
		if len(again) > 0 && answerAgain {
			lines = append(lines, r.T("ack.again", who, r.alertRanges(again)))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return q.reply(tx, strings.Join(lines, "\n"))
}

// onReply handles a text (not a command) that replies to one of the
// service's messages about alerts: the note asked for by the report
// button, or a short acknowledgement ("đã nhận", "ok"). Anything else is
// people talking about the alert and is left alone.
func (b *Bot) onReply(ctx context.Context, u tgbotapi.Update) error {
	m := u.Message
	b.awaitRecorded(ctx, m.Chat.ID, m.ReplyToMessage)
	text := strings.TrimSpace(m.Text)
	if text == "" {
		text = strings.TrimSpace(m.Caption)
	}
	q := &request{u: u, m: m, from: m.From, chat: m.Chat.ID}
	return b.commit(u, func(tx *store.Tx) error {
		sent, ok, err := repliedAlerts(tx, m)
		if err != nil || !ok || text == "" {
			return err
		}
		switch {
		case sent.Kind == store.OutPrompt:
			return b.answerAck(tx, q, sent.AlertIDs, ackExtra{note: cutText(text, 1000)}, true)
		case isAcknowledgement(text):
			return b.answerAck(tx, q, sent.AlertIDs, ackExtra{}, false)
		}
		return nil
	})
}

// onCallback handles button presses: acknowledge, and the department's
// Approve / Reject. The press is answered as soon as the change committed,
// so the user's spinner stops at once.
func (b *Bot) onCallback(ctx context.Context, u tgbotapi.Update) error {
	cq := u.CallbackQuery
	action, arg, _ := strings.Cut(cq.Data, ":")
	var toast string
	var alertShown bool
	var err error
	switch action {
	case cbAck, cbNotUsed:
		if _, named := parseID(arg); !named && cq.Message != nil {
			b.awaitRecorded(ctx, cq.Message.Chat.ID, cq.Message)
		}
		err = b.commit(u, func(tx *store.Tx) error {
			var ackErr error
			toast, ackErr = b.ackButton(tx, cq, arg, ackExtra{notUsed: action == cbNotUsed})
			return ackErr
		})
	case cbIncident:
		err = b.commit(u, func(tx *store.Tx) error {
			var incErr error
			toast, alertShown, incErr = b.incidentButton(tx, cq, arg)
			return incErr
		})
	case cbNote:
		err = b.commit(u, func(tx *store.Tx) error {
			var noteErr error
			toast, noteErr = b.noteButton(tx, cq, arg)
			return noteErr
		})
	case cbApprove, cbReject:
		to := store.ChatApproved
		if action == cbReject {
			to = store.ChatRejected
		}
		err = b.commit(u, func(tx *store.Tx) error {
			if !b.isAdmin(cq.From.ID) {
				toast, alertShown = b.Render.T("err.admin_only"), true
				return nil
			}
			id, err := strconv.ParseInt(arg, 10, 64)
			if err != nil {
				toast = b.Render.T("err.bad_chat", Esc(arg))
				return nil
			}
			where := int64(0)
			if cq.Message != nil {
				where = cq.Message.Chat.ID
			}
			msg, err := b.decide(tx, id, to, cq.From, where)
			toast = PlainText(msg)
			return err
		})
	default:
		err = b.commit(u, nil)
	}
	if err != nil {
		return err
	}
	cb := tgbotapi.NewCallback(cq.ID, cutText(toast, 190))
	cb.ShowAlert = alertShown
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := b.API.Call(callCtx, cb); err != nil {
		// Too late (a restart) or Telegram unreachable: the change stands.
		b.Log.Info("answerCallbackQuery", "error", err.Error())
	}
	return nil
}

// ackButton acknowledges from the "Đã nhận" button: "ack:12" names the
// alert; plain "ack" means every alert the pressed message stands for (a
// digest, a reminder); "ack:m345" (older reminders) every alert of
// message 345.
func (b *Bot) ackButton(tx *store.Tx, cq *tgbotapi.CallbackQuery, arg string, extra ackExtra) (string, error) {
	r := b.Render
	if cq.Message == nil {
		return r.T("ack.toast_unknown"), nil
	}
	chat := cq.Message.Chat.ID
	var ids []uint64
	msg := cq.Message.MessageID
	if id, ok := parseID(arg); ok {
		ids = []uint64{id}
	} else {
		if card, err := strconv.Atoi(strings.TrimPrefix(arg, "m")); err == nil && strings.HasPrefix(arg, "m") {
			msg = card
		}
		sent, _, err := tx.SentMessage(chat, msg)
		if err != nil {
			return "", err
		}
		ids = sent.AlertIDs
	}
	if len(ids) == 0 {
		return r.T("ack.toast_unknown"), nil
	}
	results, err := b.acknowledge(tx, chat, ids, cq.From, extra)
	if err != nil {
		return "", err
	}
	toast := r.T("ack.toast_again")
	if extra.notUsed {
		toast = r.T("notused.toast")
	}
	for i, res := range results {
		switch res {
		case ackAdded:
			if extra.notUsed {
				return r.T("notused.toast"), nil
			}
			return r.T("ack.toast"), nil
		case ackNotDelivered:
			toast = r.T("err.not_delivered", ids[i])
		case ackUnknown:
			toast = r.T("err.no_alert", ids[i])
		}
	}
	return toast, nil
}

// noteButton answers the report button: a message, replying to the card,
// that asks the presser for the note with a forced reply; the reply to it
// is recorded as the note.
func (b *Bot) noteButton(tx *store.Tx, cq *tgbotapi.CallbackQuery, arg string) (string, error) {
	r := b.Render
	id, ok := parseID(arg)
	if cq.Message == nil || !ok {
		return r.T("ack.toast_unknown"), nil
	}
	chat := cq.Message.Chat.ID
	d, delivered, err := tx.Delivery(id, chat)
	if err != nil {
		return "", err
	}
	if !delivered || d.State == store.DeliveryFailed {
		return r.T("err.not_delivered", id), nil
	}
	text := r.T("note.prompt", mention(cq.From.ID, displayName(cq.From)), id)
	if _, err := tx.Enqueue(store.Outgoing{Kind: store.OutPrompt, ChatID: chat, AlertIDs: []uint64{id},
		ReplyTo: cq.Message.MessageID, Text: text, Created: b.now()}); err != nil {
		return "", err
	}
	return r.T("note.toast"), nil
}

// mention links a person's name to their Telegram account, which notifies
// them in a group.
func mention(userID int64, name string) string {
	if userID == 0 {
		return Esc(name)
	}
	if name == "" {
		name = strconv.FormatInt(userID, 10)
	}
	return fmt.Sprintf(`<a href="tg://user?id=%d">%s</a>`, userID, Esc(name))
}
