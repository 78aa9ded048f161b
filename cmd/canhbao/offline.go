package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// backup writes a consistent copy of the database to file: through the
// running service when there is one, else from the file directly. It
// writes to a temporary file first so that a failed backup never leaves a
// truncated copy under the final name.
func backup(ctx context.Context, cfg Config, file string, stdout io.Writer) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".canhbao-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	viaService, err := controlGet(ctx, cfg.DB, "/backup", tmp)
	if err == nil && !viaService {
		err = withStoreReadOnly(cfg.DB, func(st *store.Store) error {
			_, err := st.WriteTo(tmp)
			return err
		})
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The copy must open as a database before it replaces an older one.
	if err := withStoreReadOnly(tmp.Name(), func(*store.Store) error { return nil }); err != nil {
		return fmt.Errorf("backup: the copy does not open: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s\n", file)
	return nil
}

func withStoreReadOnly(path string, fn func(*store.Store) error) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s: %w", path, err)
	}
	st, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// exportArgs are the flags of `canhbao export`.
type exportArgs struct {
	query store.ExportQuery
}

func parseExportArgs(args []string) (exportArgs, error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	alert := fs.Uint64("alert", 0, "only this alert number")
	from := fs.String("from", "", "alerts first seen on or after this day (YYYY-MM-DD, Asia/Ho_Chi_Minh)")
	to := fs.String("to", "", "alerts first seen up to and including this day")
	format := fs.String("format", bot.FormatCSV, "csv (for scripts) or xlsx (an Excel workbook)")
	if err := fs.Parse(args); err != nil {
		return exportArgs{}, err
	}
	if fs.NArg() > 0 {
		return exportArgs{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *format != bot.FormatCSV && *format != bot.FormatXLSX {
		return exportArgs{}, fmt.Errorf("-format %q: want csv or xlsx", *format)
	}
	loc := bot.NewRenderer(bot.Vietnamese).Loc
	var q store.ExportQuery
	q.AlertID, q.Format = *alert, *format
	for _, d := range []struct {
		s    string
		into *time.Time
		add  int
	}{{*from, &q.From, 0}, {*to, &q.To, 1}} {
		if d.s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.s, loc)
		if err != nil {
			return exportArgs{}, fmt.Errorf("%q is not a date like 2026-11-26", d.s)
		}
		*d.into = t.AddDate(0, 0, d.add)
	}
	return exportArgs{query: q}, nil
}

// export writes the CSV or the workbook to w, through the running
// service when there is one.
func export(ctx context.Context, cfg Config, a exportArgs, w io.Writer) error {
	v := url.Values{}
	if a.query.AlertID != 0 {
		v.Set("alert", fmt.Sprint(a.query.AlertID))
	}
	if !a.query.From.IsZero() {
		v.Set("from", a.query.From.Format(time.RFC3339))
	}
	if !a.query.To.IsZero() {
		v.Set("to", a.query.To.Format(time.RFC3339))
	}
	if a.query.Format != "" {
		v.Set("format", a.query.Format)
	}
	viaService, err := controlGet(ctx, cfg.DB, "/export?"+v.Encode(), w)
	if viaService || err != nil {
		return err
	}
	err = withStoreReadOnly(cfg.DB, func(st *store.Store) error {
		r := bot.NewRenderer(cfg.Lang)
		r.DeptName = cfg.DeptName
		return writeExport(w, st, r, a.query)
	})
	if store.IsNotFound(err) {
		return errors.New("export: no such alert")
	}
	return err
}

// writeExport writes the export in the format the query asks for.
func writeExport(w io.Writer, st *store.Store, r *bot.Renderer, q store.ExportQuery) error {
	if q.Format == bot.FormatXLSX {
		return bot.WriteXLSX(w, st, r, q)
	}
	return bot.WriteCSV(w, st, r, q)
}
