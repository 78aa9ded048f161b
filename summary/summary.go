// Package summary draws the weekly picture for the department's chat: one
// PNG chart (acknowledgement within the reminder time, week by week) and
// a few lines (alerts by severity, acknowledgement rate, the five slowest
// agencies, what is still open). It reads the store and never sends: the
// summary goes out through the outbox as an OutPhoto entry, drawn when the
// sender takes it.
package summary

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// Text is drawn in Liberation Sans, which gonum/plot compiles in
// (codeberg.org/go-fonts/liberation, SIL Open Font Licence 1.1) and which
// has every Vietnamese letter with its diacritics.
var (
	textFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: 700}
)

// Weeks is how many weeks the chart shows, the summarised one last.
const Weeks = 8

// maxCaption is Telegram's limit for a photo caption (visible characters).
const maxCaption = 1024

// Summarizer builds the weekly summary.
type Summarizer struct {
	Store  *store.Store
	Render *bot.Renderer
	// Deadlines judge "within the reminder time" as the reminders do.
	Deadlines store.Deadlines
}

// Build returns the chart and the caption (Telegram HTML) of the period q
// (From and To; usually a week).
func (s *Summarizer) Build(q store.ExportQuery) ([]byte, string, error) {
	var weeks []store.Tally
	err := s.Store.View(func(tx *store.Tx) error {
		periods := make([]store.Period, Weeks)
		for i := range periods {
			back := -7 * (Weeks - 1 - i)
			periods[i] = store.Period{From: q.From.AddDate(0, 0, back), To: q.To.AddDate(0, 0, back)}
		}
		var err error
		weeks, err = tx.Tallies(periods, s.Deadlines)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("summary: %w", err)
	}
	png, err := s.Chart(weeks)
	if err != nil {
		return nil, "", err
	}
	return png, s.Caption(weeks[len(weeks)-1]), nil
}

// Caption is the few lines under the chart, cut to Telegram's limit.
func (s *Summarizer) Caption(t store.Tally) string {
	r := s.Render
	day := func(t time.Time) string { return t.In(r.Loc).Format(r.T("date.day")) }
	lines := []string{r.T("summary.title", day(t.From), day(t.To.Add(-time.Second)))}
	var sev []string
	for _, v := range store.Severities {
		if n := t.BySeverity[v]; n > 0 {
			sev = append(sev, fmt.Sprintf("%s %d", r.Severity(v), n))
		}
	}
	lines = append(lines, r.T("summary.alerts", t.Alerts, strings.Join(sev, " · ")))
	if share, ok := t.InTimeShare(); ok {
		lines = append(lines, r.T("summary.rate", percent(share), t.InTime, t.Delivered, percent(float64(t.Acked)/float64(t.Delivered))))
	}
	if slow := t.Slowest(5); len(slow) > 0 {
		lines = append(lines, r.T("summary.slowest"))
		for i, a := range slow {
			median := "—"
			if m := a.Median(); m > 0 {
				median = r.Age(m)
			}
			lines = append(lines, r.T("summary.slow_row", i+1, bot.Esc(a.Chat.Name()), percent(a.Rate()), a.Acked, a.Delivered, median))
		}
	}
	if len(t.Open) == 0 {
		lines = append(lines, r.T("summary.none_open"))
	} else {
		var open []string
		for _, o := range t.Open {
			open = append(open, r.T("summary.open_item", o.Alert.ID, o.Pending))
		}
		lines = append(lines, r.T("summary.open", len(t.Open), strings.Join(open, ", ")))
	}
	return fit(lines)
}

// fit joins lines within the caption limit, cutting the last ones (the
// open list can be long) with "…".
func fit(lines []string) string {
	out := strings.Join(lines, "\n")
	if bot.VisibleLen(out) <= maxCaption {
		return out
	}
	return bot.FitHTML(out, maxCaption)
}

func percent(share float64) int { return int(share*100 + 0.5) }

// Chart draws the share acknowledged within the reminder time for each
// week as a bar chart, 800 × 450 pixels.
func (s *Summarizer) Chart(weeks []store.Tally) ([]byte, error) {
	r := s.Render
	p := plot.New()
	p.Title.Text = vi(r.T("summary.chart_title"))
	p.Title.TextStyle.Font = font.From(boldFont, 16)
	p.Y.Label.Text = vi(r.T("summary.chart_y"))
	p.Y.Min, p.Y.Max = 0, 110
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(textFont, 12)
		ax.Tick.Label.Font = font.From(textFont, 11)
	}
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0%"}, {Value: 25, Label: "25%"},
		{Value: 50, Label: "50%"}, {Value: 75, Label: "75%"}, {Value: 100, Label: "100%"}})
	values := make(plotter.Values, len(weeks))
	names := make([]string, len(weeks))
	labels := plotter.XYLabels{}
	for i, w := range weeks {
		share, ok := w.InTimeShare()
		values[i] = share * 100
		names[i] = vi(r.T("summary.week", w.From.In(r.Loc).Format("02/01")))
		text := "—"
		if ok {
			text = fmt.Sprintf("%d%%", percent(share))
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: values[i] + 2})
		labels.Labels = append(labels.Labels, text)
	}
	bars, err := plotter.NewBarChart(values, vg.Points(34))
	if err != nil {
		return nil, fmt.Errorf("summary: chart: %w", err)
	}
	bars.Color = color.RGBA{R: 0x3b, G: 0x6e, B: 0xa5, A: 0xff}
	bars.LineStyle.Width = 0
	p.Add(bars)
	lbl, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("summary: chart: %w", err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].Font = font.From(boldFont, 11)
		lbl.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(lbl)
	p.NominalX(names...)
	p.Add(plotter.NewGrid())
	w, err := p.WriterTo(vg.Points(600), vg.Points(337.5), "png")
	if err != nil {
		return nil, fmt.Errorf("summary: chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("summary: chart: %w", err)
	}
	return buf.Bytes(), nil
}

// vi puts text in composed form (NFC): the chart draws one glyph per
// character, so a letter typed as base + combining marks would show its
// marks beside it.
func vi(s string) string { return norm.NFC.String(s) }
