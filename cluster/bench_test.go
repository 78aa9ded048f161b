package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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
			leading := make(chan struct{})
			n := &Node{Client: cli, Store: s, Log: quiet(), Config: Config{Prefix: newPrefix(), NodeName: "bench", LeaseTTL: 5 * time.Second},
				Lead: func(ctx context.Context) error { close(leading); <-ctx.Done(); return nil }}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); n.Run(ctx) }()
			defer func() { cancel(); <-done }()
			select {
			case <-leading:
			case <-time.After(20 * time.Second):
				b.Fatal("the node did not lead")
			}
			recordDeliveries(b, s, batch)
		})
	}
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
