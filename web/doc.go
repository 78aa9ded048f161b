// Package web is the department's dashboard: read-only pages over the
// store (overview, agencies × alerts matrix, alert, agency, sources,
// audit) with server-rendered SVG charts, sign-in through one-time links
// the bot hands out, and /healthz, /readyz and /metrics. Pages are
// html/template with embedded assets and a vendored htmx that refreshes
// the matrix and alert pages; nothing here changes state except sessions.
// Every state change stays in Telegram.
package web
