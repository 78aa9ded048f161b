// Command canhbao relays cybersecurity warnings from advisory feeds to the
// Telegram groups of the agencies a department oversees, and records who
// has acknowledged each one.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Ho_Chi_Minh on machines without a zone database

	"github.com/joho/godotenv"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `canhbao: cybersecurity warnings to agencies' Telegram groups

Usage:
  canhbao [run]          run the service (needs TELEGRAM_BOT_TOKEN)
  canhbao preview        fetch the configured feeds once and print the alerts; no token, writes nothing
  canhbao backup [-force] FILE
                         write a consistent copy of the database to FILE (works while the service
                         runs); never the database itself; -force replaces an existing FILE
  canhbao export [-alert N] [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-tag TAG] [-incidents | -duty] [-format csv|xlsx]
                         CSV of alerts × agencies (or of incidents, or duty rosters), or an Excel
                         workbook (alerts × agencies, agencies, admin log, incidents, duty), to standard output
  canhbao forget USER_ID erase one person's name, id and notes everywhere (works while the service runs)
  canhbao check [FILE]   check the database (or a backup) in full; needs the service stopped
  canhbao migrate -to etcd [-force] [FILE]
  canhbao migrate -to bbolt [-force] FILE
                         copy the stopped database (CANHBAO_DB, or FILE) into etcd
                         (CANHBAO_ETCD_*), or etcd's data into a new database FILE, and check both
                         sides record for record; a target holding other data needs -force
  canhbao config         every setting: its effective value (secrets hidden) and where it came from
  canhbao version        print the version

Settings come from environment variables, and from .env in the working folder if present.
`

// exitUsage is the exit code for bad settings or arguments.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	// Real environment variables win over .env: godotenv.Load never
	// overrides a variable that is already set. Which ones were set
	// before is kept for `canhbao config`.
	fromEnv := setVariables()
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "canhbao: .env: %v\n", err)
		return exitUsage
	}
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "canhbao", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "config":
		return printConfig(stdout, fromEnv)
	}
	cfg, err := LoadConfigFrom(os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "canhbao: %s\n", redact(err.Error(), ""))
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := newLogger(stderr, cfg)
	switch cmd {
	case "run":
		if cfg.Token == "" {
			fmt.Fprintln(stderr, "canhbao: TELEGRAM_BOT_TOKEN: required for run (try `canhbao preview` without one)")
			return exitUsage
		}
		err = serve(ctx, cfg, log)
	case "preview":
		err = preview(ctx, cfg, stdout, log)
	case "backup":
		file, force, perr := parseBackupArgs(args)
		if perr != nil {
			fmt.Fprintf(stderr, "canhbao: backup: %v\n", perr)
			return exitUsage
		}
		err = backup(ctx, cfg, file, force, stdout)
	case "forget":
		err = forget(ctx, cfg, args, stdout)
	case "check":
		if len(args) > 1 {
			fmt.Fprintln(stderr, "canhbao: usage: canhbao check [FILE]")
			return exitUsage
		}
		err = check(cfg, args, stdout)
	case "migrate":
		a, perr := parseMigrateArgs(args)
		if perr == nil && len(cfg.Etcd.Endpoints) == 0 {
			perr = errors.New("CANHBAO_ETCD_ENDPOINTS: required to migrate")
		}
		if perr != nil {
			fmt.Fprintf(stderr, "canhbao: migrate: %v\n", perr)
			return exitUsage
		}
		err = migrate(ctx, cfg, a, stdout)
	case "export":
		var q exportArgs
		if q, err = parseExportArgs(args); err != nil {
			fmt.Fprintf(stderr, "canhbao: export: %v\n", err)
			return exitUsage
		}
		err = export(ctx, cfg, q, stdout)
	default:
		fmt.Fprintf(stderr, "canhbao: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "canhbao: %s\n", redact(err.Error(), cfg.Token))
		return 1
	}
	return 0
}

func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(&redactingHandler{Handler: h, token: cfg.Token})
}
