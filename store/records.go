package store

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ChatStatus is where a chat stands in the subscription workflow.
type ChatStatus string

// The chat statuses. Only approved chats receive alerts.
const (
	ChatPending      ChatStatus = "pending"
	ChatApproved     ChatStatus = "approved"
	ChatRejected     ChatStatus = "rejected"
	ChatUnsubscribed ChatStatus = "unsubscribed"
	// ChatGone means Telegram refused to deliver (the bot was removed, the
	// chat deleted). History is kept so that /subscribe can restore it.
	ChatGone ChatStatus = "gone"
)

// Chat is an agency's Telegram group (or a private chat) and its
// subscription. The department's own chat is not stored as a Chat.
type Chat struct {
	V      int        `json:"v"`
	ID     int64      `json:"id"`
	Title  string     `json:"title,omitempty"`
	Type   string     `json:"type,omitempty"`
	Agency string     `json:"agency"`
	Status ChatStatus `json:"status"`

	RequestedBy     int64     `json:"requested_by,omitempty"`
	RequestedByName string    `json:"requested_by_name,omitempty"`
	RequestedAt     time.Time `json:"requested_at,omitzero"`
	DecidedBy       int64     `json:"decided_by,omitempty"`
	DecidedByName   string    `json:"decided_by_name,omitempty"`
	// RequestMessage is the message in the department's chat that carries
	// the chat's latest subscription request, edited once it is decided.
	RequestMessage int       `json:"request_message,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`

	// GoneReason is Telegram's answer when the chat became gone; GoneFrom
	// is the status it had, so that /subscribe can restore an approval.
	GoneReason string     `json:"gone_reason,omitempty"`
	GoneAt     time.Time  `json:"gone_at,omitzero"`
	GoneFrom   ChatStatus `json:"gone_from,omitempty"`

	Filter Filter `json:"filter,omitzero"`
	// Tags group agencies the way the department's letters address them
	// ("so-ban-nganh", "ubnd-huyen"), for tagged broadcasts, watch periods
	// and reports limited to a group.
	Tags []string `json:"tags,omitempty"`
	// MigratedTo is set on the record of a group that Telegram upgraded
	// to a supergroup; the live record is under the new id.
	MigratedTo int64 `json:"migrated_to,omitempty"`
}

// Private reports whether the chat is a one-to-one chat, which Telegram
// paces differently from groups.
func (c *Chat) Private() bool { return c.ID > 0 }

// Name is how the chat is shown to the department: the agency name, else
// the group title.
func (c *Chat) Name() string {
	if c.Agency != "" {
		return c.Agency
	}
	return c.Title
}

// HasTag reports whether the chat carries tag.
func (c *Chat) HasTag(tag string) bool { return slices.Contains(c.Tags, tag) }

// InAudience reports whether the chat carries one of tags; no tags means
// every chat.
func (c *Chat) InAudience(tags []string) bool {
	return len(tags) == 0 || slices.ContainsFunc(tags, c.HasTag)
}

// Wants reports whether alert a is for this chat: a tagged advisory only
// for chats with one of its tags, and then the chat's own filter (which
// lets every department advisory through).
func (c *Chat) Wants(a *Alert) bool { return c.InAudience(a.Audience) && c.Filter.Matches(a) }

// Filter narrows which alerts a chat receives. The zero Filter lets
// everything through.
type Filter struct {
	// MinSeverity drops alerts less urgent than it; an empty value or
	// unknown keeps all.
	MinSeverity Severity `json:"min_severity,omitempty"`
	// Keywords keep only alerts whose title, summary, vendors or CVE ids
	// contain at least one of them (case-insensitive).
	Keywords []string `json:"keywords,omitempty"`
	// Sources keep only alerts from these sources. The department's own
	// advisories always pass.
	Sources []string `json:"sources,omitempty"`
}

// IsZero reports whether the filter lets everything through.
func (f Filter) IsZero() bool {
	return f.MinSeverity.Rank() == 0 && len(f.Keywords) == 0 && len(f.Sources) == 0
}

// Matches reports whether a chat with this filter should receive a. The
// parts combine with "and": the severity is at least MinSeverity, and the
// source is one of Sources, and the text holds one of Keywords. Two
// exceptions: department advisories always match (they are orders, not
// news), and an alert that is critical and exploited in the wild passes
// the keyword part, because a product named differently than the group
// expects must not hide an attack in progress.
func (f Filter) Matches(a *Alert) bool {
	if a.Source == DepartmentSource {
		return true
	}
	if f.MinSeverity.Rank() > 0 && a.Severity.Rank() < f.MinSeverity.Rank() {
		return false
	}
	if len(f.Sources) > 0 && !slices.ContainsFunc(f.Sources, func(s string) bool { return strings.EqualFold(s, a.Source) }) {
		return false
	}
	if len(f.Keywords) == 0 || a.Severity == SeverityCritical && a.Exploited {
		return true
	}
	text := strings.ToLower(a.Title + "\n" + a.Summary + "\n" + strings.Join(a.Vendors, "\n") + "\n" + strings.Join(a.CVEs, "\n"))
	for _, k := range f.Keywords {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" && strings.Contains(text, k) {
			return true
		}
	}
	return false
}

// DeliveryState is where one alert stands for one chat.
type DeliveryState string

// The delivery states.
const (
	DeliveryQueued DeliveryState = "queued"
	DeliverySent   DeliveryState = "sent"
	DeliveryFailed DeliveryState = "failed"
)

// Delivery is one alert for one chat: queued, then sent (with the Telegram
// message that carries it) or failed with a reason.
type Delivery struct {
	V         int           `json:"v"`
	AlertID   uint64        `json:"alert"`
	ChatID    int64         `json:"chat"`
	State     DeliveryState `json:"state"`
	QueuedAt  time.Time     `json:"queued_at"`
	SentAt    time.Time     `json:"sent_at,omitzero"`
	MessageID int           `json:"message_id,omitempty"`
	Error     string        `json:"error,omitempty"`
	FailedAt  time.Time     `json:"failed_at,omitzero"`
	// Via says how the alert reached the chat when it was not its own
	// card: "digest" or "followup".
	Via string `json:"via,omitempty"`
	// EditQueued is set while an edit of the card is waiting in the
	// outbox, so that several presses make one edit.
	EditQueued bool `json:"edit_queued,omitempty"`
	// EditDirty is set when an acknowledgement arrives while the card or
	// its edit is in flight: once that settles, one more edit is queued so
	// that the card shows it.
	EditDirty bool `json:"edit_dirty,omitempty"`
}

// Ack is one person's acknowledgement of an alert in a chat. A chat has
// acknowledged an alert when it has at least one Ack.
type Ack struct {
	V       int       `json:"v"`
	AlertID uint64    `json:"alert"`
	ChatID  int64     `json:"chat"`
	UserID  int64     `json:"user"`
	Name    string    `json:"name"`
	At      time.Time `json:"at"`
	// Note is the single remediation report of records written before
	// notes were kept as a list; reading an Ack moves it into Notes.
	Note string `json:"note,omitempty"`
	// Notes are this person's remediation reports (/done, the report
	// button), oldest first; a new one is appended, never replaces.
	Notes []Note `json:"notes,omitempty"`
	// NotUsed is set when this person answered that the agency does not
	// run the product: the alert is closed for the agency.
	NotUsed bool `json:"not_used,omitempty"`
	// Erased is set when the person's data was erased (on request, or
	// after CANHBAO_RETENTION): UserID is then an anonymous negative
	// number, Name the "person whose data was erased" wording, and each
	// note's text the "erased" wording (its time stays, so the agency
	// still counts as having reported).
	Erased bool `json:"erased,omitempty"`
}

// Note is one remediation report: what was done, and when it was said.
type Note struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// AckStatus is where an agency stands on one alert, as /report and the
// export show it.
type AckStatus string

// The statuses, from open to closed.
const (
	// StatusOpen: nobody in the agency has acknowledged.
	StatusOpen AckStatus = "open"
	// StatusAcknowledged: someone acknowledged, no report yet.
	StatusAcknowledged AckStatus = "acknowledged"
	// StatusRemediated: someone reported what was done.
	StatusRemediated AckStatus = "remediated"
	// StatusNotUsed: the agency does not run the product.
	StatusNotUsed AckStatus = "not_used"
)

// StatusOf is an agency's status given its members' acknowledgements: a
// remediation report outweighs "not used", which outweighs a plain
// acknowledgement.
func StatusOf(acks []Ack) AckStatus {
	st := StatusOpen
	for _, a := range acks {
		switch {
		case len(a.Notes) > 0 || a.Note != "":
			return StatusRemediated
		case a.NotUsed:
			st = StatusNotUsed
		case st == StatusOpen:
			st = StatusAcknowledged
		}
	}
	return st
}

// Kind says what an outbox entry carries and so how the sender renders it
// and what it records once Telegram accepted it.
type Kind string

// The kinds of outgoing message.
const (
	// OutAlert is an alert card with the acknowledge button.
	OutAlert Kind = "alert"
	// OutDigest gathers several alerts of one poll into one message.
	OutDigest Kind = "digest"
	// OutFollowUp is a short note for an alert that repeats the CVE ids
	// of one the chat already received.
	OutFollowUp Kind = "followup"
	// OutCopy copies a department message (document, photo) to a group.
	OutCopy Kind = "copy"
	// OutEdit rewrites a delivered card to show who acknowledged it.
	OutEdit Kind = "edit"
	// OutReminder replies to an unacknowledged alert card.
	OutReminder Kind = "reminder"
	// OutNotice tells the department of an event; notices due together
	// are sent as one message.
	OutNotice Kind = "notice"
	// OutText is a prepared reply to a command.
	OutText Kind = "text"
	// OutDocument sends a generated file (the CSV export) to an admin.
	OutDocument Kind = "document"
	// OutForward copies a person's message (a photo or document attached
	// to an incident) to another chat, with Text as its caption.
	OutForward Kind = "forward"
	// OutPrompt asks for a remediation note (Text) with a forced reply;
	// the reply to it is the note for AlertIDs.
	OutPrompt Kind = "prompt"
	// OutPhoto sends the weekly summary chart with its lines as the
	// caption; Export holds the period.
	OutPhoto Kind = "photo"
)

// Delivers reports whether sending this kind records alert deliveries.
func (k Kind) Delivers() bool {
	return k == OutAlert || k == OutDigest || k == OutFollowUp || k == OutCopy
}

// Button is an inline keyboard button: label and callback data.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"`
}

// Notice is an event the department is told of. It is stored as data and
// rendered when sent, in the configured language.
type Notice struct {
	Event    string   `json:"event"`
	ChatID   int64    `json:"chat,omitempty"`
	Agency   string   `json:"agency,omitempty"`
	UserID   int64    `json:"user,omitempty"`
	UserName string   `json:"user_name,omitempty"`
	Source   string   `json:"source,omitempty"`
	AlertIDs []uint64 `json:"alerts,omitempty"`
	Agencies []string `json:"agencies,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	// Title is the alert's title, for escalations.
	Title string `json:"title,omitempty"`
	// After is how long the alert has gone unacknowledged, for
	// escalations.
	After time.Duration `json:"after,omitempty"`
	// Count and Pushed are the alerts a capped poll held back and those
	// it pushed.
	Count  int       `json:"count,omitempty"`
	Pushed int       `json:"pushed,omitempty"`
	At     time.Time `json:"at"`
	// Escalations are the alerts of one escalation round with the
	// agencies that have not acknowledged each, so that a round is one
	// message to the department.
	Escalations []Escalation `json:"escalations,omitempty"`
}

// Escalation is one alert in an escalation round.
type Escalation struct {
	AlertID  uint64    `json:"alert"`
	Title    string    `json:"title"`
	Severity Severity  `json:"severity,omitempty"`
	Agencies []Contact `json:"agencies"`
}

// Contact is an agency and the person to ask about it: who subscribed
// its group.
type Contact struct {
	ChatID   int64  `json:"chat"`
	Agency   string `json:"agency"`
	UserID   int64  `json:"user,omitempty"`
	UserName string `json:"user_name,omitempty"`
}

// ContactOf is the contact of a chat.
func ContactOf(c Chat) Contact {
	return Contact{ChatID: c.ID, Agency: c.Name(), UserID: c.RequestedBy, UserName: c.RequestedByName}
}

// The notice events.
const (
	EventSubscribeRequest = "subscribe_request"
	EventApproved         = "approved"
	EventRejected         = "rejected"
	EventUnsubscribed     = "unsubscribed"
	EventRestored         = "restored"
	EventChatGone         = "chat_gone"
	EventMigrated         = "migrated"
	EventDeliveryFailed   = "delivery_failed"
	EventSourceDown       = "source_down"
	EventSourceUp         = "source_up"
	// EventSourceFirstPoll answers /source add with its first poll's
	// result: Count items read, or the error in Detail.
	EventSourceFirstPoll = "source_first_poll"
	EventEscalation      = "escalation"
	// EventIngestHeld: one poll of a source brought more new alerts than
	// CANHBAO_MAX_NEW_PER_POLL; the rest were stored unpushed.
	EventIngestHeld = "ingest_held"
	// EventConfigProblem: a setting that does not stop the service (the
	// contacts file) is wrong; Detail says what.
	EventConfigProblem = "config_problem"
)

// Outgoing is one entry of the outbox: a message that must reach a chat.
// Every message canhbao sends is one, so that pacing, retries and crash
// safety are written once.
type Outgoing struct {
	V        int      `json:"v"`
	ID       uint64   `json:"id"`
	Kind     Kind     `json:"kind"`
	ChatID   int64    `json:"chat"`
	AlertIDs []uint64 `json:"alerts,omitempty"`
	// Ref is the earlier alert a follow-up points to.
	Ref uint64 `json:"ref,omitempty"`
	// Update is the number (from 1) of the alert's AlertUpdate an
	// OutUpdate entry announces.
	Update int `json:"update,omitempty"`
	// Text is the prepared HTML of OutText entries.
	Text    string     `json:"text,omitempty"`
	Buttons [][]Button `json:"buttons,omitempty"`
	ReplyTo int        `json:"reply_to,omitempty"`
	// ForceReply opens the reply field for the person the message answers
	// (a guided report's question), instead of Buttons.
	ForceReply bool `json:"force_reply,omitempty"`
	// Copy is the message an OutForward copies.
	Copy   *MessageRef `json:"copy,omitempty"`
	Notice *Notice     `json:"notice,omitempty"`
	// EditMessageID is the message an OutEdit rewrites.
	EditMessageID int `json:"edit_message,omitempty"`
	// Export limits an OutDocument export.
	Export *ExportQuery `json:"export,omitempty"`
	// Urgent entries go ahead of routine ones to the same chat.
	Urgent bool `json:"urgent,omitempty"`
	// User is the person an OutText answers, so that several answers to
	// one person can be merged into one message.
	User int64 `json:"user,omitempty"`
	// Staff marks an answer to department staff: it goes ahead of
	// routine messages, like alerts.
	Staff bool `json:"staff,omitempty"`
	// Plain asks the sender to send without HTML after Telegram rejected
	// the formatted text.
	Plain bool `json:"plain,omitempty"`

	Created   time.Time `json:"created"`
	NotBefore time.Time `json:"not_before,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

// ExportQuery selects the rows of an export: one alert, or a time range
// of alert first-seen times (zero bounds are open).
type ExportQuery struct {
	AlertID uint64 `json:"alert,omitempty"`
	// Tag limits the rows to agencies with this tag.
	Tag string `json:"tag,omitempty"`
	// Sheet selects another table than acknowledgements: "incidents" or
	// "duty".
	Sheet string    `json:"sheet,omitempty"`
	From  time.Time `json:"from,omitzero"`
	To    time.Time `json:"to,omitzero"`
	// Format is the file's format: "xlsx", or CSV when empty.
	Format string `json:"format,omitempty"`
}

// AuditEntry records one admin action.
type AuditEntry struct {
	V        int       `json:"v"`
	ID       uint64    `json:"id"`
	At       time.Time `json:"at"`
	UserID   int64     `json:"user"`
	UserName string    `json:"user_name,omitempty"`
	Action   string    `json:"action"`
	Detail   string    `json:"detail,omitempty"`
}

// appendJSON appends a's JSON form, byte for byte what encoding/json
// writes for it, without reflection: an ingest writes every new alert
// once, and encoding/json's reflection was a sixth of the CPU an ingest
// spends outside bbolt. ok is false for the alerts it leaves to
// encoding/json: those with updates or a copied message (never new
// ones), a score that needs the exponent form, or a time outside what
// RFC 3339 holds (which encoding/json refuses).
func (a *Alert) appendJSON(b []byte) (_ []byte, ok bool) {
	if len(a.Updates) > 0 || a.Copy != nil || !plainFloat(a.Score) {
		return b, false
	}
	begin := len(b)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(a.V), 10)
	b = append(b, `,"id":`...)
	b = strconv.AppendUint(b, a.ID, 10)
	b = appendJSONField(b, "source", a.Source, false)
	b = appendJSONField(b, "source_title", a.SourceTitle, true)
	b = appendJSONField(b, "key", a.Key, false)
	b = appendJSONField(b, "title", a.Title, false)
	b = appendJSONField(b, "summary", a.Summary, true)
	b = appendJSONField(b, "link", a.Link, true)
	var okTimes [3]bool
	b, okTimes[0] = appendJSONTime(b, "published", a.Published, true)
	b, okTimes[1] = appendJSONTime(b, "first_seen", a.FirstSeen, false)
	b = appendJSONField(b, "severity", string(a.Severity), false)
	if a.Score != 0 {
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, a.Score, 'f', -1, 64)
	}
	b = appendJSONStrings(b, "cves", a.CVEs)
	b = appendJSONStrings(b, "vendors", a.Vendors)
	b = appendJSONFlag(b, "exploited", a.Exploited)
	b = appendJSONFlag(b, "severity_default", a.SeverityDefault)
	b = appendJSONFlag(b, "news", a.News)
	b = appendJSONStrings(b, "kev", a.KEV)
	b = appendJSONStrings(b, "related", a.Related)
	b = appendJSONFlag(b, "date_only", a.DateOnly)
	b = appendJSONFlag(b, "ransomware", a.Ransomware)
	b = appendJSONField(b, "action", a.Action, true)
	b, okTimes[2] = appendJSONTime(b, "due", a.Due, true)
	b = appendJSONField(b, "hash", a.Hash, true)
	if a.Author != 0 {
		b = append(b, `,"author":`...)
		b = strconv.AppendInt(b, a.Author, 10)
	}
	b = appendJSONField(b, "author_name", a.AuthorName, true)
	b = appendJSONStrings(b, "audience", a.Audience)
	b = append(b, `,"pushed":`...)
	b = strconv.AppendBool(b, a.Pushed)
	if okTimes != [3]bool{true, true, true} {
		return b[:begin], false
	}
	return append(b, '}'), true
}

// plainFloat reports whether encoding/json writes f without an exponent
// (and at all: it refuses NaN and infinities).
func plainFloat(f float64) bool {
	abs := math.Abs(f)
	return abs == 0 || abs >= 1e-6 && abs < 1e21
}

// appendJSONField appends ,"name":"s", or nothing for an empty s when
// omitEmpty.
func appendJSONField(b []byte, name, s string, omitEmpty bool) []byte {
	if omitEmpty && s == "" {
		return b
	}
	b = append(append(append(b, ',', '"'), name...), '"', ':')
	return appendJSONString(b, s)
}

// appendJSONFlag appends ,"name":true when set (the fields are
// omitempty).
func appendJSONFlag(b []byte, name string, set bool) []byte {
	if !set {
		return b
	}
	return append(append(append(b, ',', '"'), name...), `":true`...)
}

// appendJSONStrings appends ,"name":[...], nothing for an empty list (the
// fields are omitempty).
func appendJSONStrings(b []byte, name string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(append(append(b, ',', '"'), name...), '"', ':', '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONTime appends ,"name":"RFC 3339 time" as time.Time's
// MarshalJSON writes it (nothing for the zero time when omitZero); ok is
// false for a time it refuses (a year of more than four digits, a zone
// offset of a day or more).
func appendJSONTime(b []byte, name string, t time.Time, omitZero bool) (_ []byte, ok bool) {
	if omitZero && t.IsZero() {
		return b, true
	}
	b = append(append(append(b, ',', '"'), name...), '"', ':', '"')
	at := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	ok = len(b) > at+4 && b[at+4] == '-'
	if last := b[len(b)-1]; ok && last != 'Z' {
		zone := b[len(b)-len("07:00"):]
		ok = b[len(b)-len("Z07:00")] == '+' || b[len(b)-len("Z07:00")] == '-'
		ok = ok && 10*(zone[0]-'0')+zone[1]-'0' < 24
	}
	return append(b, '"'), ok
}

// appendJSONString appends s quoted as encoding/json quotes strings:
// HTML characters, control characters, U+2028 and U+2029 escaped, and
// invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
