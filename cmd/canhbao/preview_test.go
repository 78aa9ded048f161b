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

// Preview reads the KEV catalogue before the other sources, whatever their
// order, so that every run prints what groups would get.
func TestPreviewLoadsKEVFirst(t *testing.T) {
	kev := newFeedServer(t, readTestdata(t, "cisa-kev-first25.json"))
	feed := newFeedServer(t, []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link>
<item><title>SharePoint advisory</title><link>https://x.example/1</link><guid>1</guid><description>Microsoft fixed CVE-2025-53770 in SharePoint.</description></item>
</channel></rss>`))
	cfg := Config{Lang: bot.Vietnamese, Feeds: []store.Source{
		{Name: "vendor", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityLow},
		{Name: "kev", Title: "CISA KEV", URL: kev.URL, Kind: store.KindKEV, Severity: store.SeverityHigh},
	}}
	for range 3 {
		var out bytes.Buffer
		if err := preview(context.Background(), cfg, &out, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); !strings.Contains(got, "CVE-2025-53770 có trong danh mục KEV") || !strings.Contains(got, "🟠 #1 · CAO") {
			t.Fatalf("the vendor's alert is not cross-referenced with KEV:\n%s", got)
		}
	}
}
