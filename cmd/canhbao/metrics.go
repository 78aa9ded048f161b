package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/canhbao/canhbao/store"
)

// storeCollector exposes the store's state to Prometheus at scrape time,
// so that whoever watches the service at night sees a growing queue or a
// silent source before an agency calls.
type storeCollector struct {
	store *store.Store
	log   *slog.Logger
}

var (
	descOutbox = prometheus.NewDesc("canhbao_outbox_messages", "Messages waiting to be sent, by state (waiting: never tried; retrying: tried and failed).", []string{"state"}, nil)
	descOldest = prometheus.NewDesc("canhbao_outbox_oldest_age_seconds", "Age of the oldest message in the outbox; 0 when it is empty.", nil, nil)
	descChats  = prometheus.NewDesc("canhbao_chats", "Agency chats by subscription status.", []string{"status"}, nil)
	descAlerts = prometheus.NewDesc("canhbao_alerts", "Number of the newest alert (alerts ever stored).", nil, nil)
	descUnack  = prometheus.NewDesc("canhbao_deliveries_unacknowledged", "Delivered alerts nobody in the chat has acknowledged.", nil, nil)
	descUp     = prometheus.NewDesc("canhbao_source_up", "1 when the source's last poll succeeded, 0 when it is failing; paused sources are left out.", []string{"source"}, nil)
	descLastOK = prometheus.NewDesc("canhbao_source_last_success_timestamp_seconds", "When the source was last read successfully.", []string{"source"}, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutbox, descOldest, descChats, descAlerts, descUnack, descUp, descLastOK} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.store.Stats()
	if err != nil {
		c.log.Error("metrics: read store", slog.String("error", err.Error()))
		return
	}
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(st.Waiting), "waiting")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(st.Retrying), "retrying")
	age := 0.0
	if !st.OldestWaiting.IsZero() {
		age = time.Since(st.OldestWaiting).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
	for _, s := range []store.ChatStatus{store.ChatPending, store.ChatApproved, store.ChatRejected, store.ChatUnsubscribed, store.ChatGone} {
		ch <- prometheus.MustNewConstMetric(descChats, prometheus.GaugeValue, float64(st.Chats[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.GaugeValue, float64(st.Alerts))
	ch <- prometheus.MustNewConstMetric(descUnack, prometheus.GaugeValue, float64(st.Unacknowledged))
	for _, s := range st.Sources {
		if s.Paused {
			continue
		}
		up := 1.0
		if !s.FailingSince.IsZero() {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, s.Name)
		if !s.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastOK, prometheus.GaugeValue, float64(s.LastSuccess.Unix()), s.Name)
		}
	}
}

// metricsHandler serves the store's and the runtime's metrics; the
// dashboard's address serves it too.
func metricsHandler(st *store.Store, log *slog.Logger) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&storeCollector{store: st, log: log}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// serveMetrics serves /metrics on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string, metrics http.Handler, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("metrics at /metrics", slog.String("addr", ln.Addr().String()))
	return serveHTTP(ctx, ln, mux)
}
