package store

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Personal data (Decree 13/2023/NĐ-CP): canhbao keeps people's Telegram
// ids and names in acknowledgements, subscription requests, decisions,
// advisories' authors, the audit log and pending notices, and free-text
// remediation notes. Forget erases one person's everywhere; retention
// erases acknowledgers of old alerts. An erased acknowledgement keeps
// counting for its agency: only who made it, and the note, are gone.

// Erasure is the wording, in the configured language, that takes the
// place of erased data.
type Erasure struct {
	// Name replaces a person's name ("người đã xoá dữ liệu").
	Name string
	// Note replaces the text of their remediation notes; the notes' times
	// stay, so that the agency still counts as having reported.
	Note string
}

// ForgetReport counts what an erasure changed, for the answer and the
// audit log (which must not hold the erased data itself).
type ForgetReport struct {
	Acks, Notes, Chats, Alerts, Audit, Notices int
	// Incidents counts incident reports whose reporter or timeline named
	// the person; Sessions the dashboard sign-ins ended.
	Incidents, Sessions int
	// Duty counts watch periods whose rosters named the person.
	Duty int
}

// Total is the number of records changed.
func (r ForgetReport) Total() int {
	return r.Acks + r.Chats + r.Alerts + r.Audit + r.Notices + r.Incidents + r.Sessions + r.Duty
}

// Forget erases the Telegram user's id, name and notes from every record:
// their acknowledgements stay, under a new anonymous id with e.Name as the
// name and e.Note as the text of each note; subscription requests,
// decisions, advisories, the audit log and pending notices lose the id
// and show e.Name.
func (t *Tx) Forget(user int64, e Erasure) (ForgetReport, error) {
	var rep ForgetReport
	erased := e.Name
	names := map[string]bool{}
	// Acknowledgements: the user id is the last 8 bytes of the key, so
	// only the person's own records are decoded.
	var keys [][]byte
	c := t.bucket(bucketAcks).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) == 24 && readI64(k[16:]) == user {
			keys = append(keys, append([]byte(nil), k...))
		}
	}
	for _, k := range keys {
		notes, name, err := t.eraseAck(k, e)
		if err != nil {
			return rep, err
		}
		names[name] = true
		rep.Acks++
		rep.Notes += notes
		if err := t.reeditCard(readU64(k), readI64(k[8:])); err != nil {
			return rep, err
		}
	}
	err := each(t, bucketChats, nil, func(_ []byte, ch *Chat) error {
		changed := false
		if ch.RequestedBy == user {
			names[ch.RequestedByName] = true
			ch.RequestedBy, ch.RequestedByName, changed = 0, erased, true
		}
		if ch.DecidedBy == user {
			ch.DecidedBy, changed = 0, true
		}
		if ch.ID == user && ch.Title != erased { // the person's private chat
			names[ch.Title] = true
			ch.Title, changed = erased, true
		}
		if !changed {
			return nil
		}
		rep.Chats++
		return t.PutChat(*ch)
	})
	if err != nil {
		return rep, err
	}
	err = each(t, bucketAlerts, nil, func(_ []byte, a *Alert) error {
		if a.Author != user {
			return nil
		}
		names[a.AuthorName] = true
		a.Author, a.AuthorName = 0, erased
		rep.Alerts++
		return t.PutAlert(*a)
	})
	if err != nil {
		return rep, err
	}
	err = each(t, bucketAudit, nil, func(k []byte, e *AuditEntry) error {
		if e.UserID != user {
			return nil
		}
		names[e.UserName] = true
		e.UserID, e.UserName = 0, erased
		rep.Audit++
		return t.put(bucketAudit, k, e)
	})
	if err != nil {
		return rep, err
	}
	err = each(t, bucketOutbox, nil, func(_ []byte, o *Outgoing) error {
		if o.Notice == nil || o.Notice.UserID != user {
			return nil
		}
		names[o.Notice.UserName] = true
		o.Notice.UserID, o.Notice.UserName = 0, erased
		rep.Notices++
		return t.putOutgoing(*o)
	})
	if err != nil {
		return rep, err
	}
	if rep.Duty, err = t.forgetInDuty(user, erased, names); err != nil {
		return rep, err
	}
	// Sent department messages keep their notices, to be drawn again
	// when a request in them is decided.
	if t.bucket(bucketMessages) != nil {
		err = each(t, bucketMessages, nil, func(k []byte, m *SentMessage) error {
			changed := false
			for i := range m.Notices {
				if n := &m.Notices[i]; n.UserID == user {
					names[n.UserName] = true
					n.UserID, n.UserName, changed = 0, erased, true
					rep.Notices++
				}
			}
			if !changed {
				return nil
			}
			return t.put(bucketMessages, k, m)
		})
		if err != nil {
			return rep, err
		}
	}
	if rep.Incidents, err = t.forgetInIncidents(user, erased, names); err != nil {
		return rep, err
	}
	if rep.Sessions, err = t.endSessionsOf(user); err != nil {
		return rep, err
	}
	// Free text that quotes the person (an audit detail naming whom a
	// decision concerned) loses the id and the names found above.
	delete(names, "")
	delete(names, erased)
	return rep, t.scrubAuditDetails(user, names, erased)
}

// forgetInIncidents erases the person as the reporter of incidents (name,
// id and the phone number given with the report) and as the author of
// timeline entries. What the entries say about the incident stays: it is
// the agency's record of the incident.
func (t *Tx) forgetInIncidents(user int64, erased string, names map[string]bool) (int, error) {
	n := 0
	err := each(t, bucketIncidents, nil, func(_ []byte, i *Incident) error {
		changed := false
		if i.ReporterID == user {
			names[i.ReporterName] = true
			i.ReporterID, i.ReporterName, i.Phone, changed = 0, erased, "", true
		}
		for k := range i.Timeline {
			if e := &i.Timeline[k]; e.UserID == user {
				names[e.Name] = true
				e.UserID, e.Name, changed = 0, erased, true
			}
		}
		if !changed {
			return nil
		}
		n++
		return t.PutIncident(*i)
	})
	return n, err
}

// endSessionsOf deletes the person's dashboard sessions and sign-in links.
func (t *Tx) endSessionsOf(user int64) (int, error) {
	n := 0
	for _, name := range [][]byte{bucketSessions, bucketSignIn} {
		b := t.bucket(name)
		if b == nil {
			continue
		}
		var keys [][]byte
		err := each(t, name, nil, func(k []byte, s *struct {
			UserID int64 `json:"user"`
		}) error {
			if s.UserID == user {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// reeditCard queues an edit of the card that shows an erased
// acknowledgement, so that the group's chat stops showing the name too.
func (t *Tx) reeditCard(alert uint64, chat int64) error {
	d, ok, err := t.Delivery(alert, chat)
	if err != nil || !ok || d.State != DeliverySent || d.MessageID == 0 {
		return err
	}
	if d.EditQueued {
		if d.EditDirty {
			return nil
		}
		d.EditDirty = true // an edit in flight: one more once it settles
		return t.PutDelivery(d)
	}
	ds, err := t.DeliveryByMessage(chat, d.MessageID)
	if err != nil {
		return err
	}
	var all []uint64
	for _, x := range ds {
		x.EditQueued = true
		if err := t.PutDelivery(x); err != nil {
			return err
		}
		all = append(all, x.AlertID)
	}
	return t.queueEdit(chat, d.MessageID, all, time.Now())
}

// eraseAck moves the acknowledgement at key to a fresh anonymous id (a
// negative number, which no Telegram user has, unique so that erased
// acknowledgements cannot be linked to each other), with e's wording for
// the name and the notes' text. It returns how many notes it erased.
func (t *Tx) eraseAck(key []byte, e Erasure) (notes int, name string, err error) {
	var a Ack
	if _, err := t.get(bucketAcks, key, &a); err != nil {
		return 0, "", err
	}
	seq, err := t.bucket(bucketAcks).NextSequence()
	if err != nil {
		return 0, "", err
	}
	if err := t.bucket(bucketAcks).Delete(key); err != nil {
		return 0, "", err
	}
	a = a.upgraded()
	for i := range a.Notes {
		a.Notes[i].Text = e.Note
	}
	name = a.Name
	a.UserID, a.Name, a.Erased = -int64(seq), e.Name, true
	return len(a.Notes), name, t.put(bucketAcks, ackKey(a.AlertID, a.ChatID, a.UserID), &a)
}

func (t *Tx) scrubAuditDetails(user int64, names map[string]bool, erased string) error {
	id := strconv.FormatInt(user, 10)
	return each(t, bucketAudit, nil, func(k []byte, e *AuditEntry) error {
		d := e.Detail
		for n := range names {
			// Only full names and @usernames: a bare first name could
			// be a word of an unrelated title.
			if utf8.RuneCountInString(n) >= 5 && (strings.Contains(n, " ") || strings.HasPrefix(n, "@")) {
				d = strings.ReplaceAll(d, n, erased)
			}
		}
		d = replaceNumber(d, id, erased)
		if d == e.Detail {
			return nil
		}
		e.Detail = d
		return t.put(bucketAudit, k, e)
	})
}

// replaceNumber replaces id in s where it stands as a whole number.
func replaceNumber(s, id, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, id)
		if i < 0 {
			return b.String() + s
		}
		j := i + len(id)
		whole := (i == 0 || !isDigit(s[i-1])) && (j == len(s) || !isDigit(s[j]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString(with)
		} else {
			b.WriteString(id)
		}
		s = s[j:]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

var keyRetentionNext = []byte("retention_next")

// retentionBatch bounds the alerts one retention transaction handles, so
// that the first run over years of history never holds the database for
// long.
const retentionBatch = 200

// EraseOldAcks erases the acknowledgers (id, name, note) of alerts first
// seen before cutoff, as Forget does for one person, and returns how many
// acknowledgements it changed. It resumes where the last run stopped and
// commits every retentionBatch alerts.
func (s *Store) EraseOldAcks(cutoff time.Time, e Erasure) (int, error) {
	total := 0
	for {
		n, more, err := s.eraseOldBatch(cutoff, e)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (s *Store) eraseOldBatch(cutoff time.Time, e Erasure) (n int, more bool, err error) {
	err = s.Update(func(tx *Tx) error {
		meta := tx.bucket(bucketMeta)
		next := uint64(1)
		if v := meta.Get(keyRetentionNext); len(v) == 8 {
			next = readU64(v)
		}
		done := 0
		c := tx.bucket(bucketAlerts).Cursor()
		for k, v := c.Seek(u64(next)); k != nil; k, v = c.Next() {
			if done == retentionBatch {
				more = true
				break
			}
			var a Alert
			if err := jsonDecode(v, &a); err != nil {
				return err
			}
			if !a.FirstSeen.Before(cutoff) {
				break
			}
			var keys [][]byte
			ac := tx.bucket(bucketAcks).Cursor()
			prefix := u64(a.ID)
			for ak, _ := ac.Seek(prefix); ak != nil && hasPrefix(ak, prefix); ak, _ = ac.Next() {
				if len(ak) == 24 && readI64(ak[16:]) > 0 {
					keys = append(keys, append([]byte(nil), ak...))
				}
			}
			for _, ak := range keys {
				if _, _, err := tx.eraseAck(ak, e); err != nil {
					return err
				}
				n++
			}
			next = a.ID + 1
			done++
		}
		return meta.Put(keyRetentionNext, u64(next))
	})
	return n, more, err
}
