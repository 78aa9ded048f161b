package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// retentionEvery is how often acknowledgers of alerts older than
// CANHBAO_RETENTION are erased.
const retentionEvery = time.Hour

// runRetention erases, at start and then hourly, the acknowledgers' names,
// ids and notes of alerts first seen longer ago than cfg.Retention. Zero
// keeps everything.
func runRetention(ctx context.Context, st *store.Store, cfg Config, render *bot.Renderer, log *slog.Logger) {
	if cfg.Retention == 0 {
		return
	}
	t := time.NewTicker(orDefault(cfg.retentionEvery, retentionEvery))
	defer t.Stop()
	for {
		n, err := st.EraseOldAcks(time.Now().Add(-cfg.Retention), render.Erasure())
		if err != nil {
			log.Error("retention", slog.String("error", err.Error()))
		} else if n > 0 {
			log.Info("retention: acknowledgers of old alerts erased", slog.Int("acknowledgements", n),
				slog.Duration("older_than", cfg.Retention))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// forget erases one person's personal data: through the running service
// when there is one, else in the file directly.
func forget(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("forget: usage: canhbao forget USER_ID")
	}
	user, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || user <= 0 {
		return fmt.Errorf("forget: %q is not a Telegram user id (a positive number; the person sends /id to the bot to learn it)", args[0])
	}
	viaService, err := controlDo(ctx, cfg.DB, http.MethodPost, "/forget?user="+args[0], stdout)
	if err != nil {
		return fmt.Errorf("forget: %w", err)
	}
	if viaService {
		return nil
	}
	if cfg.Store == "etcd" {
		// The file is only this node's copy: a change to it alone would
		// be lost, or undone, when the node follows etcd again.
		return errors.New("forget: on a cluster only the running active node can erase; run this on that node while the service runs, or send /forget to the bot")
	}
	if err := withStore(cfg.DB, false, func(st *store.Store) error {
		return forgetIn(st, bot.NewRenderer(cfg.Lang), user, stdout)
	}); err != nil {
		return fmt.Errorf("forget: %w", err)
	}
	return nil
}

// forgetIn erases in st and prints what changed.
func forgetIn(st *store.Store, r *bot.Renderer, user int64, w io.Writer) error {
	var rep store.ForgetReport
	err := st.Update(func(tx *store.Tx) (err error) {
		rep, err = bot.ForgetUser(tx, r, user, store.AuditEntry{At: time.Now(), UserName: r.T("audit.cli")})
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "personal data of user %d erased: %d acknowledgements (%d notes), %d chats, %d advisories, %d audit entries, %d pending notices, %d incident reports, %d dashboard sessions\n",
		user, rep.Acks, rep.Notes, rep.Chats, rep.Alerts, rep.Audit, rep.Notices, rep.Incidents, rep.Sessions)
	return err
}

// forget is the control socket's POST /forget?user=ID.
func (c *controlServer) forget(w http.ResponseWriter, r *http.Request) {
	user, err := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
	if err != nil || user <= 0 {
		http.Error(w, "not a Telegram user id", http.StatusBadRequest)
		return
	}
	var out bytes.Buffer
	if err := forgetIn(c.store, c.render, user, &out); err != nil {
		c.log.Error("forget over control socket", slog.String("error", err.Error()))
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Trailer", completeTrailer)
	_, _ = w.Write(out.Bytes())
	w.Header().Set(completeTrailer, "yes")
}
