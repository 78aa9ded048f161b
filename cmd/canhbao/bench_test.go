package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// BenchmarkFeedToFirstMessage is the time from an item appearing in a feed
// to the first group message carrying it, with CANHBAO_POLL_INTERVAL=1s
// and the default send rate: half a poll interval on average, plus fetch,
// ingest and send. Each iteration publishes one new item to 20 groups at
// a random point of the poll interval.
//
//	go test -run XXX -bench FeedToFirst -benchtime 20x ./cmd/canhbao/
func BenchmarkFeedToFirstMessage(b *testing.B) {
	tg := telegramtest.New(b)
	feed := &feedServer{body: rssItems(1, 0)}
	var fetched []time.Time // under feed.mu
	feed.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		feed.mu.Lock()
		defer feed.mu.Unlock()
		fetched = append(fetched, time.Now())
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(feed.body)
	}))
	b.Cleanup(feed.Close)
	cfg := testConfig(b, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.SendRate, cfg.LogLevel = 25, "warn"
	cfg.editDelay, cfg.remindEvery, cfg.pollTimeout = 0, 0, 0
	const groupsN = 20
	var groups []store.Chat
	for i := range groupsN {
		groups = append(groups, store.Chat{ID: int64(-9501 - i), Agency: fmt.Sprintf("Đơn vị %d", i+1)})
	}
	seedChats(b, cfg.DB, groups...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() { done <- serve(ctx, cfg, newLogger(logs, cfg)) }()
	b.Cleanup(func() { cancel(); <-done })
	tg.WaitRequests(b, "getUpdates", 1, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // the first poll is done

	var lat, work []time.Duration
	b.ResetTimer()
	for i := range b.N {
		n := i + 1
		published := time.Now()
		feed.set(rssItems(1, n))
		var first time.Time
		tg.WaitFor(b, 10*time.Second, func() bool {
			for _, m := range tg.Messages(0) {
				if k := cardKey.FindStringSubmatch(m.Plain); k != nil && k[1] == fmt.Sprintf("%03d", n) {
					first = m.Time
					return true
				}
			}
			return false
		}, "the first card")
		lat = append(lat, first.Sub(published))
		feed.mu.Lock()
		i := slices.IndexFunc(fetched, func(at time.Time) bool { return at.After(published) })
		work = append(work, first.Sub(fetched[i]))
		feed.mu.Unlock()
		b.StopTimer()
		tg.WaitMessages(b, 0, groupsN*n, 10*time.Second) // the fan-out is over
		time.Sleep(1100 * time.Millisecond)              // the groups' one-a-second pace is free again
		time.Sleep(rand.N(time.Second))                  // and the next item comes at any point of a poll interval
		b.StartTimer()
	}
	b.StopTimer()
	mean := func(ds []time.Duration) float64 {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return float64(sum.Microseconds()) / 1000 / float64(len(ds))
	}
	b.ReportMetric(mean(lat), "ms/first-msg")
	b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "ms-max")
	// The part that is not waiting for the next poll: fetch, parse,
	// ingest, send.
	b.ReportMetric(mean(work), "ms/fetch-to-msg")
}
