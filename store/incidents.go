package store

import (
	"sort"
	"time"
)

// bucketIncidents holds incident reports: id → Incident. Drafts (a guided
// report not yet finished) live there too, so that a report keeps its
// number from its first question.
var bucketIncidents = []byte("incidents")

// IncidentStatus is where an incident report stands with the department.
type IncidentStatus string

// The incident statuses. Every filed status except resolved is open.
const (
	IncidentDraft    IncidentStatus = "draft"
	IncidentOpen     IncidentStatus = "open"
	IncidentReceived IncidentStatus = "received"
	IncidentSupport  IncidentStatus = "support"
	IncidentResolved IncidentStatus = "resolved"
)

// Incident is an agency's report of a cybersecurity incident (the letter's
// item 1d: report within three days of discovery). Its details are shown
// only in the reporting agency's group and the department's chat.
type Incident struct {
	V      int            `json:"v"`
	ID     uint64         `json:"id"`
	ChatID int64          `json:"chat"`
	Agency string         `json:"agency"`
	Status IncidentStatus `json:"status"`
	// Step is the question a guided report is waiting for; empty when
	// nothing is asked.
	Step         string `json:"step,omitempty"`
	ReporterID   int64  `json:"reporter"`
	ReporterName string `json:"reporter_name"`
	// DiscoveredAt is when the agency found the incident; ReportedAt when
	// the report reached the department. Late is set when the gap was over
	// the reporting deadline at the time.
	DiscoveredAt time.Time `json:"discovered_at,omitzero"`
	ReportedAt   time.Time `json:"reported_at,omitzero"`
	Late         bool      `json:"late,omitempty"`
	System       string    `json:"system,omitempty"`
	// Type is one of letter.IncidentTypes.
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
	Actions     string `json:"actions,omitempty"`
	// Support is "yes" or "no" once the agency said whether it needs help.
	Support string `json:"support,omitempty"`
	Phone   string `json:"phone,omitempty"`
	// Timeline lists what happened since the report, oldest first.
	Timeline []IncidentEvent `json:"timeline,omitempty"`
	// UpdatedAt is the time of the last timeline entry; RemindedAt of the
	// last reminder for an incident without news.
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	RemindedAt time.Time `json:"reminded_at,omitzero"`
}

// Open reports whether the incident is filed and not resolved.
func (i *Incident) Open() bool { return i.Status != IncidentDraft && i.Status != IncidentResolved }

// IncidentEvent is one entry of an incident's timeline.
type IncidentEvent struct {
	At     time.Time `json:"at"`
	UserID int64     `json:"user,omitempty"`
	Name   string    `json:"name,omitempty"`
	// Department is set for entries by department staff.
	Department bool `json:"department,omitempty"`
	// Kind is "filed", "update", "attachment" or a status the department
	// set ("received", "support", "resolved").
	Kind string `json:"kind"`
	Text string `json:"text,omitempty"`
}

// AddEvent appends e to the timeline and counts it as news.
func (i *Incident) AddEvent(e IncidentEvent) {
	i.Timeline = append(i.Timeline, e)
	if e.At.After(i.UpdatedAt) {
		i.UpdatedAt = e.At
	}
}

// NewIncident numbers and stores a new incident (SC-1, SC-2, …).
func (t *Tx) NewIncident(i Incident) (Incident, error) {
	b, err := t.writable(bucketIncidents)
	if err != nil {
		return i, err
	}
	id, err := b.NextSequence()
	if err != nil {
		return i, err
	}
	i.ID = id
	return i, t.PutIncident(i)
}

// PutIncident writes an incident.
func (t *Tx) PutIncident(i Incident) error {
	i.V = schemaVersion
	if _, err := t.writable(bucketIncidents); err != nil {
		return err
	}
	return t.put(bucketIncidents, u64(i.ID), &i)
}

// Incident returns the incident with id; ok is false when there is none.
func (t *Tx) Incident(id uint64) (i Incident, ok bool, err error) {
	ok, err = t.get(bucketIncidents, u64(id), &i)
	return i, ok, err
}

// Incidents returns every incident, drafts included, by number.
func (t *Tx) Incidents() ([]Incident, error) {
	var out []Incident
	err := each(t, bucketIncidents, nil, func(_ []byte, i *Incident) error {
		out = append(out, *i)
		return nil
	})
	return out, err
}

// OpenIncidents returns the filed incidents not resolved yet, the oldest
// report first.
func (t *Tx) OpenIncidents() ([]Incident, error) {
	all, err := t.Incidents()
	if err != nil {
		return nil, err
	}
	var out []Incident
	for _, i := range all {
		if i.Open() {
			out = append(out, i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ReportedAt.Before(out[b].ReportedAt) })
	return out, nil
}

// DraftIncident returns the unfinished guided report that user started in
// chat, if any.
func (t *Tx) DraftIncident(chat, user int64) (Incident, bool, error) {
	var found Incident
	ok := false
	err := each(t, bucketIncidents, nil, func(_ []byte, i *Incident) error {
		if i.Status == IncidentDraft && i.ChatID == chat && i.ReporterID == user {
			found, ok = *i, true
		}
		return nil
	})
	return found, ok, err
}
