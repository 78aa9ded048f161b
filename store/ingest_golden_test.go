package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ingestGolden is the digest of every bucket (names, keys, values and
// sequences) after the ingest workload of TestIngestWritesTheSameRecords.
// It changes only when what an ingest stores changes, which must be on
// purpose: records written by earlier versions are read back as they are.
const ingestGolden = "892cdf3f513e3885f3c7eb18ec7be054753a82b291897819e1ffc50b1eb9cba1"

// TestIngestWritesTheSameRecords runs polls that exercise every path of an
// ingest (cards, a digest, follow-ups, filters, a capped poll with its
// notice, a backfill stored unpushed, chunks, a repeated item, a
// department advisory) with fixed times, and compares a digest of the
// whole database with the one recorded: work on ingest's speed must not
// change a byte of what it stores.
func TestIngestWritesTheSameRecords(t *testing.T) {
	s := openTest(t)
	must(t, s.Update(func(tx *Tx) error {
		for _, c := range []Chat{
			{ID: -1, Agency: "Sở A", Status: ChatApproved},
			{ID: -2, Agency: "Sở B", Status: ChatApproved, Filter: Filter{MinSeverity: SeverityHigh}},
			{ID: -3, Agency: "Sở C", Status: ChatApproved, Filter: Filter{Keywords: []string{"linux"}}},
			{ID: -4, Agency: "Sở D", Status: ChatPending},
			{ID: 7, Agency: "Người E", Status: ChatApproved, Filter: Filter{Sources: []string{"cisa"}}},
		} {
			if err := tx.PutChat(c); err != nil {
				return err
			}
		}
		return nil
	}))
	sev := []Severity{SeverityLow, SeverityCritical, SeverityMedium, SeverityHigh, SeverityUnknown}
	poll := func(source string, from, n int, at time.Time, opt IngestOptions) {
		t.Helper()
		var items []Alert
		for i := from; i < from+n; i++ {
			items = append(items, Alert{Key: fmt.Sprintf("https://example.org/%s/%d", source, i),
				Title: fmt.Sprintf("Lỗ hổng %d trong Linux", i), Summary: "Nhiều lỗ hổng…", Severity: sev[i%len(sev)],
				Published: at.Add(-time.Duration(i) * time.Minute), CVEs: []string{fmt.Sprintf("CVE-2026-%d", i%7), fmt.Sprintf("CVE-2025-%d", i)},
				Vendors: []string{"Red Hat"}})
		}
		items = append(items, items[0]) // a repeat within the poll
		opt.Now, opt.Backfill, opt.FollowUpWindow = at, time.Hour, 14*24*time.Hour
		if _, err := s.Ingest(source, items, opt); err != nil {
			t.Fatal(err)
		}
		must(t, s.Update(func(tx *Tx) error {
			src, _, err := tx.Source(source)
			if err != nil {
				return err
			}
			src.Name, src.LastSuccess = source, at
			return tx.PutSource(src)
		}))
	}
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	poll("cert", 0, 90, at, IngestOptions{Chunk: 16})                                             // first poll: backfill
	poll("cisa", 0, 12, at.Add(time.Hour), IngestOptions{DigestOver: 5})                          // digests
	poll("cert", 90, 20, at.Add(2*time.Hour), IngestOptions{MaxNew: 6, DeptChat: -900, Chunk: 4}) // capped
	poll("cisa", 12, 4, at.Add(3*time.Hour), IngestOptions{})                                     // follow-ups
	_, _, err := s.Publish(Alert{Key: "adv-1", Title: "Chỉ đạo", Severity: SeverityHigh}, at.Add(4*time.Hour),
		AuditEntry{At: at, UserID: 1, Action: "publish"})
	must(t, err)

	kinds := make(map[Kind]int)
	for _, o := range outbox(t, s) {
		kinds[o.Kind]++
	}
	for _, k := range []Kind{OutAlert, OutDigest, OutFollowUp, OutNotice} {
		if kinds[k] == 0 {
			t.Fatalf("no %s in the outbox (%v): the workload misses a path", k, kinds)
		}
	}
	h := sha256.New()
	must(t, s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(h, "bucket %q seq %d\n", name, b.Sequence())
			return b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(h, "%x=%x\n", k, v)
				return nil
			})
		})
	}))
	if got := hex.EncodeToString(h.Sum(nil)); got != ingestGolden {
		t.Fatalf("the database after the ingests has digest %s, want %s", got, ingestGolden)
	}
}
