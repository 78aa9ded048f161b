package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/cluster/etcdtest"
	"github.com/canhbao/canhbao/store"
)

// BenchmarkRecordedDeliveries measures how many delivery outcomes a
// second the active node records, the way the sender does (a batch of
// outcomes per transaction), on bbolt and on a loopback 3-member etcd
// cluster that syncs to disk. Telegram is not involved: this is the
// store's ceiling, which must stay above any paid broadcast rate.
func BenchmarkRecordedDeliveries(b *testing.B) {
	for _, batch := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("bbolt/batch=%d", batch), func(b *testing.B) {
			s, err := store.Open(filepath.Join(b.TempDir(), "canhbao.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			recordDeliveries(b, s, batch)
		})
	}
	c, err := etcdtest.NewDurable(b.TempDir(), 3)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, batch := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("etcd/batch=%d", batch), func(b *testing.B) {
			cli, err := Connect(Config{Endpoints: c.Endpoints()})
			if err != nil {
				b.Fatal(err)
			}
			defer cli.Close()
			s, err := store.Open(filepath.Join(b.TempDir(), "copy.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			defer lead(b, cli, s)()
			recordDeliveries(b, s, batch)
		})
	}
}

// BenchmarkFanOutThroughTelegram sends one alert to 1,000 groups through
// the sender, the real HTTP client and the fake Bot API with Telegram's
// limits off (a paid broadcast), on bbolt and on a loopback 3-member etcd
// cluster that syncs to disk, and reports messages per second delivered
// and recorded.
func BenchmarkFanOutThroughTelegram(b *testing.B) {
	c, err := etcdtest.NewDurable(b.TempDir(), 3)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, onEtcd := range []bool{false, true} {
		name := map[bool]string{false: "bbolt", true: "etcd"}[onEtcd]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				fanOutOnce(b, c, onEtcd)
			}
		})
	}
}

func fanOutOnce(b *testing.B, c *etcdtest.Cluster, onEtcd bool) {
	b.StopTimer()
	const groups = 1000
	s, err := store.Open(filepath.Join(b.TempDir(), "canhbao.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if onEtcd {
		cli, err := Connect(Config{Endpoints: c.Endpoints()})
		if err != nil {
			b.Fatal(err)
		}
		defer cli.Close()
		defer lead(b, cli, s)()
	}
	tg := telegramtest.New(b)
	sender := &bot.Sender{API: bot.NewAPI(tg.Token(), tg.Endpoint(), 10*time.Second), Store: s, Render: bot.NewRenderer(bot.Vietnamese),
		Log: quiet(), DeptChat: -100, GiveUp: time.Hour, Workers: 12, Rate: 100000}
	err = s.Update(func(tx *store.Tx) error {
		for i := range groups {
			if err := tx.PutChat(store.Chat{ID: -1000000000000 - int64(i), Agency: fmt.Sprint("Đơn vị ", i), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return tx.PutSource(store.Source{Name: "s", LastSuccess: time.Now()})
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sender.Run(ctx) }()
	defer func() { cancel(); <-done }()
	b.StartTimer()
	start := time.Now()
	if _, err := s.Ingest("s", []store.Alert{{Key: "k", Title: "Lỗ hổng nghiêm trọng", Severity: store.SeverityCritical}},
		store.IngestOptions{Now: time.Now(), Backfill: 1 << 62, DigestOver: 1 << 30, DeptChat: -100}); err != nil {
		b.Fatal(err)
	}
	sender.Wake()
	tg.WaitMessages(b, 0, groups, 2*time.Minute)
	for {
		var left []store.Outgoing
		if err := s.View(func(tx *store.Tx) (err error) { left, err = tx.Outbox(); return err }); err != nil {
			b.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportMetric(groups/time.Since(start).Seconds(), "msgs/s")
	b.StopTimer()
}

// lead runs a node on s under a new prefix until it leads, with the
// default lease, and returns what stops it.
func lead(b *testing.B, cli *clientv3.Client, s *store.Store) (stop func()) {
	b.Helper()
	leading := make(chan struct{})
	n := &Node{Client: cli, Store: s, Log: quiet(), Config: Config{Prefix: newPrefix(), NodeName: "bench", LeaseTTL: 5 * time.Second},
		Lead: func(ctx context.Context) error { close(leading); <-ctx.Done(); return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	stop = func() { cancel(); <-done }
	select {
	case <-leading:
	case <-time.After(20 * time.Second):
		stop()
		b.Fatal("the node did not lead")
	}
	return stop
}

// recordDeliveries queues b.N deliveries and records them sent, batch
// outcomes per transaction, reporting deliveries per second.
func recordDeliveries(b *testing.B, s *store.Store, batch int) {
	const dept = -100
	chats := max(b.N, batch)
	err := s.Update(func(tx *store.Tx) error {
		for i := range chats {
			if err := tx.PutChat(store.Chat{ID: -int64(1000 + i), Agency: "x", Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return tx.PutSource(store.Source{Name: "s", LastSuccess: time.Now()})
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Ingest("s", []store.Alert{{Key: "k", Title: "t", Severity: store.SeverityHigh}},
		store.IngestOptions{Now: time.Now(), Backfill: 1 << 62, DigestOver: 1 << 30, DeptChat: dept}); err != nil {
		b.Fatal(err)
	}
	var out []store.Outgoing
	if err := s.View(func(tx *store.Tx) (err error) { out, err = tx.Outbox(); return err }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += batch {
		var results []store.Result
		for j := i; j < min(i+batch, b.N); j++ {
			results = append(results, store.Result{ID: out[j].ID, Status: store.Sent, At: time.Now(), MessageID: j + 1})
		}
		if err := s.Complete(dept, results); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}
