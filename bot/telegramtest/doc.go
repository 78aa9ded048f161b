// Package telegramtest is an in-process fake of the Telegram Bot API for tests: the real
// telegram-bot-api client talks HTTP to it, it answers with Telegram's own JSON shapes and
// error descriptions, records what the bot sent, and lets a test play the users (messages,
// button presses, the bot being added, kicked or migrated) and inject faults.
//
// It owns no production code path and never talks to the network beyond its loopback
// httptest server. It mimics what the service relies on, not the whole Bot API: unknown
// methods answer 404 like Telegram does for a misspelt method.
package telegramtest
