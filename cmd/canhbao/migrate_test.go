package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/cluster/etcdtest"
	"github.com/canhbao/canhbao/store"
	"github.com/canhbao/canhbao/store/storetest"
)

// seedService leaves in db what a service leaves after a day: 3 agencies,
// 4 alerts with their deliveries (half sent), 2 acknowledgements and 6
// messages still in the outbox.
func seedService(t *testing.T, db string) {
	t.Helper()
	seedChats(t, db, store.Chat{ID: -1, Agency: "Sở Y tế"}, store.Chat{ID: -2, Agency: "Sở Tài chính"}, store.Chat{ID: -3, Agency: "UBND huyện"})
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 9, 1, 18, 0, 0, 0, time.UTC)
	var items []store.Alert
	for i := range 4 {
		items = append(items, store.Alert{Key: fmt.Sprint(i), Title: fmt.Sprintf("Lỗ hổng %d", i), Severity: store.SeverityHigh, Published: at})
	}
	res, err := st.Ingest("vncert", items, store.IngestOptions{Now: at, Backfill: 1 << 62, DigestOver: 1000})
	must(t, err)
	var out []store.Outgoing
	must(t, st.View(func(tx *store.Tx) (err error) { out, err = tx.Outbox(); return err }))
	var results []store.Result
	for i, o := range out[:6] {
		results = append(results, store.Result{ID: o.ID, Status: store.Sent, At: at, MessageID: 100 + i})
	}
	must(t, st.Complete(0, results))
	must(t, st.Update(func(tx *store.Tx) error {
		for _, user := range []int64{7, 8} {
			if _, err := tx.AddAck(store.Ack{AlertID: res.New[0].ID, ChatID: -1, UserID: user, Name: "Nguyễn Văn A", At: at}); err != nil {
				return err
			}
		}
		return nil
	}))
}

func records(t *testing.T, db string) []string {
	t.Helper()
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return storetest.Records(t, st)
}

// holdOpen opens db as a running service does, until the step ends.
func holdOpen(db string) func(t *testing.T) func() {
	return func(t *testing.T) func() {
		st, err := store.Open(db, store.Options{})
		must(t, err)
		return func() { st.Close() }
	}
}

// TestMigrateCommand moves a service's database into etcd and back with
// `canhbao migrate`, step by step on one etcd cluster, including each
// refusal.
func TestMigrateCommand(t *testing.T) {
	etcd := etcdtest.Start(t, 3)
	dir := t.TempDir()
	db, back := filepath.Join(dir, "canhbao.db"), filepath.Join(dir, "back.db")
	seedService(t, db)
	env := map[string]string{"CANHBAO_DB": db, "CANHBAO_ETCD_ENDPOINTS": strings.Join(etcd.Endpoints(), ","), "CANHBAO_ETCD_PREFIX": "/tinh/"}
	cli, err := cluster.Connect(cluster.Config{Endpoints: etcd.Endpoints()})
	must(t, err)
	defer cli.Close()
	ctx := context.Background()
	put := func(key, value string) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			_, err := cli.Put(ctx, key, value)
			must(t, err)
			return func() {}
		}
	}
	// The counts each side prints: alerts, deliveries, acknowledgements,
	// outbox entries, for the source and the target.
	const counted = `alerts +4 +4\ndeliveries +12 +12\nacknowledgements +2 +2\noutbox entries +6 +6\n`
	steps := []struct {
		name   string
		env    map[string]string
		before func(t *testing.T) func() // returns what undoes it
		args   []string
		code   int
		stdout string // a regular expression
		stderr string
	}{
		{name: "no endpoints", env: map[string]string{"CANHBAO_ETCD_ENDPOINTS": ""}, args: []string{"migrate", "-to", "etcd"}, code: exitUsage, stderr: "CANHBAO_ETCD_ENDPOINTS: required to migrate"},
		{name: "no direction", args: []string{"migrate"}, code: exitUsage, stderr: "usage: canhbao migrate -to etcd"},
		{name: "unknown store", args: []string{"migrate", "-to", "mysql"}, code: exitUsage, stderr: "etcd or bbolt"},
		{name: "bbolt without a file", args: []string{"migrate", "-to=bbolt"}, code: exitUsage, stderr: "needs the new database file"},
		{name: "unknown flag", args: []string{"migrate", "-to", "etcd", "-dry"}, code: exitUsage, stderr: "unknown flag -dry"},
		{name: "no database", env: map[string]string{"CANHBAO_DB": filepath.Join(dir, "none.db")}, args: []string{"migrate", "-to", "etcd"}, code: 1, stderr: "no database at"},
		{name: "the service runs", before: holdOpen(db), args: []string{"migrate", "-to", "etcd"}, code: 1, stderr: "in use by a running service: stop it first"},
		{name: "into etcd", args: []string{"migrate", "-to", "etcd"}, stdout: counted + `(?s).*copied .* into etcd under /tinh/ and checked it record for record\n.*canhbao.db is now a copy of the cluster's data that a node may start on`},
		{name: "again", args: []string{"migrate", "-to", "etcd"}, stdout: counted + `(?s).*already holds the same data .*: nothing changed`},
		{name: "a node leads", before: put("/tinh/leader/694d7a", "node-b"), args: []string{"migrate", "-to", "etcd", "-force"}, code: 1, stderr: `node "node-b" leads under /tinh/; stop every node before migrating`},
		{name: "the cluster ran since", before: put("/tinh/data/acks/x", "newer"), args: []string{"migrate", "-to", "etcd"}, code: 1,
			stdout: `acknowledgements +2 +3\n`, stderr: "etcd under /tinh/ holds other records than the database.* add -force to replace them"},
		{name: "forced over it", args: []string{"migrate", "-force", "-to", "etcd"}, stdout: counted},
		{name: "back while a node leads", before: put("/tinh/leader/694d7b", "node-c"), args: []string{"migrate", "-to", "bbolt", back}, code: 1, stderr: `node "node-c" leads`},
		{name: "back into a new file", args: []string{"migrate", "-to", "bbolt", back}, stdout: counted + `(?s).*CANHBAO_STORE=bbolt CANHBAO_DB=` + regexp.QuoteMeta(back)},
		{name: "back again", args: []string{"migrate", "-to", "bbolt", back}, stdout: "nothing changed"},
		{name: "back into a file in use", before: holdOpen(back), args: []string{"migrate", "-to", "bbolt", back, "-force"}, code: 1, stderr: "in use by a running service"},
		{name: "back over other data", before: func(t *testing.T) func() {
			seedChats(t, back, store.Chat{ID: -4, Agency: "Sở Nội vụ"})
			return func() {}
		}, args: []string{"migrate", "-to", "bbolt", back}, code: 1, stderr: "the file holds other records than etcd under /tinh/.* add -force"},
		{name: "back over it, forced", args: []string{"migrate", "-to", "bbolt", back, "-force"}, stdout: counted},
		{name: "a file named rather than CANHBAO_DB", args: []string{"migrate", "-to", "etcd", back}, stdout: "already holds the same data as " + regexp.QuoteMeta(back)},
		{name: "back from an empty prefix", env: map[string]string{"CANHBAO_ETCD_PREFIX": "/khac/"}, args: []string{"migrate", "-to", "bbolt", filepath.Join(dir, "empty.db")}, code: 1, stderr: "holds no canhbao records under /khac/"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range s.env {
				e[k] = v
			}
			if s.before != nil {
				undo := s.before(t)
				defer undo()
			}
			code, stdout, stderr := runCLI(t, e, s.args...)
			if code != s.code || !regexp.MustCompile(s.stdout).MatchString(stdout) || !regexp.MustCompile(s.stderr).MatchString(stderr) {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, s.code, stdout, stderr)
			}
			if strings.Contains(s.name, "leads") {
				_, err := cli.Delete(ctx, "/tinh/leader/", clientv3.WithPrefix())
				must(t, err)
			}
		})
	}
	if got, want := records(t, back), records(t, db); !slices.Equal(got, want) {
		t.Errorf("after the round trip the file holds %d records, the database %d", len(got), len(want))
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	must(t, err)
	_, origin, err := st.Replica()
	st.Close()
	if err != nil || !strings.HasPrefix(origin, "etcd ") || !strings.HasSuffix(origin, " /tinh/") {
		t.Errorf("the migrated database is not a node's copy of the cluster: %q %v", origin, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "empty.db")); !os.IsNotExist(err) {
		t.Errorf("a failed migration left its new file: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
