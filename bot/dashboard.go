package bot

import (
	"context"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Sign-in to the department's web dashboard and the weekly summary. The
// pages themselves live in package web; the bot hands out the one-time
// links (through the outbox, like every message) and ends sessions.

const (
	// SignInTTL is how long a sign-in link works.
	SignInTTL = 10 * time.Minute
	// signInBurst links per user within SignInTTL; more are refused so that
	// a stolen phone cannot mint links without end.
	signInBurst = 3
)

// SignInPath is the dashboard's path that redeems a sign-in token.
const SignInPath = "/signin/"

// cmdDashboard answers /dashboard with a one-time sign-in link, and
// /dashboard logout by ending every session of the sender. Links go only
// to department staff, only in a private chat: in a group anyone could
// open them.
func (b *Bot) cmdDashboard(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	r := b.Render
	private := q.m.Chat.IsPrivate()
	return func(tx *store.Tx) error {
		refuse := func(key, why string) error {
			if err := q.audit(tx, store.AuditDashboardRefused, why, now); err != nil {
				return err
			}
			return q.reply(tx, r.T(key))
		}
		switch {
		case !q.admin:
			return refuse("dash.staff_only", "not staff")
		case b.Config.DashboardURL == "":
			return q.reply(tx, r.T("dash.off"))
		case strings.EqualFold(q.args, "logout"), strings.EqualFold(q.args, "thoát"), strings.EqualFold(q.args, "đăng xuất"):
			n, err := tx.EndSessions(q.from.ID, q.who(), store.AuditDashboardLogout, now)
			if err != nil {
				return err
			}
			return q.reply(tx, r.T("dash.logout", n))
		case !private:
			return refuse("dash.private", "group chat")
		}
		n, err := tx.SignInLinksSince(q.from.ID, now.Add(-SignInTTL))
		if err != nil {
			return err
		}
		if n >= signInBurst {
			return refuse("dash.too_many", "too many links")
		}
		token, err := tx.NewSignInLink(q.from.ID, q.who(), now, SignInTTL)
		if err != nil {
			return err
		}
		if err := q.audit(tx, store.AuditDashboardLink, "", now); err != nil {
			return err
		}
		link := strings.TrimRight(b.Config.DashboardURL, "/") + SignInPath + token
		return q.reply(tx, r.T("dash.link", Esc(link), int(SignInTTL/time.Minute)))
	}
}

// cmdSummary queues the weekly summary of the last seven days for the
// chat that asked: a chart and a few lines, sent as a photo.
func (b *Bot) cmdSummary(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	return func(tx *store.Tx) error {
		_, err := tx.Enqueue(store.Outgoing{Kind: store.OutPhoto, ChatID: q.chat, ReplyTo: q.m.MessageID,
			Export: &store.ExportQuery{From: now.Add(-7 * 24 * time.Hour), To: now}, Created: now})
		return err
	}
}

// SafeCell keeps text from users or feeds from being read as a formula by
// a spreadsheet (see cell); the dashboard's downloads use it.
func SafeCell(s string) string { return cell(s) }
