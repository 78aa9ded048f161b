package bot

import (
	"context"
	"fmt"
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

// acknowledge records that user acknowledged alerts in chat and queues one
// edit per card so the group sees who did. note, from /done, is kept with
// the acknowledgement.
func (b *Bot) acknowledge(tx *store.Tx, chat int64, ids []uint64, user *tgbotapi.User, note string) ([]ackResult, error) {
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
		added, err := tx.AddAck(store.Ack{AlertID: id, ChatID: chat, UserID: user.ID, Name: displayName(user), At: now, Note: note})
		if err != nil {
			return nil, err
		}
		if !added {
			results[i] = ackAgain
			if note == "" {
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
	for msg := range edits {
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

// cmdAck handles /ack 12, /ack #12, and /ack sent as a reply to an alert.
func (b *Bot) cmdAck(_ context.Context, q *request) func(tx *store.Tx) error {
	return b.ackCommand(q, q.args, "")
}

// cmdDone handles /done 12 <what was done>: a remediation report that
// also acknowledges.
func (b *Bot) cmdDone(_ context.Context, q *request) func(tx *store.Tx) error {
	first, note := q.args, ""
	if i := strings.IndexFunc(q.args, unicode.IsSpace); i >= 0 {
		first, note = q.args[:i], strings.TrimSpace(q.args[i:])
	}
	if q.args == "" || note == "" {
		return func(tx *store.Tx) error { return q.reply(tx, b.Render.T("done.usage")) }
	}
	return b.ackCommand(q, first, cutText(note, 1000))
}

func (b *Bot) ackCommand(q *request, arg, note string) func(tx *store.Tx) error {
	r := b.Render
	return func(tx *store.Tx) error {
		var ids []uint64
		switch {
		case arg != "":
			for _, f := range strings.FieldsFunc(arg, func(r rune) bool { return r == ',' || r == ' ' }) {
				id, ok := parseID(f)
				if !ok {
					return q.reply(tx, r.T("err.bad_id", Esc(f)))
				}
				ids = append(ids, id)
			}
		case q.m.ReplyToMessage != nil:
			ds, err := tx.DeliveryByMessage(q.chat, q.m.ReplyToMessage.MessageID)
			if err != nil {
				return err
			}
			if len(ds) == 0 {
				return q.reply(tx, r.T("ack.reply_unknown"))
			}
			for _, d := range ds {
				ids = append(ids, d.AlertID)
			}
		default:
			return q.reply(tx, r.T("ack.usage"))
		}
		results, err := b.acknowledge(tx, q.chat, ids, q.from, note)
		if err != nil {
			return err
		}
		var lines, added, again []string
		for i, res := range results {
			num := fmt.Sprintf("#%d", ids[i])
			switch res {
			case ackAdded:
				added = append(added, num)
			case ackAgain:
				again = append(again, num)
			case ackNotDelivered:
				lines = append(lines, r.T("err.not_delivered", ids[i]))
			case ackUnknown:
				lines = append(lines, r.T("err.no_alert", ids[i]))
			}
		}
		if len(added) > 0 {
			lines = append(lines, r.T("ack.done", Esc(q.who()), strings.Join(added, ", "), r.Clock(b.now())))
		}
		if len(again) > 0 {
			if note != "" {
				lines = append(lines, r.T("done.updated", strings.Join(again, ", ")))
			} else {
				lines = append(lines, r.T("ack.again", strings.Join(again, ", ")))
			}
		}
		return q.reply(tx, Lines(lines)...)
	}
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
	case cbAck:
		err = b.commit(u, func(tx *store.Tx) error {
			var ackErr error
			toast, ackErr = b.ackButton(tx, cq, arg)
			return ackErr
		})
	case cbIncident:
		err = b.commit(u, func(tx *store.Tx) error {
			var incErr error
			toast, alertShown, incErr = b.incidentButton(tx, cq, arg)
			return incErr
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
			msg, err := b.decide(tx, id, to, cq.From)
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
// alert; plain "ack" means every alert the pressed message carries.
func (b *Bot) ackButton(tx *store.Tx, cq *tgbotapi.CallbackQuery, arg string) (string, error) {
	if cq.Message == nil {
		return b.Render.T("ack.toast_unknown"), nil
	}
	chat := cq.Message.Chat.ID
	var ids []uint64
	msg := cq.Message.MessageID
	if id, ok := parseID(arg); ok {
		ids = []uint64{id}
	} else {
		if card, err := strconv.Atoi(strings.TrimPrefix(arg, "m")); err == nil && strings.HasPrefix(arg, "m") {
			msg = card // a reminder's button stands for the card it replies to
		}
		ds, err := tx.DeliveryByMessage(chat, msg)
		if err != nil {
			return "", err
		}
		for _, d := range ds {
			ids = append(ids, d.AlertID)
		}
	}
	if len(ids) == 0 {
		return b.Render.T("ack.toast_unknown"), nil
	}
	results, err := b.acknowledge(tx, chat, ids, cq.From, "")
	if err != nil {
		return "", err
	}
	toast := b.Render.T("ack.toast_again")
	for i, r := range results {
		switch r {
		case ackAdded:
			return b.Render.T("ack.toast"), nil
		case ackNotDelivered:
			toast = b.Render.T("err.not_delivered", ids[i])
		case ackUnknown:
			toast = b.Render.T("err.no_alert", ids[i])
		}
	}
	return toast, nil
}
