package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/store"
)

const migrateUsage = "usage: canhbao migrate -to etcd [-force] [FILE] | canhbao migrate -to bbolt [-force] FILE"

// migrateArgs are the arguments of `canhbao migrate`.
type migrateArgs struct {
	to string // "etcd" or "bbolt"
	// file is the database to copy (-to etcd; CANHBAO_DB when empty) or
	// the one to write (-to bbolt).
	file  string
	force bool
}

// parseMigrateArgs reads `migrate -to etcd|bbolt [-force] [FILE]`, flags
// before or after the file.
func parseMigrateArgs(args []string) (migrateArgs, error) {
	var a migrateArgs
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "-"), "=")
		switch {
		case name == "force" || name == "-force":
			a.force = true
		case name == "to" || name == "-to":
			if !hasValue {
				if i+1 == len(args) {
					return a, fmt.Errorf("-to needs etcd or bbolt; %s", migrateUsage)
				}
				i++
				value = args[i]
			}
			if value != "etcd" && value != "bbolt" {
				return a, fmt.Errorf("-to %s: the store is etcd or bbolt", value)
			}
			a.to = value
		case strings.HasPrefix(arg, "-") && arg != "-":
			return a, fmt.Errorf("unknown flag %s; %s", arg, migrateUsage)
		case a.file != "":
			return a, fmt.Errorf("unexpected argument %q; %s", arg, migrateUsage)
		default:
			a.file = arg
		}
	}
	switch {
	case a.to == "":
		return a, errors.New(migrateUsage)
	case a.to == "bbolt" && a.file == "":
		return a, fmt.Errorf("-to bbolt needs the new database file; %s", migrateUsage)
	}
	return a, nil
}

// migrate copies the database between the single machine's bbolt file
// and the etcd cluster (see cluster.ToEtcd and cluster.ToBbolt), then
// prints what each side holds.
func migrate(ctx context.Context, cfg Config, a migrateArgs, stdout io.Writer) error {
	cli, err := cluster.Connect(cfg.Etcd)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = cli.Get(pctx, cfg.Etcd.Prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	cancel()
	if err != nil {
		return fmt.Errorf("migrate: etcd at %s does not answer (check CANHBAO_ETCD_ENDPOINTS and its certificates): %w",
			strings.Join(cfg.Etcd.Endpoints, ","), err)
	}
	etcdName := cfg.Etcd.Prefix + " at " + strings.Join(cfg.Etcd.Endpoints, ",")
	if a.to == "etcd" {
		return migrateToEtcd(ctx, cli, cfg, a, etcdName, stdout)
	}
	return migrateToBbolt(ctx, cli, cfg, a, etcdName, stdout)
}

func migrateToEtcd(ctx context.Context, cli *clientv3.Client, cfg Config, a migrateArgs, etcdName string, stdout io.Writer) error {
	file := cmp.Or(a.file, cfg.DB)
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("migrate: no database at %s (check CANHBAO_DB): %w", file, err)
	}
	var res cluster.Result
	err := openForMigration(file, true, func(src *store.Store) (err error) {
		res, err = cluster.ToEtcd(ctx, cli, cfg.Etcd.Prefix, src, a.force)
		return err
	})
	printCounts(stdout, res, [4]string{"bbolt", file, "etcd", etcdName}, err)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if res.Unchanged {
		fmt.Fprintf(stdout, "etcd under %s already holds the same data as %s: nothing changed\n", cfg.Etcd.Prefix, file)
	} else {
		if res.Resumed {
			fmt.Fprintln(stdout, "an interrupted migration of this database was finished")
		}
		fmt.Fprintf(stdout, "copied %s into etcd under %s and checked it record for record\n", file, cfg.Etcd.Prefix)
	}
	// The file becomes a copy of what etcd now holds, so that a node may
	// start on it (a node refuses a database of its own).
	err = openForMigration(file, false, func(s *store.Store) error {
		return cluster.Adopt(ctx, cli, cfg.Etcd.Prefix, s)
	})
	if err != nil {
		return fmt.Errorf("migrate: etcd holds the data, but %s could not be made a node's copy of it (give the nodes a new CANHBAO_DB file): %w", file, err)
	}
	fmt.Fprintf(stdout, "%s is now a copy of the cluster's data that a node may start on: start the nodes with CANHBAO_STORE=etcd\n", file)
	return nil
}

// openForMigration opens a stopped database for fn.
func openForMigration(file string, readOnly bool, fn func(*store.Store) error) error {
	s, err := store.Open(file, store.Options{ReadOnly: readOnly, LockTimeout: time.Second})
	if err != nil {
		return openErr(file, err)
	}
	defer s.Close()
	return fn(s)
}

func migrateToBbolt(ctx context.Context, cli *clientv3.Client, cfg Config, a migrateArgs, etcdName string, stdout io.Writer) error {
	fi, statErr := os.Stat(a.file)
	existed := statErr == nil
	if existed && !fi.Mode().IsRegular() {
		return fmt.Errorf("migrate: %s exists and is not a regular file", a.file)
	}
	var res cluster.Result
	err := openForMigration(a.file, false, func(dst *store.Store) (err error) {
		res, err = cluster.ToBbolt(ctx, cli, cfg.Etcd.Prefix, dst, a.force)
		return err
	})
	if err != nil && !existed {
		os.Remove(a.file) // nothing of a failed copy is left behind
	}
	printCounts(stdout, res, [4]string{"etcd", etcdName, "bbolt", a.file}, err)
	switch {
	case err != nil:
		return fmt.Errorf("migrate: %w", err)
	case res.Unchanged:
		fmt.Fprintf(stdout, "%s already holds the same data as etcd under %s: nothing changed\n", a.file, cfg.Etcd.Prefix)
	default:
		fmt.Fprintf(stdout, "copied etcd under %s into %s and checked it record for record; to run on it: CANHBAO_STORE=bbolt CANHBAO_DB=%s\n",
			cfg.Etcd.Prefix, a.file, a.file)
	}
	return nil
}

// openErr says what to do about a database file a migration cannot open.
func openErr(file string, err error) error {
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("the database %s is in use by a running service: stop it first (a migration copies a stopped database)", file)
	}
	return explainOpen(file, err)
}

// printCounts shows both sides: the source, and the target as the
// migration left it, or as it was found when the migration was refused
// for holding other data. A refusal for any other reason has nothing to
// compare.
func printCounts(w io.Writer, res cluster.Result, names [4]string, err error) {
	after := res.After
	switch {
	case err == nil:
	case errors.Is(err, cluster.ErrTargetDiffers):
		after = res.Before
	default:
		return
	}
	fmt.Fprintf(w, "%s: %s\n%s: %s\n\n", names[0], names[1], names[2], names[3])
	rows := [][3]string{
		{"", names[0], names[2]},
		{"alerts", fmt.Sprint(res.Source.Alerts), fmt.Sprint(after.Alerts)},
		{"deliveries", fmt.Sprint(res.Source.Deliveries), fmt.Sprint(after.Deliveries)},
		{"acknowledgements", fmt.Sprint(res.Source.Acks), fmt.Sprint(after.Acks)},
		{"outbox entries", fmt.Sprint(res.Source.Outbox), fmt.Sprint(after.Outbox)},
		{"all records", fmt.Sprint(res.Source.Records), fmt.Sprint(after.Records)},
		{"digest", res.Source.Short(), after.Short()},
	}
	width := [3]int{}
	for _, r := range rows {
		for i, cell := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s   %*s   %*s\n", width[0], r[0], width[1], r[1], width[2], r[2])
	}
	fmt.Fprintln(w)
}
