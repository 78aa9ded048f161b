package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestMetrics: the monitoring endpoint shows chats, the queue and source
// health from the store.
func TestMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	tg := telegramtest.New(t)
	feed := newFeedServer(t, readTestdata(t, "cisa-all-advisories-first2.xml"))
	cfg := testConfig(t, tg,
		store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh},
		store.Source{Name: "dead", URL: "http://127.0.0.1:1/", Kind: store.KindFeed})
	cfg.MetricsAddr = addr
	group := telegramtest.Group(-9301, "Sở Xây dựng")
	seedChats(t, cfg.DB, store.Chat{ID: group.ID, Agency: "Sở Xây dựng"})
	start(t, tg, cfg)
	waitText(t, tg, group.ID, "#2")

	var body string
	tg.WaitFor(t, 10*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return strings.Contains(body, `canhbao_source_up{source="dead"} 0`) && strings.Contains(body, "canhbao_deliveries_unacknowledged 2")
	}, "metrics with the failing source and both deliveries")
	for _, want := range []string{
		`canhbao_chats{status="approved"} 1`,
		`canhbao_alerts 2`,
		`canhbao_deliveries_unacknowledged 2`,
		`canhbao_source_up{source="cisa"} 1`,
		`canhbao_outbox_messages{state="waiting"}`,
		`canhbao_source_last_success_timestamp_seconds{source="cisa"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
