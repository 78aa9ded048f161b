package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/canhbao/canhbao/store"
)

// cmdForget erases one person's personal data on request (Decree
// 13/2023/NĐ-CP): /forget <user_id>, department staff, in the department's
// chat or a private chat.
func (b *Bot) cmdForget(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	user, err := strconv.ParseInt(strings.TrimSpace(q.args), 10, 64)
	if err != nil || user <= 0 {
		return func(tx *store.Tx) error { return q.reply(tx, r.T("forget.usage")) }
	}
	now := b.now()
	return func(tx *store.Tx) error {
		rep, err := ForgetUser(tx, r, user, store.AuditEntry{At: now, UserID: q.from.ID, UserName: q.who()})
		if err != nil {
			return err
		}
		return q.reply(tx, r.ForgetAnswer(rep))
	}
}

// ForgetUser erases user's name, id and notes everywhere in tx and records
// the erasure in the audit log as by: who asked and how many records
// changed, never the erased id or name.
func ForgetUser(tx *store.Tx, r *Renderer, user int64, by store.AuditEntry) (store.ForgetReport, error) {
	rep, err := tx.Forget(user, r.Erasure())
	if err != nil {
		return rep, err
	}
	by.Action = "forget"
	by.Detail = r.T("forget.audit", rep.Acks, rep.Notes, rep.Chats, rep.Alerts, rep.Audit, rep.Notices, rep.Incidents, rep.Sessions)
	return rep, tx.Audit(by)
}

// Erasure is the wording that replaces erased names and notes.
func (r *Renderer) Erasure() store.Erasure {
	return store.Erasure{Name: r.T("person.erased"), Note: r.T("note.erased")}
}

// ForgetAnswer says what an erasure changed.
func (r *Renderer) ForgetAnswer(rep store.ForgetReport) string {
	if rep.Total() == 0 {
		return r.T("forget.none")
	}
	return r.T("forget.done", rep.Acks, rep.Notes, rep.Chats, rep.Alerts, rep.Audit, rep.Notices, rep.Incidents, rep.Sessions)
}
