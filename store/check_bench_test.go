package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkOpenCheck measures the start-up check on a database of about
// 200 MB (256,000 deliveries and acknowledgements): the full check that Open runs
// up to FullCheckMax, and the cheap one above it. It reports MB/s so that
// the time for FullCheckMax can be worked out.
func BenchmarkOpenCheck(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.db")
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for chunk := range 32 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := range 8000 {
				id := uint64(chunk*8000 + i)
				d := Delivery{AlertID: id / 100, ChatID: -int64(id % 100), State: DeliverySent, QueuedAt: t0, SentAt: t0, MessageID: int(id)}
				v, _ := json.Marshal(d)
				for len(v) < 220 {
					v = append(v, ' ')
				}
				if err := tx.Bucket(bucketDeliveries).Put(deliveryKey(d.AlertID, d.ChatID), v); err != nil {
					return err
				}
				a := Ack{AlertID: d.AlertID, ChatID: d.ChatID, UserID: int64(id), Name: "Nguyễn Văn An", At: t0}
				v, _ = json.Marshal(a)
				if err := tx.Bucket(bucketAcks).Put(ackKey(a.AlertID, a.ChatID, a.UserID), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	fi, _ := os.Stat(path)
	mb := float64(fi.Size()) / (1 << 20)
	for _, c := range []struct {
		name string
		max  int64
	}{{"full", -1}, {"cheap", 0}} {
		b.Run(c.name, func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				began := time.Now()
				s, err := open(path, Options{ReadOnly: true}, c.max)
				if err != nil {
					b.Fatal(err)
				}
				took += time.Since(began)
				s.Close()
			}
			b.ReportMetric(mb, "MB")
			b.ReportMetric(mb/took.Seconds()*float64(b.N), "MB/s")
		})
	}
}
