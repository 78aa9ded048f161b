package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// parseTags reads tag words ("so-ban-nganh", "@ubnd-huyen"); bad lists
// those that are not tags.
func parseTags(words []string) (tags, bad []string) {
	for _, w := range words {
		if t, ok := letter.Tag(w); ok {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		} else {
			bad = append(bad, w)
		}
	}
	return tags, bad
}

// cmdTag adds tags to a chat: /tag <chat_id> so-ban-nganh ubnd-huyen.
func (b *Bot) cmdTag(_ context.Context, q *request) func(tx *store.Tx) error {
	return b.retag(q, true)
}

// cmdUntag removes tags from a chat: /untag <chat_id> so-ban-nganh, or
// every tag with /untag <chat_id>.
func (b *Bot) cmdUntag(_ context.Context, q *request) func(tx *store.Tx) error {
	return b.retag(q, false)
}

func (b *Bot) retag(q *request, add bool) func(tx *store.Tx) error {
	r := b.Render
	now := b.now()
	args := strings.Fields(q.args)
	return func(tx *store.Tx) error {
		usage := r.T("tag.usage")
		if len(args) == 0 || add && len(args) < 2 {
			return q.reply(tx, usage)
		}
		id, err := parseChatID(args[0])
		if err != nil {
			return q.reply(tx, r.T("err.bad_chat", Esc(args[0])), usage)
		}
		tags, bad := parseTags(args[1:])
		if len(bad) > 0 {
			return q.reply(tx, r.T("tag.bad", Esc(strings.Join(bad, " "))))
		}
		c, known, err := tx.Chat(id)
		if err != nil {
			return err
		}
		if !known || c.MigratedTo != 0 {
			return q.reply(tx, r.T("err.no_chat", id))
		}
		verb := "tag"
		if add {
			c.Tags = mergeTags(c.Tags, tags)
		} else {
			verb = "untag"
			if len(tags) == 0 {
				c.Tags = nil
			}
			c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return slices.Contains(tags, t) })
		}
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if err := q.audit(tx, verb, fmt.Sprintf("%s (%d): %s", c.Name(), c.ID, strings.Join(tags, " ")), now); err != nil {
			return err
		}
		done := r.T("tag.done", Esc(c.Name()), c.ID, r.tagList(c.Tags))
		if !b.readsOtherAgency(q, c.ID) {
			return q.reply(tx, done)
		}
		// Typed in an agency's group about another chat: that agency
		// must not read the other's name; the department's chat does.
		if b.Config.AdminChat != 0 {
			if err := tx.Reply(b.Config.AdminChat, 0, done); err != nil {
				return err
			}
		}
		return q.reply(tx, r.T("tag.done_elsewhere", c.ID))
	}
}

// readsOtherAgency reports whether the answer to q is read by an agency
// other than the one of chat target: a department command typed in an
// agency's group ("any chat" commands such as /tag and /approve) about
// another group. The department's chat and a private chat with the bot
// may read any agency's name.
func (b *Bot) readsOtherAgency(q *request, target int64) bool {
	return !q.m.Chat.IsPrivate() && q.chat != b.Config.AdminChat && q.chat != target
}

// mergeTags adds tags to list, keeping it sorted and without repeats.
func mergeTags(list, tags []string) []string {
	for _, t := range tags {
		if !slices.Contains(list, t) {
			list = append(list, t)
		}
	}
	slices.Sort(list)
	return list
}

func (r *Renderer) tagList(tags []string) string {
	if len(tags) == 0 {
		return r.T("tag.none")
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = "@" + Esc(t)
	}
	return strings.Join(out, " ")
}

// cmdTags lists every tag with its agencies, and the approved agencies
// without a tag.
func (b *Bot) cmdTags(_ context.Context, q *request) func(tx *store.Tx) error {
	r := b.Render
	return func(tx *store.Tx) error {
		chats, err := tx.Chats()
		if err != nil {
			return err
		}
		by := map[string][]string{}
		var untagged []string
		for _, c := range chats {
			if c.MigratedTo != 0 || c.Status != store.ChatApproved {
				continue
			}
			if len(c.Tags) == 0 {
				untagged = append(untagged, Esc(c.Name()))
			}
			for _, t := range c.Tags {
				by[t] = append(by[t], Esc(c.Name()))
			}
		}
		if len(by) == 0 {
			return q.reply(tx, r.T("tags.none"), r.T("tag.usage"))
		}
		lines := []string{r.T("tags.title", len(by))}
		tags := make([]string, 0, len(by))
		for t := range by {
			tags = append(tags, t)
		}
		slices.Sort(tags)
		for _, t := range tags {
			lines = append(lines, r.T("tags.row", Esc(t), len(by[t]), strings.Join(limitList(by[t], 40), ", ")))
		}
		if len(untagged) > 0 {
			lines = append(lines, r.T("tags.untagged", len(untagged), strings.Join(limitList(untagged, 40), ", ")))
		}
		return q.reply(tx, Lines(lines)...)
	}
}

// tagArg splits an "@tag" word off a command's arguments, for /report,
// /overdue and /export limited to a tag. ok is false when an @word is not
// a tag.
func tagArg(args string) (tag, rest string, ok bool) {
	var kept []string
	ok = true
	for _, w := range strings.Fields(args) {
		if strings.HasPrefix(w, "@") {
			t, valid := letter.Tag(w)
			ok = ok && valid && tag == ""
			tag = t
			continue
		}
		kept = append(kept, w)
	}
	return tag, strings.Join(kept, " "), ok
}

// knownTag reports whether any chat carries tag, so that a mistyped tag
// gets an answer instead of reaching nobody.
func knownTag(tx *store.Tx, tag string) (bool, error) {
	chats, err := tx.Chats()
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(chats, func(c store.Chat) bool { return c.HasTag(tag) }), nil
}
