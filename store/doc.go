// Package store is canhbao's data model on bbolt: alerts, agencies'
// chats, deliveries, acknowledgements, the outbox every message leaves
// through, sources and the audit log. It is the only package that reads or
// writes the database; every state change is one transaction, so an alert
// is never stored without its deliveries and a handled update never
// without its effects. It knows nothing of Telegram or of feed formats.
package store
