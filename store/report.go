package store

import (
	"fmt"
	"io"
	"sort"
)

// ReportRow is one agency's standing on one alert.
type ReportRow struct {
	Chat     Chat
	Delivery Delivery
	Acks     []Ack
}

// Acked reports whether the agency has acknowledged: one member is enough.
func (r ReportRow) Acked() bool { return len(r.Acks) > 0 }

// Report is the department's view of one alert.
type Report struct {
	Alert Alert
	Rows  []ReportRow
}

// ForTag keeps the rows of agencies with tag; an empty tag keeps all.
func (r Report) ForTag(tag string) Report {
	if tag == "" {
		return r
	}
	rows := make([]ReportRow, 0, len(r.Rows))
	for _, row := range r.Rows {
		if row.Chat.HasTag(tag) {
			rows = append(rows, row)
		}
	}
	r.Rows = rows
	return r
}

// Totals counts the rows: acknowledged, delivered (sent), queued, failed,
// and all.
func (r Report) Totals() (acked, sent, queued, failed, all int) {
	for _, row := range r.Rows {
		if row.Acked() {
			acked++
		}
		switch row.Delivery.State {
		case DeliverySent:
			sent++
		case DeliveryQueued:
			queued++
		case DeliveryFailed:
			failed++
		}
	}
	return acked, sent, queued, failed, len(r.Rows)
}

// Report builds the report of one alert: every chat it was queued for,
// agencies that have not acknowledged first, then by name.
func (t *Tx) Report(alertID uint64) (Report, error) {
	return t.report(alertID, nil)
}

// report builds a report; chats, when not nil, caches chat records across
// the reports of an export.
func (t *Tx) report(alertID uint64, chats map[int64]Chat) (Report, error) {
	a, err := t.Alert(alertID)
	if err != nil {
		return Report{}, err
	}
	ds, err := t.Deliveries(alertID)
	if err != nil {
		return Report{}, err
	}
	acks, err := t.AlertAcks(alertID)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Alert: a, Rows: make([]ReportRow, 0, len(ds))}
	for _, d := range ds {
		c, cached := chats[d.ChatID]
		if !cached {
			var ok bool
			if c, ok, err = t.Chat(d.ChatID); err != nil {
				return Report{}, err
			}
			if !ok {
				c = Chat{ID: d.ChatID}
			}
			if chats != nil {
				chats[d.ChatID] = c
			}
		}
		rep.Rows = append(rep.Rows, ReportRow{Chat: c, Delivery: d, Acks: acks[d.ChatID]})
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		ri, rj := rep.Rows[i], rep.Rows[j]
		if ri.Acked() != rj.Acked() {
			return !ri.Acked()
		}
		return ri.Chat.Name() < rj.Chat.Name()
	})
	return rep, nil
}

// AlertCounts is the one-line summary of an alert's reach.
type AlertCounts struct {
	Queued, Sent, Failed, Acked int
}

// Counts summarises an alert's deliveries and acknowledgements.
func (t *Tx) Counts(alertID uint64) (AlertCounts, error) {
	var c AlertCounts
	err := each(t, bucketDeliveries, u64(alertID), func(_ []byte, d *Delivery) error {
		switch d.State {
		case DeliveryQueued:
			c.Queued++
		case DeliverySent:
			c.Sent++
		case DeliveryFailed:
			c.Failed++
		}
		if t.Acked(alertID, d.ChatID) {
			c.Acked++
		}
		return nil
	})
	return c, err
}

// Unacked returns the alerts delivered to chat that nobody there has
// acknowledged, oldest first.
func (t *Tx) Unacked(chat int64) ([]Alert, error) {
	ds, err := t.ChatDeliveries(chat)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, d := range ds {
		if d.State != DeliverySent || t.Acked(d.AlertID, chat) {
			continue
		}
		a, err := t.Alert(d.AlertID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// WriteTo writes a consistent copy of the whole database to w while others
// keep reading and writing it.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := s.guarded(func() error {
		return s.db.View(func(tx *boltTx) error {
			var err error
			n, err = tx.WriteTo(w)
			return err
		})
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// EachReport calls fn with the report of every alert q selects, oldest
// first, one alert at a time so that memory stays flat on large exports.
func (t *Tx) EachReport(q ExportQuery, fn func(Report) error) error {
	chats := make(map[int64]Chat)
	if q.AlertID != 0 {
		rep, err := t.Report(q.AlertID)
		if err != nil {
			return err
		}
		return fn(rep.ForTag(q.Tag))
	}
	c := t.bucket(bucketAlerts).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		a, err := t.Alert(readU64(k))
		if err != nil {
			return err
		}
		if !q.From.IsZero() && a.FirstSeen.Before(q.From) || !q.To.IsZero() && !a.FirstSeen.Before(q.To) {
			continue
		}
		rep, err := t.report(a.ID, chats)
		if err != nil {
			return err
		}
		if rep = rep.ForTag(q.Tag); len(rep.Rows) == 0 {
			continue
		}
		if err := fn(rep); err != nil {
			return err
		}
	}
	return nil
}
