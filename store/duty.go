package store

import (
	"sort"
	"time"
)

// bucketDuty holds watch periods: id → DutyPeriod.
var bucketDuty = []byte("duty")

// DutyPeriod is a watch period the department opened (the letter's item
// 1a: staff on duty 24/7 through a holiday) and the roster each agency
// registered for it. It stays in the record after the period ends.
type DutyPeriod struct {
	V     int    `json:"v"`
	ID    uint64 `json:"id"`
	Title string `json:"title"`
	// From is the start of the first day, To the start of the day after
	// the last.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Tags limit the period to agencies with one of them; empty means
	// every approved agency.
	Tags          []string   `json:"tags,omitempty"`
	CreatedBy     int64      `json:"created_by"`
	CreatedByName string     `json:"created_by_name,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	Chats         []DutyChat `json:"chats,omitempty"`
	// EscalatedAt is when the department was told which agencies had not
	// registered.
	EscalatedAt time.Time `json:"escalated_at,omitzero"`
}

// Active reports whether the period runs at t.
func (p *DutyPeriod) Active(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// Chat returns the entry of chat, nil when the chat was never asked.
func (p *DutyPeriod) Chat(chat int64) *DutyChat {
	for i := range p.Chats {
		if p.Chats[i].ChatID == chat {
			return &p.Chats[i]
		}
	}
	return nil
}

// DutyChat is one agency in a watch period: when it was asked, reminded,
// and whom it registered.
type DutyChat struct {
	ChatID       int64        `json:"chat"`
	Agency       string       `json:"agency"`
	AskedAt      time.Time    `json:"asked_at"`
	RemindedAt   time.Time    `json:"reminded_at,omitzero"`
	RegisteredAt time.Time    `json:"registered_at,omitzero"`
	RegisteredBy string       `json:"registered_by,omitempty"`
	People       []DutyPerson `json:"people,omitempty"`
}

// DutyPerson is one person on duty for an agency: for the whole period,
// or for one day when Day is set.
type DutyPerson struct {
	Day   time.Time `json:"day,omitzero"`
	Name  string    `json:"name"`
	Phone string    `json:"phone,omitempty"`
	// UserID is the Telegram account, when the person registered
	// themselves ("tôi"), so that alerts can mention them.
	UserID int64 `json:"user,omitempty"`
}

// OnDuty returns the people on duty on the day of t: those registered for
// that day and those for the whole period.
func (c *DutyChat) OnDuty(t time.Time, loc *time.Location) []DutyPerson {
	var out []DutyPerson
	y, m, d := t.In(loc).Date()
	for _, p := range c.People {
		if p.Day.IsZero() {
			out = append(out, p)
			continue
		}
		py, pm, pd := p.Day.In(loc).Date()
		if py == y && pm == m && pd == d {
			out = append(out, p)
		}
	}
	return out
}

// NewDutyPeriod numbers and stores a new watch period.
func (t *Tx) NewDutyPeriod(p DutyPeriod) (DutyPeriod, error) {
	b, err := t.writable(bucketDuty)
	if err != nil {
		return p, err
	}
	if p.ID, err = b.NextSequence(); err != nil {
		return p, err
	}
	return p, t.PutDutyPeriod(p)
}

// PutDutyPeriod writes a watch period.
func (t *Tx) PutDutyPeriod(p DutyPeriod) error {
	p.V = schemaVersion
	if _, err := t.writable(bucketDuty); err != nil {
		return err
	}
	return t.put(bucketDuty, u64(p.ID), &p)
}

// DutyPeriods returns every watch period, the earliest start first.
func (t *Tx) DutyPeriods() ([]DutyPeriod, error) {
	var out []DutyPeriod
	err := each(t, bucketDuty, nil, func(_ []byte, p *DutyPeriod) error {
		out = append(out, *p)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out, err
}

// CurrentDuty returns the periods that have not ended at now, the
// earliest start first.
func (t *Tx) CurrentDuty(now time.Time) ([]DutyPeriod, error) {
	all, err := t.DutyPeriods()
	if err != nil {
		return nil, err
	}
	var out []DutyPeriod
	for _, p := range all {
		if now.Before(p.To) {
			out = append(out, p)
		}
	}
	return out, nil
}
