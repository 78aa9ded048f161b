package store

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIngest stores 100 polls of 200 new items each (one transaction
// per poll, as the poller does), queueing every item for the approved
// chats: items per second and allocations per item.
func BenchmarkIngest(b *testing.B) {
	for _, chats := range []int{0, 10} {
		b.Run(fmt.Sprintf("chats=%d", chats), func(b *testing.B) {
			items := 0
			var elapsed, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				s, err := Open(filepath.Join(b.TempDir(), "x.db"), Options{})
				if err != nil {
					b.Fatal(err)
				}
				ids := make([]int64, chats)
				for i := range ids {
					ids[i] = int64(-1 - i)
				}
				approveBench(b, s, ids)
				batches := make([][]Alert, 100)
				for f := range batches {
					for i := range 200 {
						batches[f] = append(batches[f], Alert{Key: fmt.Sprintf("https://example.org/%d/%d", f, i),
							Title: "Multiples vulnérabilités dans le noyau Linux de Red Hat", Summary: "De multiples vulnérabilités ont été découvertes…",
							Link: "https://www.cert.ssi.gouv.fr/avis/CERTFR-2026-AVI-0001/", Published: time.Now(), Severity: SeverityHigh,
							CVEs: []string{fmt.Sprintf("CVE-2026-%d", f*1000+i)}})
					}
				}
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				for f, batch := range batches {
					if _, err := s.Ingest(fmt.Sprintf("src%d", f), batch, IngestOptions{Now: time.Now(), Backfill: time.Hour, FollowUpWindow: 14 * 24 * time.Hour}); err != nil {
						b.Fatal(err)
					}
					items += len(batch)
				}
				elapsed += time.Since(start)
				cpu += cpuTime() - cpu0
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(items)/elapsed.Seconds(), "items/s")
			// CPU time per 10,000 items: steadier than the rate on a shared
			// machine.
			b.ReportMetric(cpu.Seconds()/float64(items)*10000, "cpu-s/10k")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func approveBench(b *testing.B, s *Store, ids []int64) {
	err := s.Update(func(tx *Tx) error {
		for _, id := range ids {
			if err := tx.PutChat(Chat{ID: id, Agency: "x", Status: ChatApproved}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEachOutgoing reads a queue of one alert to 5,000 groups into
// per-chat queues, as the sender does at every start.
func BenchmarkEachOutgoing(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "x.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ids := make([]int64, 5000)
	for i := range ids {
		ids[i] = -1000000000000 - int64(i)
	}
	approveBench(b, s, ids)
	if _, _, err := s.Publish(Alert{Title: "Lỗ hổng nghiêm trọng", Severity: SeverityCritical, Link: "https://example.gov.vn/canh-bao"},
		time.Now(), AuditEntry{Action: "publish"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		queues := make(map[int64][]Outgoing)
		err := s.View(func(tx *Tx) error {
			return tx.EachOutgoing(func(o *Outgoing) error {
				queues[o.ChatID] = append(queues[o.ChatID], *o)
				return nil
			})
		})
		if err != nil || len(queues) != len(ids) {
			b.Fatal(len(queues), err)
		}
	}
}
