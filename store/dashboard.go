package store

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Reads for the department's dashboard and weekly summary: one agency's
// standing on one alert, the agencies × alerts matrix, and tallies over a
// period. They decode only the fields they need, since a matrix walks tens
// of thousands of deliveries per page view.

// Standing is one agency's standing on one alert.
type Standing struct {
	ChatID   int64
	State    DeliveryState
	QueuedAt time.Time
	SentAt   time.Time
	FailedAt time.Time
	Error    string
	// First is the earliest acknowledgement; nil when the agency has not
	// acknowledged.
	First *Ack
	// Acks counts the members who acknowledged.
	Acks int
	// Status is where the agency stands: open, acknowledged, remediated
	// or not using the product.
	Status AckStatus
	// Note is the latest remediation report (/done).
	Note string
	// Reminded and Escalated are set while the delivery is open and its
	// reminder or escalation was queued.
	Reminded, Escalated bool

	noteAt time.Time
}

// addAck counts one member's acknowledgement into the standing; first is
// where the earliest is kept.
func (s *Standing) addAck(a Ack, first *Ack) {
	s.Acks++
	if s.First == nil || a.At.Before(s.First.At) {
		*first = a
		s.First = first
	}
	for _, n := range a.Notes {
		if s.Note == "" || !n.At.Before(s.noteAt) {
			s.Note, s.noteAt = n.Text, n.At
		}
	}
	switch {
	case s.Note != "":
		s.Status = StatusRemediated
	case a.NotUsed || s.Status == StatusNotUsed:
		s.Status = StatusNotUsed
	default:
		s.Status = StatusAcknowledged
	}
}

// Acked reports whether the agency acknowledged.
func (s Standing) Acked() bool { return s.First != nil }

// AckAfter is how long after delivery the agency acknowledged (0 when it
// has not or the card was never recorded as sent).
func (s Standing) AckAfter() time.Duration {
	if s.First == nil || s.SentAt.IsZero() {
		return 0
	}
	return max(s.First.At.Sub(s.SentAt), 0)
}

// slimDelivery is the part of a Delivery the dashboard reads.
type slimDelivery struct {
	ChatID   int64         `json:"chat"`
	State    DeliveryState `json:"state"`
	QueuedAt time.Time     `json:"queued_at"`
	SentAt   time.Time     `json:"sent_at"`
	Error    string        `json:"error"`
	FailedAt time.Time     `json:"failed_at"`
}

// Standings returns every agency's standing on alert, ordered by chat id.
func (t *Tx) Standings(alert uint64) ([]Standing, error) {
	prefix := u64(alert)
	out := make([]Standing, 0, 64)
	c := t.bucket(bucketDeliveries).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		d, ok := quickDelivery(v)
		if !ok {
			if err := jsonDecode(v, &d); err != nil {
				return nil, err
			}
		}
		out = append(out, Standing{ChatID: readI64(k[8:]), Status: StatusOpen, State: d.State, QueuedAt: d.QueuedAt, SentAt: d.SentAt,
			FailedAt: d.FailedAt, Error: d.Error})
	}
	// Acknowledgements are keyed alert, chat, user: one walk, merged by
	// chat id into the deliveries (both ordered by chat). firsts holds the
	// earliest acknowledgement of each, in one allocation.
	firsts := make([]Ack, len(out))
	i := 0
	ac := t.bucket(bucketAcks).Cursor()
	for k, v := ac.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = ac.Next() {
		chat := readI64(k[8:16])
		for i < len(out) && out[i].ChatID < chat {
			i++
		}
		if i == len(out) {
			break
		}
		if out[i].ChatID != chat {
			continue
		}
		a, ok := quickAck(v)
		if !ok {
			if err := jsonDecode(v, &a); err != nil {
				return nil, err
			}
		}
		out[i].addAck(a.upgraded(), &firsts[i])
	}
	if open := t.bucket(bucketOpen); open != nil {
		for j := range out {
			if out[j].First == nil {
				if v := open.Get(deliveryKey(alert, out[j].ChatID)); v != nil {
					e := decodeOpen(v)
					out[j].Reminded, out[j].Escalated = e.Reminded, e.Escalated
				}
			}
		}
	}
	return out, nil
}

// MatrixQuery selects the alerts (columns) and agencies (rows) of the
// matrix. Zero fields select everything.
type MatrixQuery struct {
	// From and To bound the alerts' first-seen time (To is exclusive).
	From, To time.Time
	// Severity keeps alerts at least this severe.
	Severity Severity
	Source   string
	// Agency keeps agencies whose name contains it (any case).
	Agency string
	// CVE keeps alerts naming it.
	CVE string
	// Tag keeps agencies carrying it (/tag).
	Tag string
	// Alerts caps the number of columns, newest first (default 50).
	Alerts int
}

// MatrixRow is one agency's standing on every alert of the matrix.
type MatrixRow struct {
	Chat Chat
	// Cells has one entry per alert of the matrix; ChatID is 0 where the
	// alert never went to this agency (its filter, or it joined later).
	Cells []Standing
}

// Matrix is the agencies × alerts view.
type Matrix struct {
	Alerts []Alert
	Rows   []MatrixRow
}

// Matches reports whether alert a passes the query's alert filters.
func (q MatrixQuery) Matches(a *Alert) bool {
	if !q.From.IsZero() && a.FirstSeen.Before(q.From) || !q.To.IsZero() && !a.FirstSeen.Before(q.To) {
		return false
	}
	if q.Severity.Rank() > 0 && a.Severity.Rank() < q.Severity.Rank() {
		return false
	}
	if q.Source != "" && !strings.EqualFold(q.Source, a.Source) {
		return false
	}
	if q.CVE != "" && !slices.ContainsFunc(a.CVEs, func(c string) bool { return strings.EqualFold(c, q.CVE) }) {
		return false
	}
	return true
}

// Matrix builds the matrix: up to q.Alerts alerts that reached at least
// one agency, newest first, and every agency any of them went to.
func (t *Tx) Matrix(q MatrixQuery) (Matrix, error) {
	limit := q.Alerts
	if limit <= 0 {
		limit = 50
	}
	var m Matrix
	rows := make(map[int64]int)
	chats := make(map[int64]*Chat)
	agency := strings.ToLower(strings.TrimSpace(q.Agency))
	c := t.bucket(bucketAlerts).Cursor()
	for k, v := c.Last(); k != nil && len(m.Alerts) < limit; k, v = c.Prev() {
		var a Alert
		if err := jsonDecode(v, &a); err != nil {
			return Matrix{}, err
		}
		if !q.From.IsZero() && a.FirstSeen.Before(q.From.Add(-24*time.Hour)) {
			break // ids follow first-seen times; a day's slack for clocks
		}
		if !a.Pushed && a.Source != DepartmentSource || !q.Matches(&a) {
			continue
		}
		st, err := t.Standings(a.ID)
		if err != nil {
			return Matrix{}, err
		}
		if len(st) == 0 {
			continue
		}
		col := len(m.Alerts)
		m.Alerts = append(m.Alerts, a)
		for _, s := range st {
			ch, ok := chats[s.ChatID]
			if !ok {
				rec, found, err := t.Chat(s.ChatID)
				if err != nil {
					return Matrix{}, err
				}
				if !found {
					rec = Chat{ID: s.ChatID}
				}
				if rec.MigratedTo == 0 && (agency == "" || strings.Contains(strings.ToLower(rec.Name()), agency)) &&
					(q.Tag == "" || slices.ContainsFunc(rec.Tags, func(t string) bool { return strings.EqualFold(t, q.Tag) })) {
					ch = &rec
				}
				chats[s.ChatID] = ch
			}
			if ch == nil {
				continue
			}
			r, ok := rows[s.ChatID]
			if !ok {
				r = len(m.Rows)
				rows[s.ChatID] = r
				m.Rows = append(m.Rows, MatrixRow{Chat: *ch, Cells: make([]Standing, 0, limit)})
			}
			for len(m.Rows[r].Cells) < col {
				m.Rows[r].Cells = append(m.Rows[r].Cells, Standing{})
			}
			m.Rows[r].Cells = append(m.Rows[r].Cells, s)
		}
	}
	for i := range m.Rows {
		for len(m.Rows[i].Cells) < len(m.Alerts) {
			m.Rows[i].Cells = append(m.Rows[i].Cells, Standing{})
		}
	}
	return m, nil
}

// AgencyTally is one agency's record over a period.
type AgencyTally struct {
	Chat Chat
	// Delivered counts alerts whose card reached it; Acked those it
	// acknowledged, InTime within the reminder deadline, Failed those that
	// could not be delivered.
	Delivered, Acked, InTime, Failed int
	// AckTimes are the times to acknowledge, in no order.
	AckTimes []time.Duration
}

// Tally is what happened to the alerts first seen in a period.
type Tally struct {
	From, To time.Time
	// Alerts counts the alerts that reached at least one agency.
	Alerts     int
	BySeverity map[Severity]int
	// Delivered, Acked, InTime and Failed count agency × alert pairs.
	Delivered, Acked, InTime, Failed int
	AckTimes                         []time.Duration
	Agencies                         map[int64]*AgencyTally
	// Open lists the alerts some agency still has not acknowledged.
	Open []OpenAlert
}

// OpenAlert is an alert with the agencies that have not acknowledged it.
type OpenAlert struct {
	Alert   Alert
	Pending int
}

// InTimeShare is the share of delivered alerts acknowledged within the
// reminder deadline, 0 to 1; ok is false when nothing was delivered.
func (t Tally) InTimeShare() (float64, bool) {
	if t.Delivered == 0 {
		return 0, false
	}
	return float64(t.InTime) / float64(t.Delivered), true
}

// Tally counts the alerts first seen in [from, to) that reached at least
// one agency, judged against the reminder deadlines dl.
func (t *Tx) Tally(from, to time.Time, dl Deadlines) (Tally, error) {
	out, err := t.Tallies([]Period{{from, to}}, dl)
	if err != nil {
		return Tally{}, err
	}
	return out[0], nil
}

// Period is a span of time, From included, To not.
type Period struct{ From, To time.Time }

// Tallies is Tally for several periods (which may overlap) in one walk:
// each alert's standings are read once and counted into every period
// that holds it.
func (t *Tx) Tallies(periods []Period, dl Deadlines) ([]Tally, error) {
	out := make([]Tally, len(periods))
	earliest := time.Time{}
	for i, p := range periods {
		out[i] = Tally{From: p.From, To: p.To, BySeverity: make(map[Severity]int), Agencies: make(map[int64]*AgencyTally)}
		if earliest.IsZero() || p.From.Before(earliest) {
			earliest = p.From
		}
	}
	chats := make(map[int64]Chat)
	c := t.bucket(bucketAlerts).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var a Alert
		if err := jsonDecode(v, &a); err != nil {
			return nil, err
		}
		if a.FirstSeen.Before(earliest.Add(-24 * time.Hour)) {
			break // ids follow first-seen times; a day's slack for clocks
		}
		var st []Standing
		for i, p := range periods {
			if a.FirstSeen.Before(p.From) || !a.FirstSeen.Before(p.To) {
				continue
			}
			if st == nil {
				var err error
				if st, err = t.Standings(a.ID); err != nil {
					return nil, err
				}
				for _, s := range st {
					if _, ok := chats[s.ChatID]; !ok {
						ch, found, err := t.Chat(s.ChatID)
						if err != nil {
							return nil, err
						}
						if !found {
							ch = Chat{ID: s.ChatID}
						}
						chats[s.ChatID] = ch
					}
				}
			}
			out[i].add(&a, st, chats, dl)
		}
	}
	for i := range out {
		slices.Reverse(out[i].Open)
	}
	return out, nil
}

// add counts one alert's standings.
func (out *Tally) add(a *Alert, st []Standing, chats map[int64]Chat, dl Deadlines) {
	reached, pending := false, 0
	for _, s := range st {
		ag := out.Agencies[s.ChatID]
		if ag == nil {
			ag = &AgencyTally{Chat: chats[s.ChatID]}
			out.Agencies[s.ChatID] = ag
		}
		switch s.State {
		case DeliveryFailed:
			out.Failed++
			ag.Failed++
			continue
		case DeliverySent:
		default:
			continue
		}
		reached = true
		out.Delivered++
		ag.Delivered++
		if !s.Acked() {
			pending++
			continue
		}
		d := s.AckAfter()
		out.Acked++
		ag.Acked++
		out.AckTimes = append(out.AckTimes, d)
		ag.AckTimes = append(ag.AckTimes, d)
		if d <= dl.RemindAfter(a.Severity) {
			out.InTime++
			ag.InTime++
		}
	}
	if reached {
		out.Alerts++
		out.BySeverity[a.Severity.Normal()]++
	}
	if pending > 0 {
		out.Open = append(out.Open, OpenAlert{Alert: *a, Pending: pending})
	}
}

// Slowest returns up to n agencies that took longest to acknowledge
// (median), counting unacknowledged alerts as slower than any; agencies
// with nothing delivered are left out.
func (t Tally) Slowest(n int) []*AgencyTally {
	var list []*AgencyTally
	for _, a := range t.Agencies {
		if a.Delivered > 0 {
			list = append(list, a)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		ri, rj := list[i].Rate(), list[j].Rate()
		mi, mj := list[i].Median(), list[j].Median()
		switch {
		case ri != rj:
			return ri < rj
		case mi != mj:
			return mi > mj
		}
		return list[i].Chat.Name() < list[j].Chat.Name()
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// Rate is the share of delivered alerts the agency acknowledged.
func (a *AgencyTally) Rate() float64 {
	if a.Delivered == 0 {
		return 0
	}
	return float64(a.Acked) / float64(a.Delivered)
}

// Median is the median time to acknowledge, 0 when none.
func (a *AgencyTally) Median() time.Duration { return Median(a.AckTimes) }

// Median returns the median of ds (0 when empty) without reordering ds.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// AgencyHistory returns up to n of the alerts delivered (or queued) to
// chat, newest first, with the chat's standing on each.
func (t *Tx) AgencyHistory(chat int64, n int) ([]Alert, []Standing, error) {
	var alerts []Alert
	var standings []Standing
	c := t.bucket(bucketByChat).Cursor()
	prefix := i64(chat)
	// Seek past the chat's last key, then walk back.
	k, _ := c.Seek(i64(chat + 1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && hasPrefix(k, prefix) && len(alerts) < n; k, _ = c.Prev() {
		id := readU64(k[8:])
		a, err := t.Alert(id)
		if err != nil {
			return nil, nil, err
		}
		st, err := t.standing(id, chat)
		if err != nil {
			return nil, nil, err
		}
		alerts = append(alerts, a)
		standings = append(standings, st)
	}
	return alerts, standings, nil
}

// standing is one chat's standing on one alert.
func (t *Tx) standing(alert uint64, chat int64) (Standing, error) {
	d, _, err := t.Delivery(alert, chat)
	if err != nil {
		return Standing{}, err
	}
	s := Standing{ChatID: chat, Status: StatusOpen, State: d.State, QueuedAt: d.QueuedAt, SentAt: d.SentAt, FailedAt: d.FailedAt, Error: d.Error}
	acks, err := t.Acks(alert, chat)
	if err != nil {
		return Standing{}, err
	}
	for _, a := range acks {
		s.addAck(a.upgraded(), new(Ack))
	}
	if v := t.bucket(bucketOpen).Get(deliveryKey(alert, chat)); v != nil && s.First == nil {
		e := decodeOpen(v)
		s.Reminded, s.Escalated = e.Reminded, e.Escalated
	}
	return s, nil
}

// AuditPage returns up to n audit entries older than before (0: the
// newest), newest first, and whether older ones exist.
func (t *Tx) AuditPage(before uint64, n int) ([]AuditEntry, bool, error) {
	var out []AuditEntry
	c := t.bucket(bucketAudit).Cursor()
	var k, v []byte
	if before == 0 {
		k, v = c.Last()
	} else {
		k, v = c.Seek(u64(before))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil; k, v = c.Prev() {
		if len(out) == n {
			return out, true, nil
		}
		var e AuditEntry
		if err := jsonDecode(v, &e); err != nil {
			return nil, false, err
		}
		out = append(out, e)
	}
	return out, false, nil
}

// Version changes whenever anything in the database changed, so that a
// page polling for news can skip its work when nothing did.
func (t *Tx) Version() int { return t.tx.ID() }

// OldestDue is when the longest-waiting outbox entry that is due by now
// became due (zero when none is due), and how many are due: /readyz
// calls a sender stuck when entries stay due while it sends nothing.
func (s *Store) OldestDue(now time.Time) (oldest time.Time, due int, err error) {
	err = s.View(func(tx *Tx) error {
		return each(tx, bucketOutbox, nil, func(_ []byte, o *Outgoing) error {
			at := o.Created
			if o.NotBefore.After(at) {
				at = o.NotBefore
			}
			if at.After(now) {
				return nil
			}
			due++
			if oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
			return nil
		})
	})
	return oldest, due, err
}

var keySummaryWeek = []byte("summary_week")

// QueueWeeklySummary queues the summary of q for chat unless the summary
// of the week starting at q.To was queued before, in one transaction, so
// that a restart never sends it twice; on a database that never had one
// it only records the week. It reports whether it queued.
func (s *Store) QueueWeeklySummary(chat int64, q ExportQuery, now time.Time) (bool, error) {
	return s.queueWeeklySummary(chat, q, now, true)
}

// MarkWeeklySummaryStart records, on a database that never had a weekly
// summary, that summaries start after q's week.
func (s *Store) MarkWeeklySummaryStart(q ExportQuery) error {
	_, err := s.queueWeeklySummary(1, q, time.Time{}, false)
	return err
}

func (s *Store) queueWeeklySummary(chat int64, q ExportQuery, now time.Time, send bool) (bool, error) {
	if chat == 0 {
		return false, nil
	}
	queued := false
	err := s.Update(func(tx *Tx) error {
		meta := tx.bucket(bucketMeta)
		v := meta.Get(keySummaryWeek)
		if len(v) == 8 && int64(readU64(v)) >= q.To.Unix() {
			return nil
		}
		if v == nil || !send { // the first start: nothing to report on yet
			if v != nil {
				return nil
			}
			return meta.Put(keySummaryWeek, u64(uint64(q.To.Unix())))
		}
		if _, err := tx.Enqueue(Outgoing{Kind: OutPhoto, ChatID: chat, Export: &q, Created: now}); err != nil {
			return err
		}
		queued = true
		return meta.Put(keySummaryWeek, u64(uint64(q.To.Unix())))
	})
	if err != nil {
		return false, fmt.Errorf("store: weekly summary: %w", err)
	}
	return queued, nil
}

// quickDelivery reads the state and delivery time of a stored delivery
// without a JSON decoder, which is most of a matrix's time. It handles
// the common records (queued or sent) and leaves anything else (a failed
// delivery with its reason) to encoding/json. The record is JSON written
// by encoding/json: keys in struct order, string values with their quotes
// escaped, so a key's quoted name cannot appear inside a value.
func quickDelivery(v []byte) (slimDelivery, bool) {
	var d slimDelivery
	if len(v) == 0 || v[0] != '{' {
		return d, false // the compact form: decodeCompactRecord reads it
	}
	state, ok := quickValue(v, keyState)
	switch {
	case ok && string(state) == string(DeliverySent):
		d.State = DeliverySent
	case ok && string(state) == string(DeliveryQueued):
		d.State = DeliveryQueued
	default:
		return d, false
	}
	if at, ok := quickValue(v, keySentAt); ok {
		t, err := time.Parse(time.RFC3339Nano, string(at))
		if err != nil {
			return d, false
		}
		d.SentAt = t
	}
	return d, true
}

// quickAck reads an acknowledgement without notes the same way; one with
// notes, or a name with escapes, goes to encoding/json.
func quickAck(v []byte) (Ack, bool) {
	var a Ack
	if bytes.Contains(v, keyNote) {
		return a, false
	}
	name, ok := quickValue(v, keyName)
	if !ok || bytes.IndexByte(name, '\\') >= 0 {
		return a, false
	}
	at, ok := quickValue(v, keyAt)
	if !ok {
		return a, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(at))
	if err != nil {
		return a, false
	}
	a.Name, a.At = string(name), t
	a.NotUsed = bytes.Contains(v, keyNotUsed)
	return a, true
}

// The keys the quick readers look for.
var (
	keyState   = []byte(`"state":"`)
	keySentAt  = []byte(`"sent_at":"`)
	keyNote    = []byte(`"note`)
	keyName    = []byte(`"name":"`)
	keyAt      = []byte(`"at":"`)
	keyNotUsed = []byte(`"not_used":true`)
)

// quickValue returns the string value after key (which ends with the
// opening quote), up to its closing quote.
func quickValue(v, key []byte) ([]byte, bool) {
	i := bytes.Index(v, key)
	if i < 0 {
		return nil, false
	}
	rest := v[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 0 && rest[j-1] == '\\' {
		return nil, false
	}
	return rest[:j], true
}
