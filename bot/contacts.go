package bot

import (
	"context"
	"strings"

	"github.com/canhbao/canhbao/store"
)

// cmdContacts shows the emergency contact points (letter item 3 and 4).
func (b *Bot) cmdContacts(_ context.Context, q *request) func(tx *store.Tx) error {
	return func(tx *store.Tx) error { return q.reply(tx, b.Render.ContactsView()) }
}

// ContactsView renders every contact point with its numbers.
func (r *Renderer) ContactsView() string {
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
			lines = append(lines, r.T("contacts.unset"))
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
