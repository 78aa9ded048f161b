package bot

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// cmdContacts shows the emergency contact points (letter item 3 and 4).
func (b *Bot) cmdContacts(_ context.Context, q *request) func(tx *store.Tx) error {
	// Where the setting may be named: not in an agency's group.
	forStaff := q.chat == b.Config.AdminChat || q.admin && q.m.Chat.IsPrivate()
	return func(tx *store.Tx) error { return q.reply(tx, b.Render.ContactsView(forStaff)) }
}

// ContactsView renders every contact point with its numbers. A point
// without any is "not published"; forStaff (the department's chat, or
// staff in a private chat) also tells where to set it.
func (r *Renderer) ContactsView(forStaff bool) string {
	lines := []string{r.T("contacts.title")}
	for _, c := range r.Contacts {
		name := Esc(c.Name)
		if name == "" {
			name = r.T("contacts.dept")
		}
		lines = append(lines, "", "<b>"+name+"</b>")
		if c.About != "" {
			lines = append(lines, Esc(c.About))
		}
		field := func(key, v string) {
			if v != "" {
				lines = append(lines, r.T(key, Esc(v)))
			}
		}
		field("contacts.person", c.Person)
		field("contacts.phone", c.Phone)
		field("contacts.hotline", c.Hotline)
		field("contacts.email", c.Email)
		if c.Person == "" && c.Phone == "" && c.Hotline == "" && c.Email == "" {
			if forStaff {
				lines = append(lines, r.T("contacts.unset_staff"))
			} else {
				lines = append(lines, r.T("contacts.unset"))
			}
		}
	}
	return FitHTML(strings.Join(lines, "\n"), MaxMessage)
}

// HelpLine is the one line under critical alerts and incident
// confirmations: whom to call for help. Empty when no contact has a
// number.
func (r *Renderer) HelpLine() string {
	line := r.Contacts.HelpLine()
	if line == "" {
		return ""
	}
	return r.T("contacts.help", Esc(line))
}

// LoadContacts reads the contacts file at path (CANHBAO_CONTACTS) into r.
// A bad file stops nothing: the built-in contacts stand in, the parser's
// detail goes to the log, and the returned problem says in r's language
// which line and field to correct, for the department's chat.
func (r *Renderer) LoadContacts(path string, log *slog.Logger) (problem string) {
	contacts, err := letter.LoadContacts(path)
	if err == nil {
		r.Contacts = contacts
		return ""
	}
	log.Error("CANHBAO_CONTACTS: " + err.Error() + "; using the built-in contacts")
	return r.ContactsProblem(path, err)
}

// ContactsProblem tells the department what is wrong in the contacts file
// at path: plain text (a notice's detail), in r's language, without the
// parser's English.
func (r *Renderer) ContactsProblem(path string, err error) string {
	var ce *letter.ContactsError
	if !errors.As(err, &ce) {
		ce = &letter.ContactsError{Mistake: letter.Unreadable, Err: err}
	}
	value := cutText(ce.Value, 80)
	var what string
	switch ce.Mistake {
	case letter.Unreadable:
		what = r.T("contacts.unreadable")
		if errors.Is(ce.Err, fs.ErrNotExist) {
			what = r.T("contacts.missing")
		}
	case letter.BadBlockName:
		what = r.T("contacts.bad_block")
	case letter.NotKeyValue:
		what = r.T("contacts.not_key_value")
	case letter.BeforeFirstBlock:
		what = r.T("contacts.before_block")
	case letter.KeyTwice:
		what = r.T("contacts.key_twice", ce.Key, cutText(ce.Block, 80))
	case letter.UnknownKey:
		what = r.T("contacts.unknown_key", cutText(ce.Key, 40), strings.Join(letter.ContactKeys(), ", "))
	case letter.NotPhone:
		what = r.T("contacts.not_phone", ce.Key, value)
	case letter.NotEmail:
		what = r.T("contacts.not_email", ce.Key, value)
	case letter.NotYesNo:
		what = r.T("contacts.not_yes_no", ce.Key, value)
	case letter.HelpTwice:
		what = r.T("contacts.help_twice")
	case letter.NoContact:
		what = r.T("contacts.no_contact")
	}
	if ce.Line > 0 {
		what = r.T("contacts.at_line", ce.Line, what)
	}
	return r.T("contacts.problem", path, what)
}
