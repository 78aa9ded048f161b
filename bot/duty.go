package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// cmdDuty handles /duty. Department staff open a watch period and see who
// registered:
//
//	/duty 29/08 04/09 Trực nghỉ lễ Quốc khánh [@tag…]
//	/duty
//
// In an agency's group it registers who is on duty, or shows it:
//
//	/duty Nguyễn Văn An 0912 345 678; Trần Thị Bình 0987 654 321
//	/duty tôi 0912 345 678
//	/duty 30/08 Nguyễn Văn An 0912 345 678; 31/08 Trần Thị Bình 0987 654 321
func (b *Bot) cmdDuty(_ context.Context, q *request) func(tx *store.Tx) error {
	now := b.now()
	if b.deptSide(q) {
		if q.args == "" {
			return func(tx *store.Tx) error { return b.dutyStatus(tx, q, now) }
		}
		return func(tx *store.Tx) error { return b.openDuty(tx, q, now) }
	}
	return func(tx *store.Tx) error {
		c, known, err := tx.Chat(q.chat)
		if err != nil {
			return err
		}
		if !known || c.Status != store.ChatApproved {
			return q.reply(tx, b.Render.T("err.not_subscribed"))
		}
		periods, err := tx.CurrentDuty(now)
		if err != nil {
			return err
		}
		for _, p := range periods {
			if p.Chat(q.chat) == nil && !c.InAudience(p.Tags) {
				continue
			}
			if q.args == "" {
				return q.reply(tx, b.Render.DutyGroupView(&p, q.chat))
			}
			return b.registerDuty(tx, q, c, p, now)
		}
		return q.reply(tx, b.Render.T("duty.none_group"))
	}
}

// openDuty opens a watch period and asks every approved agency of its
// audience to register.
func (b *Bot) openDuty(tx *store.Tx, q *request, now time.Time) error {
	r := b.Render
	var words, tagWords []string
	for _, w := range strings.Fields(q.args) {
		if strings.HasPrefix(w, "@") {
			tagWords = append(tagWords, w)
		} else {
			words = append(words, w)
		}
	}
	if len(words) < 2 {
		return q.reply(tx, r.T("duty.usage"))
	}
	tags, bad := parseTags(tagWords)
	if len(bad) > 0 {
		return q.reply(tx, r.T("tag.bad", Esc(strings.Join(bad, " "))))
	}
	for _, t := range tags {
		if ok, err := knownTag(tx, t); err != nil || !ok {
			return errors.Join(err, q.reply(tx, r.T("tag.unknown", Esc(t))))
		}
	}
	from, to, err := letter.ParsePeriod(words[0], words[1], now, r.Loc)
	if err != nil {
		key := "duty.bad_day"
		switch {
		case errors.Is(err, letter.ErrEndFirst):
			key = "duty.end_first"
		case errors.Is(err, letter.ErrPeriodOver):
			key = "duty.over"
		case errors.Is(err, letter.ErrPeriodTooLong):
			key = "duty.too_long"
		}
		return q.reply(tx, r.T(key, Esc(words[0]), Esc(words[1])), r.T("duty.usage"))
	}
	title := strings.Join(words[2:], " ")
	if title == "" {
		title = r.T("duty.untitled")
	}
	p, err := tx.NewDutyPeriod(store.DutyPeriod{Title: cutText(title, 200), From: from, To: to, Tags: tags,
		CreatedBy: q.from.ID, CreatedByName: q.who(), CreatedAt: now})
	if err != nil {
		return err
	}
	n, err := b.askDuty(tx, &p, now)
	if err != nil {
		return err
	}
	if err := tx.PutDutyPeriod(p); err != nil {
		return err
	}
	if err := q.audit(tx, "duty", fmt.Sprintf("#%d %s %s → %d %s", p.ID, p.Title, r.DutyDays(&p), n, strings.Join(tags, " ")), now); err != nil {
		return err
	}
	return q.reply(tx, r.T("duty.opened", p.ID, Esc(p.Title), r.DutyDays(&p), n))
}

// askDuty asks every approved agency of the period's audience that was
// not asked yet to register who is on duty; it returns how many were
// asked. The watch also calls it, for agencies approved later.
func (b *Bot) askDuty(tx *store.Tx, p *store.DutyPeriod, now time.Time) (int, error) {
	chats, err := tx.Chats()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range chats {
		if c.Status != store.ChatApproved || c.MigratedTo != 0 || !c.InAudience(p.Tags) || p.Chat(c.ID) != nil {
			continue
		}
		p.Chats = append(p.Chats, store.DutyChat{ChatID: c.ID, Agency: c.Name(), AskedAt: now})
		if err := b.toAgency(tx, c.ID, 0, b.Render.T("duty.request", Esc(p.Title), b.Render.DutyDays(p))+"\n"+b.Render.T("duty.how")); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// registerDuty replaces the group's roster for the period.
func (b *Bot) registerDuty(tx *store.Tx, q *request, c store.Chat, p store.DutyPeriod, now time.Time) error {
	r := b.Render
	entries, err := letter.ParseRoster(q.args, p.From, p.To, r.Loc, rosterMentions(q)...)
	if err != nil {
		return q.reply(tx, r.T("duty.bad_roster", Esc(q.args)), r.T("duty.how"))
	}
	if p.Chat(q.chat) == nil {
		p.Chats = append(p.Chats, store.DutyChat{ChatID: q.chat, Agency: c.Name(), AskedAt: now})
	}
	dc := p.Chat(q.chat)
	dc.People = dc.People[:0]
	for _, e := range entries {
		person := store.DutyPerson{Day: e.Day, Name: e.Name, Phone: e.Phone, UserID: e.UserID}
		if e.Self {
			person.Name, person.UserID = q.who(), q.from.ID
		}
		dc.People = append(dc.People, person)
	}
	dc.RegisteredAt, dc.RegisteredBy, dc.Agency = now, q.who(), c.Name()
	if err := tx.PutDutyPeriod(p); err != nil {
		return err
	}
	return q.reply(tx, r.T("duty.registered", Esc(c.Name()), Esc(p.Title), r.DutyDays(&p))+"\n"+r.roster(dc))
}

// rosterMentions are the people a /duty message mentions by account:
// those picked from the group's members in Telegram who have no
// @username (Telegram sends their name with a text_mention entity), with
// their place in the command's arguments.
func rosterMentions(q *request) []letter.Mention {
	at := strings.Index(q.m.Text, q.args)
	if q.args == "" || at < 0 {
		return nil
	}
	var out []letter.Mention
	for _, e := range q.m.Entities {
		if e.Type != "text_mention" || e.User == nil || e.User.ID == 0 {
			continue
		}
		start, end := utf16ToByte(q.m.Text, e.Offset)-at, utf16ToByte(q.m.Text, e.Offset+e.Length)-at
		if start >= 0 && end <= len(q.args) {
			out = append(out, letter.Mention{Start: start, End: end, UserID: e.User.ID})
		}
	}
	return out
}

// utf16ToByte turns an offset in UTF-16 code units (Telegram's entity
// offsets) into a byte offset of text.
func utf16ToByte(text string, units int) int {
	n := 0
	for i, r := range text {
		if n >= units {
			return i
		}
		n += utf16.RuneLen(r)
	}
	return len(text)
}

// dutyStatus shows the department who registered and who has not, for
// every period that has not ended (else the latest one).
func (b *Bot) dutyStatus(tx *store.Tx, q *request, now time.Time) error {
	r := b.Render
	periods, err := tx.CurrentDuty(now)
	if err != nil {
		return err
	}
	if len(periods) == 0 {
		all, err := tx.DutyPeriods()
		if err != nil {
			return err
		}
		if len(all) == 0 {
			return q.reply(tx, r.T("duty.none"), r.T("duty.usage"))
		}
		periods = all[len(all)-1:]
	}
	var lines []string
	for _, p := range periods {
		registered, missing := 0, []string{}
		var rows []string
		for i := range p.Chats {
			dc := &p.Chats[i]
			if dc.RegisteredAt.IsZero() {
				missing = append(missing, Esc(dc.Agency))
				continue
			}
			registered++
			rows = append(rows, r.T("duty.status_row", Esc(dc.Agency), r.people(dc.People)))
		}
		lines = append(lines, r.T("duty.status_title", p.ID, Esc(p.Title), r.DutyDays(&p), registered, len(p.Chats)))
		lines = append(lines, rows...)
		if len(missing) > 0 {
			lines = append(lines, r.T("duty.status_missing", len(missing), strings.Join(missing, ", ")))
		}
		lines = append(lines, "")
	}
	return q.reply(tx, Lines(lines)...)
}

// dutyTick asks agencies approved since a period opened, reminds those
// that have not registered from the day before the period starts, and
// tells the department once, when the period starts, which still have
// not. A reminder waits DutyGap after the request, and the escalation
// DutyGap after the reminders, so that a period opened at short notice
// does not send all three at once.
func (b *Bot) dutyTick(tx *store.Tx, now time.Time) (int, error) {
	r := b.Render
	periods, err := tx.CurrentDuty(now)
	if err != nil {
		return 0, err
	}
	gap, before := b.Config.DutyGap, b.Config.DutyRemindBefore
	n := 0
	for _, p := range periods {
		asked, err := b.askDuty(tx, &p, now)
		if err != nil {
			return n, err
		}
		n += asked
		var missing []string
		ready := true
		for i := range p.Chats {
			dc := &p.Chats[i]
			if !dc.RegisteredAt.IsZero() {
				continue
			}
			if c, _, err := tx.Chat(dc.ChatID); err != nil || c.Status != store.ChatApproved {
				if err != nil {
					return n, err
				}
				continue
			}
			missing = append(missing, dc.Agency)
			switch {
			case dc.RemindedAt.IsZero() && !now.Before(p.From.Add(-before)) && now.Sub(dc.AskedAt) >= gap:
				dc.RemindedAt = now
				if err := b.toAgency(tx, dc.ChatID, 0, r.T("duty.reminder", Esc(p.Title), r.DutyDays(&p))+"\n"+r.T("duty.how")); err != nil {
					return n, err
				}
				n++
				ready = false
			case dc.RemindedAt.IsZero() || now.Sub(dc.RemindedAt) < gap:
				ready = false
			}
		}
		if p.EscalatedAt.IsZero() && !now.Before(p.From) && (len(missing) == 0 || ready) {
			p.EscalatedAt = now
			if len(missing) > 0 {
				names := make([]string, len(missing))
				for i, m := range missing {
					names[i] = Esc(m)
				}
				if err := b.toDepartment(tx, r.T("duty.escalation", p.ID, Esc(p.Title), r.DutyDays(&p), len(missing), len(p.Chats),
					strings.Join(limitList(names, 60), ", "))); err != nil {
					return n, err
				}
				n++
			}
		}
		if err := tx.PutDutyPeriod(p); err != nil {
			return n, err
		}
	}
	return n, nil
}

// DutyDays writes a period's days, "29/08/2026 – 04/09/2026".
func (r *Renderer) DutyDays(p *store.DutyPeriod) string {
	return r.localDay(p.From) + " – " + r.localDay(p.To.AddDate(0, 0, -1))
}

// localDay formats the day of t in the department's time zone.
func (r *Renderer) localDay(t time.Time) string { return t.In(r.Loc).Format("02/01/2006") }

// people lists people on duty: mentions for those with a Telegram
// account, name and phone for the others.
func (r *Renderer) people(list []store.DutyPerson) string {
	parts := make([]string, len(list))
	for i, p := range list {
		s := mention(p.UserID, p.Name)
		if p.Phone != "" {
			s += " (" + Esc(p.Phone) + ")"
		}
		if !p.Day.IsZero() {
			s = r.localDay(p.Day)[:5] + ": " + s
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

// roster lists a group's registration, one person a line.
func (r *Renderer) roster(dc *store.DutyChat) string {
	lines := make([]string, len(dc.People))
	for i, p := range dc.People {
		day := r.T("duty.whole")
		if !p.Day.IsZero() {
			day = r.localDay(p.Day)
		}
		s := "• " + day + ": " + mention(p.UserID, p.Name)
		if p.Phone != "" {
			s += " — " + Esc(p.Phone)
		}
		lines[i] = s
	}
	return strings.Join(lines, "\n")
}

// DutyGroupView shows a group its registration for a period.
func (r *Renderer) DutyGroupView(p *store.DutyPeriod, chat int64) string {
	head := r.T("duty.request", Esc(p.Title), r.DutyDays(p))
	if dc := p.Chat(chat); dc != nil && !dc.RegisteredAt.IsZero() {
		return head + "\n" + r.T("duty.group_registered", Esc(dc.RegisteredBy), r.Date(dc.RegisteredAt)) + "\n" + r.roster(dc) + "\n\n" + r.T("duty.how")
	}
	return head + "\n" + r.T("duty.group_missing") + "\n" + r.T("duty.how")
}

// onDutyLine is the line that mentions a group's people on duty under a
// critical alert or a reminder, while a period runs; "" otherwise.
func (s *Sender) onDutyLine(chat int64, now time.Time) string {
	var line string
	_ = s.Store.View(func(tx *store.Tx) error {
		line = s.onDutyLineIn(tx, chat, now)
		return nil
	})
	return line
}

// onDutyLineIn is onDutyLine within a transaction the caller already
// reads in (a card reads its alert in the same one).
func (s *Sender) onDutyLineIn(tx *store.Tx, chat int64, now time.Time) string {
	var people []store.DutyPerson
	periods, _ := tx.CurrentDuty(now)
	for _, p := range periods {
		if dc := p.Chat(chat); dc != nil && p.Active(now) {
			people = append(people, dc.OnDuty(now, s.Render.Loc)...)
		}
	}
	if len(people) == 0 {
		return ""
	}
	for i := range people {
		people[i].Day = time.Time{} // today's people: no day shown
	}
	return s.Render.T("duty.mention", s.Render.people(people))
}
