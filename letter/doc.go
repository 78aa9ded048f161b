// Package letter holds the rules of the department's letter that do not
// depend on Telegram or the database: the emergency contacts file, agency
// tags, watch-period dates and duty rosters, and the steps and types of an
// incident report. The bot package dispatches commands to these rules and
// the store package keeps their results.
package letter
