package store

import (
	"strings"
	"time"
)

// schemaVersion is written into every stored record so that a later release
// can migrate old values instead of misreading them.
const schemaVersion = 1

// Severity is how urgent an alert is. It decides reminder deadlines and is
// what agencies filter on, so it has a fixed, ordered set of values.
type Severity string

// The severities, from most to least urgent.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityUnknown  Severity = "unknown"
)

// Severities lists every severity from most to least urgent, for menus and
// reports that must show them in order.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown}

// Rank orders severities so that filters can compare them: critical is 4,
// unknown is 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// Urgent reports whether the short reminder deadline applies.
func (s Severity) Urgent() bool { return s.Rank() >= SeverityHigh.Rank() }

// Max returns the more urgent of s and o.
func (s Severity) Max(o Severity) Severity {
	if o.Rank() > s.Rank() {
		return o
	}
	return s.Normal()
}

// Normal maps anything outside the fixed set to SeverityUnknown.
func (s Severity) Normal() Severity {
	if s.Rank() == 0 {
		return SeverityUnknown
	}
	return s
}

// ParseSeverity reads a severity written by a person or a config file, in
// English or Vietnamese, with or without diacritics.
func ParseSeverity(word string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "critical", "nghiêm trọng", "nghiem trong", "nghiemtrong":
		return SeverityCritical, true
	case "high", "important", "cao":
		return SeverityHigh, true
	case "medium", "moderate", "trung bình", "trung binh", "trungbinh":
		return SeverityMedium, true
	case "low", "thấp", "thap":
		return SeverityLow, true
	case "unknown", "none", "chưa xác định", "chua xac dinh":
		return SeverityUnknown, true
	}
	return SeverityUnknown, false
}

// Alert is one warning as the department relays it: an item from a source or
// one of the department's own advisories. ID is the short number people type
// in /ack and /report.
type Alert struct {
	V  int    `json:"v"`
	ID uint64 `json:"id"`
	// Source is the name of the source the alert came from; advisories the
	// department publishes itself use DepartmentSource.
	Source string `json:"source"`
	// SourceTitle is how the source is shown ("CISA KEV"); empty shows
	// Source.
	SourceTitle string `json:"source_title,omitempty"`
	// Key identifies the item within its source (GUID, else link, else a
	// hash of title and date) so that a re-poll does not create it again.
	Key       string    `json:"key"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary,omitempty"`
	Link      string    `json:"link,omitempty"`
	Published time.Time `json:"published,omitzero"`
	FirstSeen time.Time `json:"first_seen"`
	Severity  Severity  `json:"severity"`
	// Score is the highest CVSS base score the text gave, 0 when none.
	Score   float64  `json:"score,omitempty"`
	CVEs    []string `json:"cves,omitempty"`
	Vendors []string `json:"vendors,omitempty"`
	// Exploited is set when the text or a catalogue says the flaw is being
	// exploited in the wild.
	Exploited bool `json:"exploited,omitempty"`
	// SeverityDefault is set when the text gave no severity and Severity is
	// the source's default, so that a default never looks assessed.
	SeverityDefault bool `json:"severity_default,omitempty"`
	// News marks an item that is not an advisory (a bulletin, a report, a
	// policy statement): it carries no severity and asks for no checks.
	News bool `json:"news,omitempty"`
	// KEV lists the alert's CVE ids found in CISA's KEV catalogue when the
	// exploitation comes from the catalogue and not from the alert's text.
	KEV []string `json:"kev,omitempty"`
	// Related are CVE ids the text mentions that are not what the alert is
	// about ("unlike CVE-…", another flaw in the same product); follow-ups
	// and updates use CVEs only.
	Related []string `json:"related,omitempty"`
	// DateOnly is set when the source gives a calendar day and no time
	// (KEV, CERT-FR at midnight, IPA): Published is that day at 00:00 UTC
	// and is shown as a date, never as a time of day.
	DateOnly bool `json:"date_only,omitempty"`
	// Ransomware is set when the source says the flaw is used in
	// ransomware campaigns (KEV's knownRansomwareCampaignUse).
	Ransomware bool `json:"ransomware,omitempty"`
	// Action is what the source requires (KEV's requiredAction), Due the
	// day by which (KEV's dueDate, a date without time).
	Action string    `json:"action,omitempty"`
	Due    time.Time `json:"due,omitzero"`
	// Hash is a digest of the item's text as the source last published it,
	// so that a revision (same key, new text) is noticed.
	Hash string `json:"hash,omitempty"`
	// Updates are the changes announced to the groups after delivery
	// (exploitation reported later, a revised advisory), oldest first.
	Updates []AlertUpdate `json:"updates,omitempty"`
	// Author is the department admin who published an advisory.
	Author     int64  `json:"author,omitempty"`
	AuthorName string `json:"author_name,omitempty"`
	// Copy, when set, is a message (document, photo) in a department chat
	// that is copied to every group instead of rendering a text card.
	Copy *MessageRef `json:"copy,omitempty"`
	// Audience, when set, limits a department advisory to the chats with
	// one of these tags.
	Audience []string `json:"audience,omitempty"`
	// Pushed is false for alerts stored during a backfill, which were never
	// queued for delivery.
	Pushed bool `json:"pushed"`
}

// DepartmentSource is the source name of the department's own advisories.
const DepartmentSource = "department"

// When is the time to show for the alert: its publication time, or the time
// canhbao first saw it when the source gave none.
func (a *Alert) When() time.Time {
	if a.Published.IsZero() {
		return a.FirstSeen
	}
	return a.Published
}

// MessageRef points at one Telegram message.
type MessageRef struct {
	ChatID    int64 `json:"chat_id"`
	MessageID int   `json:"message_id"`
}

// AlertUpdate is one change to an alert after it was delivered, announced
// as a reply to its card.
type AlertUpdate struct {
	At time.Time `json:"at"`
	// Kind is UpdateExploited or UpdateRevised.
	Kind string `json:"kind"`
	// Source is the source that reported the change (its display name).
	Source string `json:"source,omitempty"`
	// CVEs are the alert's CVE ids the change is about.
	CVEs []string `json:"cves,omitempty"`
	// Day is the day the source dates the change (KEV's dateAdded), zero
	// when it gives none.
	Day time.Time `json:"day,omitzero"`
	// Severity is the alert's severity after the change.
	Severity Severity `json:"severity,omitempty"`
}

// The kinds of AlertUpdate.
const (
	// UpdateExploited: a source reported exploitation later.
	UpdateExploited = "exploited"
	// UpdateRevised: the source revised the advisory.
	UpdateRevised = "revised"
)
