package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// TestPreviewPrintsAlertsAndWritesNothing: a newcomer sees real alerts
// without a token, and no database appears.
func TestPreviewPrintsAlertsAndWritesNothing(t *testing.T) {
	feed := newFeedServer(t, readTestdata(t, "cisa-all-advisories-first2.xml"))
	dir := t.TempDir()
	cfg := Config{DB: filepath.Join(dir, "canhbao.db"), Lang: bot.Vietnamese, Feeds: []store.Source{
		{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityMedium},
		{Name: "broken", URL: "http://127.0.0.1:1/", Kind: store.KindFeed},
	}}
	var out bytes.Buffer
	if err := preview(context.Background(), cfg, &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"══ cisa", "2 items", "CISA Adds Two Known Exploited Vulnerabilities to Catalog", "CVE-2026-81578", "══ broken", "error:"} {
		if !strings.Contains(got, want) {
			t.Errorf("preview lacks %q:\n%s", want, got)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("preview wrote %v", entries)
	}
	cfg.Feeds = cfg.Feeds[1:]
	if err := preview(context.Background(), cfg, &out, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("preview with no readable source succeeded")
	}
}
