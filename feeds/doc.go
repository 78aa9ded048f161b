// Package feeds turns advisory sources into alerts: it fetches a source's
// document (conditional GET, size cap, timeouts), parses it as a feed, the
// CISA KEV catalogue or an HTML listing page, cleans each item into plain
// text and classifies it (severity, CVE ids, vendors, exploitation).
//
// It owns the HTTP side and the reading of documents, and never writes to
// the store or talks to Telegram: a Poller hands each poll's alerts to a Sink
// that the caller wires to the store.
package feeds
