package web

import (
	"fmt"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Charts are horizontal bar charts drawn as SVG by the page template:
// no script, every bar labelled with its value in text, so that they read
// without JavaScript and on a phone.

// chart is one bar chart.
type chart struct {
	Title string
	// Note says what the bars count, under the title.
	Note   string
	Bars   []bar
	Width  int
	Height int
	// LabelW is the width of the label column.
	LabelW int
}

// bar is one bar: its label, its value as text, and its geometry.
type bar struct {
	Label string
	Value string
	Y     int
	W     int // bar length in pixels
	Class string
	// TextX is where the value is written (after the bar).
	TextX int
}

const (
	chartWidth  = 640
	chartLabelW = 200
	barHeight   = 22
	barGap      = 6
	// valueW is kept free right of the longest bar for its value text.
	valueW = 200
)

// shorten cuts a label to n characters with "…", so that a long agency
// name does not run off the chart's left edge (the full name is on the
// agency's page).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// barChart lays out bars for values (0 ≤ value ≤ top).
func barChart(title, note string, labels, texts []string, values []float64, top float64, classes []string) chart {
	c := chart{Title: title, Note: note, Width: chartWidth, LabelW: chartLabelW}
	span := float64(chartWidth - chartLabelW - valueW)
	for i := range labels {
		w := 0
		if top > 0 {
			w = int(values[i] / top * span)
		}
		if values[i] > 0 {
			w = max(w, 2)
		}
		class := "bar"
		if classes != nil {
			class = classes[i]
		}
		c.Bars = append(c.Bars, bar{Label: shorten(labels[i], 28), Value: texts[i], Y: i * (barHeight + barGap), W: w, Class: class,
			TextX: chartLabelW + w + 6})
	}
	c.Height = max(len(labels)*(barHeight+barGap), barHeight)
	return c
}

// weeklyChart: share of alerts acknowledged within the reminder deadline,
// week by week.
func (s *Server) weeklyChart(weeks []store.Tally) chart {
	var labels, texts []string
	var values []float64
	var classes []string
	for _, w := range weeks {
		labels = append(labels, s.t("web.chart.week", w.From.In(s.Render.Loc).Format("02/01")))
		share, ok := w.InTimeShare()
		values = append(values, share*100)
		switch {
		case !ok:
			texts = append(texts, s.t("web.chart.nothing"))
		default:
			texts = append(texts, s.t("web.percent", percent(share), w.InTime, w.Delivered))
		}
		classes = append(classes, shareClass(share))
	}
	return barChart(s.t("web.chart.weekly"), s.t("web.chart.weekly_note"), labels, texts, values, 100, classes)
}

func shareClass(share float64) string {
	switch {
	case share >= 0.9:
		return "bar good"
	case share >= 0.6:
		return "bar fair"
	}
	return "bar poor"
}

// percent writes a share as a whole percentage.
func percent(share float64) int { return int(share*100 + 0.5) }

// spreadBuckets are the bins of the time-to-acknowledge distribution.
var spreadBuckets = []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 24 * time.Hour, 72 * time.Hour}

// spreadChart: how long agencies took to acknowledge, in bins, and how
// many have not yet.
func (s *Server) spreadChart(t store.Tally) chart {
	counts := make([]float64, len(spreadBuckets)+2)
	for _, d := range t.AckTimes {
		i := 0
		for i < len(spreadBuckets) && d >= spreadBuckets[i] {
			i++
		}
		counts[i]++
	}
	counts[len(counts)-1] = float64(t.Delivered - t.Acked)
	labels := []string{s.t("web.chart.under", s.Render.Age(spreadBuckets[0]))}
	for i := 1; i < len(spreadBuckets); i++ {
		labels = append(labels, s.t("web.chart.between", s.Render.Age(spreadBuckets[i-1]), s.Render.Age(spreadBuckets[i])))
	}
	labels = append(labels, s.t("web.chart.over", s.Render.Age(spreadBuckets[len(spreadBuckets)-1])), s.t("web.state.wait"))
	top := 0.0
	texts := make([]string, len(counts))
	classes := make([]string, len(counts))
	for i, c := range counts {
		top = max(top, c)
		texts[i] = fmt.Sprint(int(c))
		classes[i] = "bar"
	}
	classes[len(classes)-1] = "bar poor"
	return barChart(s.t("web.chart.spread"), s.t("web.chart.spread_note"), labels, texts, counts, top, classes)
}

// slowestChart: the agencies with the lowest acknowledgement rate, then
// the slowest median.
func (s *Server) slowestChart(t store.Tally, n int) chart {
	var labels, texts []string
	var values []float64
	var classes []string
	for _, a := range t.Slowest(n) {
		labels = append(labels, a.Chat.Name())
		values = append(values, a.Rate()*100)
		texts = append(texts, s.t("web.chart.agency", percent(a.Rate()), a.Acked, a.Delivered, s.age(a.Median())))
		classes = append(classes, shareClass(a.Rate()))
	}
	return barChart(s.t("web.chart.slowest"), s.t("web.chart.slowest_note"), labels, texts, values, 100, classes)
}
