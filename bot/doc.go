// Package bot is everything canhbao says to and hears from Telegram: the
// getUpdates loop and its commands and buttons, the sender that paces and
// retries every outgoing message, reminders and escalations, and the
// rendering of alerts, reports and notices in Vietnamese or English. It is
// the only package that talks to the Bot API; it keeps no state of its
// own beyond pacing, and reads and writes everything through store.
package bot
