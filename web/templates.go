package web

import (
	"html"
	"html/template"
	"net/url"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/store"
)

// pageNames are the page templates; each is parsed with the layout and
// the chart partial.
var pageNames = []string{"message", "signin", "overview", "matrix", "alert", "agencies", "agency", "sources", "audit", "incidents", "duty"}

// text is a catalogue sentence as plain text for html/template, which
// escapes it: the catalogue writes Telegram HTML, so the department's
// name it fills in ("Sở TT&amp;TT") is unescaped first.
func text(r *bot.Renderer, key string, args ...any) string {
	return html.UnescapeString(r.T(key, args...))
}

// parseTemplates parses every page once at start-up. A template that does
// not parse is a bug in the binary, so it panics.
func parseTemplates(r *bot.Renderer) map[string]*template.Template {
	funcs := template.FuncMap{
		"t":    func(key string, args ...any) string { return text(r, key, args...) },
		"lang": func() string { return string(r.Lang) },
		"date": r.Date,
		"age": func(d time.Duration) string {
			if d <= 0 {
				return "—"
			}
			return r.Age(d)
		},
		"sev":    r.Severity,
		"source": r.SourceName,
		"srcurl": feeds.RedactURL, // a source's URL without its credentials
		"status": func(s store.ChatStatus) string { return r.T("status." + string(s)) },
		"action": r.AuditAction,
		"query":  query,
		"add":    func(a, b int) int { return a + b },
		"pct": func(n, of int) int {
			if of == 0 {
				return 0
			}
			return percent(float64(n) / float64(of))
		},
		"share": func(t store.Tally) string {
			share, ok := t.InTimeShare()
			if !ok {
				return "—"
			}
			return r.T("web.percent", percent(share), t.InTime, t.Delivered)
		},
		"url": url.PathEscape,
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(assets,
			"templates/layout.html", "templates/chart.html", "templates/"+name+".html"))
	}
	return out
}
