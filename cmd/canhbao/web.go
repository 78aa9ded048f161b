package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/web"
)

// Readiness thresholds for /readyz.
const (
	// telegramSilence: the update loop long-polls every 30 s, so a
	// reachable Telegram answers far more often than this.
	telegramSilence = 3 * time.Minute
	// senderStuck: messages due this long while the sender has heard
	// nothing from Telegram for as long mean it is stuck.
	senderStuck = 5 * time.Minute
)

// reach records when Telegram last answered a call (an error from
// Telegram counts: it was reached), for /readyz.
type reach struct {
	bot.Telegram
	last atomic.Int64
}

func (r *reach) Call(ctx context.Context, c tgbotapi.Chattable) (json.RawMessage, error) {
	raw, err := r.Telegram.Call(ctx, c)
	var tg *tgbotapi.Error
	if err == nil || errors.As(err, &tg) {
		r.last.Store(time.Now().UnixNano())
	}
	return raw, err
}

// since is how long ago Telegram last answered; a very long time when it
// never did.
func (r *reach) since(now time.Time) time.Duration {
	last := r.last.Load()
	if last == 0 {
		return 1<<63 - 1
	}
	return now.Sub(time.Unix(0, last))
}

// readiness checks what /readyz promises beyond the database: Telegram
// reached lately (by anyone) and the sender not stuck on due messages.
func readiness(st *store.Store, updates, sends *reach) func() error {
	return func() error {
		now := time.Now()
		if d := min(updates.since(now), sends.since(now)); d > telegramSilence {
			if d > 1<<62 {
				return errors.New("Telegram not reached yet")
			}
			return fmt.Errorf("Telegram not reached for %s", d.Round(time.Second))
		}
		oldest, due, err := st.OldestDue(now)
		if err != nil {
			return err
		}
		if due > 0 && now.Sub(oldest) > senderStuck && sends.since(now) > senderStuck {
			return fmt.Errorf("sender stuck: %d messages due since %s", due, oldest.Format(time.RFC3339))
		}
		return nil
	}
}

// clusterReadiness puts the node's part first: a standby, or an active
// node that cannot reach etcd's quorum, is not ready whatever Telegram
// says.
func clusterReadiness(node *cluster.Node, active func() error) func() error {
	return func() error {
		if err := node.Status(); err != nil {
			return err
		}
		return active()
	}
}

// serveWeb runs the dashboard on cfg.HTTPAddr until ctx ends. It is not
// fatal when the address is taken: alerts keep flowing without it.
func serveWeb(ctx context.Context, cfg Config, site *web.Server, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	log.Info("dashboard", slog.String("addr", ln.Addr().String()), slog.String("public", cfg.PublicURL))
	if cfg.Pprof {
		site.Pprof = web.PprofHandler()
		log.Info("profiles at /debug/pprof/ for signed-in department staff (CANHBAO_PPROF)")
	}
	return serveHTTP(ctx, ln, site)
}

// metricsOnWeb says whether CANHBAO_METRICS_ADDR is the dashboard's own
// address, which already serves /metrics.
func metricsOnWeb(cfg Config) bool { return cfg.MetricsAddr != "" && cfg.MetricsAddr == cfg.HTTPAddr }

var _ http.Handler = (*web.Server)(nil)
