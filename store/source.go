package store

import "time"

// SourceKind says how a source's document is read.
type SourceKind string

// The kinds of source canhbao can follow.
const (
	// KindFeed is RSS 0.9x/1.0/2.0, Atom or JSON Feed.
	KindFeed SourceKind = "feed"
	// KindKEV is CISA's Known Exploited Vulnerabilities JSON catalogue,
	// which feed parsers silently read as an empty feed.
	KindKEV SourceKind = "kev"
	// KindPage is an HTML listing page read with CSS selectors, for
	// national centres that publish no feed.
	KindPage SourceKind = "page"
)

// PageSelectors are the CSS selectors that find items on a listing page.
// Item selects each entry; the others are relative to it. An empty Title
// uses the item's text, an empty Link its first a[href].
type PageSelectors struct {
	Item  string `json:"item"`
	Title string `json:"title,omitempty"`
	Link  string `json:"link,omitempty"`
	Date  string `json:"date,omitempty"`
	// DateLayout is a Go time layout for the date text; empty tries the
	// common Vietnamese and ISO forms.
	DateLayout string `json:"date_layout,omitempty"`
}

// Source is a place warnings are read from, with its health as the poller
// last saw it.
type Source struct {
	V    int        `json:"v"`
	Name string     `json:"name"`
	URL  string     `json:"url"`
	Kind SourceKind `json:"kind"`
	// Severity is used for items whose text gives no severity.
	Severity  Severity       `json:"severity"`
	Selectors *PageSelectors `json:"selectors,omitempty"`
	Paused    bool           `json:"paused,omitempty"`
	// Title is how the source is shown to people ("CISA KEV", "CERT-FR");
	// empty shows Name.
	Title string `json:"title,omitempty"`
	// SkipNews: items that are not advisories (bulletins, reports) are
	// stored but not sent.
	SkipNews bool `json:"skip_news,omitempty"`

	// Conditional-GET validators and the digest of the last document read
	// in full, kept across restarts so that an unchanged document costs a
	// 304 (or, without validators, no parsing).
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	ContentHash  string `json:"content_hash,omitempty"`

	// Health, written by the poller.
	LastSuccess  time.Time `json:"last_success,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at,omitzero"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	// Items is how many items the last successful poll saw.
	Items    int       `json:"items"`
	NextPoll time.Time `json:"next_poll,omitzero"`
	// DownNotified is set once the department has been told the source is
	// failing, so that it is told once, and again on recovery.
	DownNotified bool `json:"down_notified,omitempty"`
	// FirstPollTo is the /source add command to answer with the result of
	// the source's first poll; cleared once answered.
	FirstPollTo *MessageRef `json:"first_poll_to,omitempty"`
}

// Display is how the source is shown to people: its title, else its name.
func (s *Source) Display() string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}
