package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// bbolt's file lock keeps a second process out even for reading, so the
// running service answers backup and export requests itself, on an HTTP
// server bound to a Unix socket beside the database. The socket is mode
// 0600: only the service's own user can use it.

// socketPath is where the control socket of the database at db lives.
func socketPath(db string) string { return db + ".sock" }

// controlServer serves /backup and /export on the control socket.
type controlServer struct {
	store  *store.Store
	render *bot.Renderer
	log    *slog.Logger
}

func (c *controlServer) run(ctx context.Context) error {
	path := socketPath(c.store.Path())
	// We hold the database lock, so a socket file left here belongs to a
	// process that died.
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", c.backup)
	mux.HandleFunc("GET /export", c.export)
	mux.HandleFunc("POST /forget", c.forget)
	err = serveHTTP(ctx, ln, mux)
	_ = os.Remove(path)
	return err
}

// serveHTTP serves handler on ln until ctx ends, then shuts down within
// two seconds, so that the local servers never hold up a clean stop.
func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler) error {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// completeTrailer is sent after the last byte of a backup or an export
// that was written whole. A failure half-way cannot change the status
// already sent, so without it a truncated copy would look like a good one.
const completeTrailer = "Canhbao-Complete"

func (c *controlServer) backup(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Trailer", completeTrailer)
	if _, err := c.store.WriteTo(w); err != nil {
		c.log.Error("backup over control socket", slog.String("error", err.Error()))
		return
	}
	w.Header().Set(completeTrailer, "yes")
}

func (c *controlServer) export(w http.ResponseWriter, r *http.Request) {
	q, err := exportQueryFromURL(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := alertExists(c.store, q.AlertID); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if q.Format == bot.FormatXLSX {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	w.Header().Set("Trailer", completeTrailer)
	if err := writeExport(w, c.store, c.render, q); err != nil {
		c.log.Error("export over control socket", slog.String("error", err.Error()))
		return
	}
	w.Header().Set(completeTrailer, "yes")
}

func exportQueryFromURL(v url.Values) (store.ExportQuery, error) {
	q := store.ExportQuery{Tag: v.Get("tag"), Sheet: v.Get("sheet")}
	var err error
	if s := v.Get("alert"); s != "" {
		if q.AlertID, err = strconv.ParseUint(s, 10, 64); err != nil {
			return q, fmt.Errorf("alert: %q is not a number", s)
		}
	}
	switch f := v.Get("format"); f {
	case "", bot.FormatCSV, bot.FormatXLSX:
		q.Format = f
	default:
		return q, fmt.Errorf("format: %q is neither csv nor xlsx", f)
	}
	for key, t := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if s := v.Get(key); s != "" {
			if *t, err = time.Parse(time.RFC3339, s); err != nil {
				return q, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return q, nil
}

// controlGet asks the running service for path and copies the answer to
// w. ok is false when no service answers on the socket.
func controlGet(ctx context.Context, db, path string, w io.Writer) (ok bool, err error) {
	return controlDo(ctx, db, http.MethodGet, path, w)
}

// controlDo is controlGet with another method (POST for changes).
func controlDo(ctx context.Context, db, method, path string, w io.Writer) (ok bool, err error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath(db))
		},
	}}
	req, err := http.NewRequestWithContext(ctx, method, "http://canhbao"+path, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if errors.Is(err, os.ErrPermission) {
		return true, fmt.Errorf("permission denied on the service's control socket %s: run the command as the service's user", socketPath(db))
	}
	if err != nil {
		return false, nil // no service: the caller opens the file itself
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return true, errors.New(strings.TrimSpace(string(msg)))
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return true, fmt.Errorf("read from the service: %w", err)
	}
	if resp.Trailer.Get(completeTrailer) != "yes" {
		return true, errors.New("the service stopped answering before the end (see its log)")
	}
	return true, nil
}
