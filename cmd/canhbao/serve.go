package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/summary"
	"github.com/canhbao/canhbao/web"
)

// shutdownGrace bounds a clean stop: SIGTERM must end the process within
// five seconds.
const shutdownGrace = 4 * time.Second

// senderWorkers is how many requests may be in flight at once. It bounds
// both throughput (workers ÷ (Telegram's round trip + a disk write): 12
// sustain 25 messages a second up to a 480 ms round trip) and how many
// messages can arrive twice after a crash.
const senderWorkers = 12

// followUpWindow: a new alert sharing CVE ids with one a chat received
// this recently arrives as a short follow-up.
const followUpWindow = 14 * 24 * time.Hour

// serve runs the service until ctx ends. On bbolt this process is the
// active node; on etcd it follows the cluster and does the active node's
// work only while elected. Either way the dashboard, /healthz, /readyz,
// metrics and the control socket run throughout.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	st, err := store.Open(cfg.DB, store.Options{LockTimeout: time.Second})
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	render := bot.NewRenderer(cfg.Lang)
	render.DeptName = cfg.DeptName
	contactsProblem := render.LoadContacts(cfg.ContactsFile, log)
	api := bot.NewAPI(cfg.Token, cfg.APIEndpoint, 2*time.Minute)
	// Who reached Telegram last, for /readyz.
	updatesAPI, sendsAPI := &reach{Telegram: api}, &reach{Telegram: api}
	work := &activeWork{cfg: cfg, st: st, render: render, api: api, updatesAPI: updatesAPI, sendsAPI: sendsAPI,
		log: log, contactsProblem: contactsProblem}
	ready := readiness(st, updatesAPI, sendsAPI)
	var active func() error // nil: this process is the active one
	var node *cluster.Node
	if cfg.Store != "etcd" {
		if detached, err := st.Detach(); err != nil {
			return err
		} else if detached {
			log.Warn("CANHBAO_DB was a cluster node's copy; it is now a database of its own (CANHBAO_STORE=bbolt). To go back to the cluster, run canhbao migrate -to etcd")
		}
	}
	if cfg.Store == "etcd" {
		cli, err := cluster.Connect(cfg.Etcd)
		if err != nil {
			return err
		}
		defer cli.Close()
		node = &cluster.Node{Client: cli, Store: st, Config: cfg.Etcd, Log: log.With("part", "cluster"), Lead: work.run}
		api.Gate(node.Allow)
		ready, active = clusterReadiness(node, ready), node.Status
	}

	var wg sync.WaitGroup
	// A transaction that finds the file damaged stops the service with
	// that one line, rather than every part failing on the same pages.
	wg.Go(func() {
		select {
		case <-st.Damaged():
			cancel(st.Err())
		case <-ctx.Done():
		}
	})
	control := &controlServer{store: st, render: render, log: log.With("part", "control")}
	wg.Go(func() {
		if err := control.run(ctx); err != nil {
			log.Warn("control socket unavailable; backup and export need the service stopped", slog.String("error", err.Error()))
		}
	})
	metrics := metricsHandler(st, log.With("part", "metrics"))
	if metricsOnWeb(cfg) {
		log.Info("CANHBAO_METRICS_ADDR is the dashboard's address, which serves /metrics already")
	} else if cfg.MetricsAddr != "" {
		wg.Go(func() {
			if err := serveMetrics(ctx, cfg.MetricsAddr, metrics, log.With("part", "metrics")); err != nil {
				cancel(fmt.Errorf("CANHBAO_METRICS_ADDR: %w", err))
			}
		})
	}
	if cfg.HTTPAddr != "" {
		site := &web.Server{Store: st, Render: render, AdminIDs: cfg.AdminIDs, PublicURL: cfg.PublicURL,
			Deadlines: cfg.deadlines(), Log: log.With("part", "web"), Ready: ready, Active: active, Metrics: metrics}
		work.site = site
		wg.Go(func() {
			if err := serveWeb(ctx, cfg, site, log.With("part", "web")); err != nil {
				log.Warn("dashboard unavailable (CANHBAO_HTTP_ADDR); alerts keep flowing", slog.String("error", err.Error()))
			}
		})
	}
	if node != nil {
		wg.Go(func() {
			if err := node.Run(ctx); err != nil {
				cancel(err)
			}
		})
	} else {
		wg.Go(func() {
			if err := work.run(ctx); err != nil && ctx.Err() == nil {
				cancel(err)
			}
		})
	}
	if len(cfg.AdminIDs) == 0 || cfg.AdminChat == 0 {
		log.Warn("CANHBAO_ADMIN_IDS or CANHBAO_ADMIN_CHAT_ID is not set: nobody can approve subscriptions and the department is told of nothing; send /id to the bot to find the ids")
	}
	log.Info("canhbao started", slog.String("version", version), slog.String("db", cfg.DB), slog.String("store", cmp.Or(cfg.Store, "bbolt")),
		slog.Int("sources", len(cfg.Feeds)), slog.Duration("poll", cfg.PollInterval))
	<-ctx.Done()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(shutdownGrace):
		log.Warn("some parts did not stop in time")
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("canhbao stopped")
	return nil
}

// deadlines are the reminder and escalation deadlines of the settings.
func (cfg Config) deadlines() store.Deadlines {
	return store.Deadlines{UrgentAfter: cfg.RemindUrgent, After: cfg.Remind, EscalateAfter: cfg.Escalate}
}

// activeWork is what only the active node does: poll the sources, send,
// answer Telegram, remind, keep the letter's deadlines. On bbolt it runs
// for the life of the process; on a cluster, for each term the node
// leads, built anew each time from what the store holds.
type activeWork struct {
	cfg                  Config
	st                   *store.Store
	render               *bot.Renderer
	api                  *bot.API
	updatesAPI, sendsAPI *reach
	site                 *web.Server
	log                  *slog.Logger
	contactsProblem      string
}

// run does the active node's work until ctx ends; an error ends it early.
func (w *activeWork) run(ctx context.Context) error {
	cfg, st, render, log := w.cfg, w.st, w.render, w.log
	if err := st.SeedSources(cfg.Feeds); err != nil {
		return err
	}
	if err := reportUnlisted(st, cfg.Feeds, log); err != nil {
		return err
	}
	if w.contactsProblem != "" {
		err := st.Update(func(tx *store.Tx) error {
			return tx.Notify(cfg.AdminChat, store.Notice{Event: store.EventConfigProblem, Detail: w.contactsProblem, At: time.Now()}, true)
		})
		if err != nil {
			return err
		}
	}
	if w.site != nil {
		if n, err := st.EndSessionsOf(w.site.IsStaff, time.Now()); err != nil {
			return err
		} else if n > 0 {
			log.Info("ended the dashboard sessions of people no longer in CANHBAO_ADMIN_IDS", slog.Int("sessions", n))
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sender := &bot.Sender{API: w.sendsAPI, Store: st, Render: render, Log: log.With("part", "sender"),
		DeptChat: cfg.AdminChat, Rate: cfg.SendRate, GiveUp: cfg.GiveUp, Workers: senderWorkers,
		Exporter: func(q store.ExportQuery) (string, []byte, error) { return bot.ExportFile(st, render, q) }}
	summaries := &summary.Summarizer{Store: st, Render: render, Deadlines: cfg.deadlines()}
	sender.Summary = summaries.Build
	classifier, err := seedClassifier(st, cfg.Feeds)
	if err != nil {
		return err
	}
	poller := &feeds.Poller{
		Fetcher:    &feeds.Fetcher{UserAgent: feeds.UserAgent(version)},
		Classifier: classifier,
		Sources:    func(context.Context) ([]store.Source, error) { return st.ListSources() },
		Sink:       &sink{store: st, sender: sender, cfg: cfg, log: log.With("part", "ingest")},
		Interval:   cfg.PollInterval,
		Log:        log.With("part", "poller"),
	}
	dashboardURL := ""
	if cfg.HTTPAddr != "" {
		dashboardURL = cfg.PublicURL
	}
	b := &bot.Bot{API: w.updatesAPI, Store: st, Render: render, Sender: sender, Log: log.With("part", "bot"),
		Config: bot.Config{AdminIDs: cfg.AdminIDs, AdminChat: cfg.AdminChat, EditDelay: orDefault(cfg.editDelay, 3*time.Second),
			PollTimeout: orDefault(cfg.pollTimeout, 30*time.Second), DashboardURL: dashboardURL,
			IncidentWithin: cfg.IncidentWithin, IncidentStale: cfg.IncidentStale,
			DutyRemindBefore: 24 * time.Hour, DutyGap: orDefault(cfg.dutyGap, 2*time.Hour)},
		Deadlines:   cfg.deadlines(),
		ParseSource: feeds.ParseSource, SourcesChanged: poller.Wake}
	reminders := &bot.Reminders{Store: st, Sender: sender, Log: log.With("part", "reminders"),
		DeptChat: cfg.AdminChat, UrgentAfter: cfg.RemindUrgent, After: cfg.Remind, EscalateAfter: cfg.Escalate,
		Every: orDefault(cfg.remindEvery, time.Minute)}

	var wg sync.WaitGroup
	wg.Go(func() { runRetention(ctx, st, cfg, render, log.With("part", "retention")) })
	wg.Go(func() {
		if err := poller.Run(ctx); err != nil {
			cancel(fmt.Errorf("poller: %w", err))
		}
	})
	if cfg.SummaryAt != "" && cfg.AdminChat != 0 {
		weekly := &summary.Schedule{Store: st, At: cfg.SummaryAt, Loc: render.Loc, DeptChat: cfg.AdminChat,
			Wake: sender.Wake, Log: log.With("part", "summary")}
		wg.Go(func() { weekly.Run(ctx) })
	}
	wg.Go(func() {
		if err := w.api.Connect(ctx, log); err != nil {
			if ctx.Err() == nil {
				cancel(err)
			}
			return
		}
		b.Username = w.api.Self.UserName
		b.RegisterCommands(ctx)
		var inner sync.WaitGroup
		inner.Go(func() { _ = sender.Run(ctx) })
		inner.Go(func() { _ = b.Run(ctx) })
		inner.Go(func() { reminders.Run(ctx) })
		inner.Go(func() { (&bot.LetterWatch{Bot: b, Every: orDefault(cfg.letterEvery, time.Minute)}).Run(ctx) })
		inner.Wait()
	})
	<-ctx.Done()
	wg.Wait()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// seedClassifier loads the stored KEV catalogue, so that alerts polled
// right after a restart are raised for known exploited CVEs without
// waiting for the catalogue's own poll.
func seedClassifier(st *store.Store, sources []store.Source) (*feeds.Classifier, error) {
	c := &feeds.Classifier{}
	for _, src := range sources {
		if src.Kind != store.KindKEV {
			continue
		}
		cves, err := st.SourceCVEs(src.Name)
		if err != nil {
			return nil, err
		}
		if len(cves) > 0 {
			c.SetKEV(src.Name, cves)
		}
	}
	return c, nil
}

// sink stores what the poller read and wakes the sender.
type sink struct {
	store  *store.Store
	sender *bot.Sender
	cfg    Config
	log    *slog.Logger
}

func (s *sink) Ingest(_ context.Context, src store.Source, alerts []store.Alert) error {
	res, err := s.store.Ingest(src.Name, alerts, store.IngestOptions{Now: time.Now(), Backfill: s.cfg.Backfill,
		DigestOver: s.cfg.DigestOver, FollowUpWindow: followUpWindow, MaxNew: s.cfg.MaxNewPerPoll, DeptChat: s.cfg.AdminChat})
	if err != nil {
		return err
	}
	if len(res.New) > 0 {
		s.log.Info("new alerts", slog.String("source", src.Name), slog.Int("new", len(res.New)),
			slog.Int("pushed", res.Pushed), slog.Int("held", res.Held), slog.Int("messages", res.Messages))
	}
	n, err := s.announceChanges(src, alerts, time.Now())
	if res.Messages > 0 || res.Held > 0 || n > 0 {
		s.sender.Wake()
	}
	return err
}

// announceChanges tells the groups what a poll changed in alerts they
// already have: a revised advisory, or exploitation reported by this
// source (every KEV entry; any other source's own text) of a CVE another
// source's alert is about.
func (s *sink) announceChanges(src store.Source, alerts []store.Alert, now time.Time) (int, error) {
	rev, err := s.store.Revise(src.Name, src.Display(), alerts, now)
	if err != nil {
		return 0, err
	}
	exploited := map[string]time.Time{}
	for _, a := range alerts {
		if !a.Exploited || len(a.KEV) > 0 {
			continue // not exploited, or only by the catalogue's word
		}
		var day time.Time
		if a.DateOnly {
			day = a.Published
		}
		for _, id := range a.CVEs {
			exploited[id] = day
		}
	}
	if len(exploited) == 0 {
		return rev.Messages, nil
	}
	up, err := s.store.ReportExploited(src.Name, src.Display(), exploited, src.Kind == store.KindKEV, now)
	if len(up.Alerts) > 0 {
		s.log.Info("alerts now exploited", slog.String("source", src.Name), slog.Int("alerts", len(up.Alerts)), slog.Int("messages", up.Messages))
	}
	return rev.Messages + up.Messages, err
}

func (s *sink) RecordPoll(_ context.Context, name string, r feeds.PollResult) error {
	err := s.store.RecordPoll(name, store.PollReport{At: r.At, Err: r.Err, Items: r.Items, Next: r.Next,
		Keep: r.Keep, ETag: r.Validators.ETag, LastModified: r.Validators.LastModified, ContentHash: r.ContentHash},
		s.cfg.AdminChat, s.cfg.SourceAlertAfter)
	s.sender.Wake()
	return err
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
