package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/store"
)

// previewPerSource is how many of each source's newest alerts preview
// prints in full.
const previewPerSource = 3

// preview fetches every configured source once and prints the newest
// alerts as groups would receive them. It needs no token and writes
// nothing, so a newcomer can see the service work before creating a bot.
func preview(ctx context.Context, cfg Config, w io.Writer, log *slog.Logger) error {
	poller := &feeds.Poller{Fetcher: &feeds.Fetcher{UserAgent: feeds.UserAgent(version)}, Log: log}
	render := bot.NewRenderer(cfg.Lang)
	type result struct {
		alerts []store.Alert
		err    error
	}
	results := make([]result, len(cfg.Feeds))
	fetch := func(i int, src store.Source) {
		c, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		results[i].alerts, results[i].err = poller.Fetch(c, src)
	}
	// The KEV catalogue first, as the service does, so that the other
	// sources' alerts are cross-referenced with it on every run.
	for i, src := range cfg.Feeds {
		if src.Kind == store.KindKEV {
			fetch(i, src)
		}
	}
	var wg sync.WaitGroup
	for i, src := range cfg.Feeds {
		if src.Kind != store.KindKEV {
			wg.Go(func() { fetch(i, src) })
		}
	}
	wg.Wait()
	failed := 0
	for i, src := range cfg.Feeds {
		r := results[i]
		fmt.Fprintf(w, "══ %s (%s, %s)\n", src.Name, src.Kind, feeds.RedactURL(src.URL))
		if r.err != nil {
			failed++
			fmt.Fprintf(w, "   error: %v\n\n", r.err)
			continue
		}
		alerts := r.alerts
		sort.SliceStable(alerts, func(a, b int) bool { return alerts[a].When().After(alerts[b].When()) })
		fmt.Fprintf(w, "   %d items\n\n", len(alerts))
		for n, a := range alerts[:min(previewPerSource, len(alerts))] {
			a.ID, a.Source = uint64(n+1), src.Name
			if a.FirstSeen.IsZero() {
				a.FirstSeen = time.Now()
			}
			text := bot.PlainText(render.Card(&a, nil))
			fmt.Fprintln(w, indent(text, "   │ "))
			fmt.Fprintln(w)
		}
	}
	if failed == len(cfg.Feeds) && failed > 0 {
		return fmt.Errorf("preview: no source could be read")
	}
	return nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
