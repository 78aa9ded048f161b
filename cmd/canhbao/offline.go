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
	"strings"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/letter"
	"github.com/canhbao/canhbao/store"
)

// backup writes a consistent copy of the database to file: through the
// running service when there is one, else from the file directly. It
// refuses the database itself (under any name: symlinks, hard links),
// writes to a temporary file first so that a failed backup never leaves a
// truncated copy, and replaces an existing file only when force is set.
func backup(ctx context.Context, cfg Config, file string, force bool, stdout io.Writer) error {
	if err := backupTarget(cfg.DB, file, force); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
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
		return backupErr(err)
	}
	// The copy must pass the full check before it replaces anything.
	if err := store.Check(tmp.Name()); err != nil {
		return fmt.Errorf("backup: the copy is not sound: %w", err)
	}
	// Checked again: the file may have appeared while the copy was made.
	if err := backupTarget(cfg.DB, file, force); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s\n", file)
	return nil
}

// backupErr keeps the one line of a damaged database as it is.
func backupErr(err error) error {
	if errors.Is(err, store.ErrDamaged) {
		return err
	}
	return fmt.Errorf("backup: %w", err)
}

// backupTarget refuses a backup target that is the database itself or,
// unless force, any file that exists.
func backupTarget(db, file string, force bool) error {
	target, err := os.Stat(file)
	if errors.Is(err, os.ErrNotExist) {
		if abs(db) == abs(file) {
			return fmt.Errorf("%s is the database itself (CANHBAO_DB): choose another file", file)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if live, err := os.Stat(db); err == nil && os.SameFile(live, target) || abs(db) == abs(file) {
		return fmt.Errorf("%s is the database itself (CANHBAO_DB, also through a link): choose another file", file)
	}
	if !target.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file", file)
	}
	if !force {
		return fmt.Errorf("%s exists: choose a new name, or add -force to replace it", file)
	}
	return nil
}

func abs(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	return p
}

// parseBackupArgs reads `backup [-force] FILE` (the flag may also follow
// the file).
func parseBackupArgs(args []string) (file string, force bool, err error) {
	for _, a := range args {
		switch {
		case a == "-force" || a == "--force":
			force = true
		case strings.HasPrefix(a, "-") && a != "-":
			return "", false, fmt.Errorf("unknown flag %s", a)
		case file != "":
			return "", false, fmt.Errorf("unexpected argument %q", a)
		default:
			file = a
		}
	}
	if file == "" {
		return "", false, errors.New("usage: canhbao backup [-force] FILE")
	}
	return file, force, nil
}

func withStoreReadOnly(path string, fn func(*store.Store) error) error {
	return withStore(path, true, fn)
}

// withStore opens the database file of a stopped service for fn.
func withStore(path string, readOnly bool, fn func(*store.Store) error) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the service is not running and there is no database at %s (check CANHBAO_DB)", path)
	} else if err != nil {
		return explainOpen(path, err)
	}
	st, err := store.Open(path, store.Options{ReadOnly: readOnly, LockTimeout: 2 * time.Second})
	if err != nil {
		return explainOpen(path, err)
	}
	defer st.Close()
	return fn(st)
}

// explainOpen says what a person can do about a database that did not
// open for backup or export.
func explainOpen(path string, err error) error {
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("permission denied reading %s: run the command as the service's user", path)
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("the database %s is in use by a running service whose control socket %s does not answer (restart the service, or stop it to work on the file)", path, socketPath(path))
	}
	return err
}

// check checks the database, or the file named, in full.
func check(cfg Config, args []string, stdout io.Writer) error {
	path := cfg.DB
	if len(args) == 1 {
		path = args[0]
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("check: no database at %s: %w", path, err)
	}
	if err := store.Check(path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database sound: %s\n", path)
	return nil
}

// alertExists gives "no such alert N" before any byte of an export is
// written, so that the answer is that and not an empty or cut file.
func alertExists(st *store.Store, id uint64) error {
	if id == 0 {
		return nil
	}
	err := st.View(func(tx *store.Tx) error { _, err := tx.Alert(id); return err })
	if store.IsNotFound(err) {
		return fmt.Errorf("no such alert %d", id)
	}
	return err
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
	tag := fs.String("tag", "", "only agencies with this tag")
	incidents := fs.Bool("incidents", false, "the incident reports instead of acknowledgements")
	duty := fs.Bool("duty", false, "the duty rosters of watch periods instead of acknowledgements")
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
	switch {
	case *incidents && *duty:
		return exportArgs{}, errors.New("-incidents and -duty are two tables: export them one at a time")
	case (*incidents || *duty) && q.Format == bot.FormatXLSX:
		return exportArgs{}, errors.New("-incidents and -duty write one table as CSV; the workbook (-format xlsx alone) has them as sheets")
	case *incidents:
		q.Sheet = bot.SheetIncidents
	case *duty:
		q.Sheet = bot.SheetDuty
	}
	if *tag != "" {
		t, ok := letter.Tag(*tag)
		if !ok {
			return exportArgs{}, fmt.Errorf("-tag: %q is not a tag like so-ban-nganh", *tag)
		}
		q.Tag = t
	}
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
	if a.query.Tag != "" {
		v.Set("tag", a.query.Tag)
	}
	if a.query.Sheet != "" {
		v.Set("sheet", a.query.Sheet)
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
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if viaService {
		return nil
	}
	err = withStoreReadOnly(cfg.DB, func(st *store.Store) error {
		if err := alertExists(st, a.query.AlertID); err != nil {
			return err
		}
		r := bot.NewRenderer(cfg.Lang)
		r.DeptName = cfg.DeptName
		return writeExport(w, st, r, a.query)
	})
	if err != nil && !errors.Is(err, store.ErrDamaged) {
		return fmt.Errorf("export: %w", err)
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
