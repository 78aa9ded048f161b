package bot

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

// fillDepartment writes agencies × alerts delivered everywhere, with one
// acknowledgement (every tenth with a remediation note) from ackedShare of
// the agencies, in large transactions.
func fillDepartment(b *testing.B, st *store.Store, agencies, alerts int, ackedShare float64) {
	t0 := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.Update(func(tx *store.Tx) error {
		for c := range agencies {
			if err := tx.PutChat(store.Chat{ID: int64(-1000 - c), Agency: fmt.Sprintf("UBND xã số %d", c), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return nil
	}))
	acked := int(float64(agencies) * ackedShare)
	for a := 1; a <= alerts; a++ {
		must(st.Update(func(tx *store.Tx) error {
			at := t0.Add(time.Duration(a) * time.Minute)
			if err := tx.PutAlert(store.Alert{ID: uint64(a), Source: "bench", Key: fmt.Sprint(a), Title: fmt.Sprintf("Lỗ hổng nghiêm trọng số %d trong sản phẩm Microsoft", a),
				Severity: store.SeverityHigh, FirstSeen: at, Published: at, Pushed: true}); err != nil {
				return err
			}
			for c := range agencies {
				chat := int64(-1000 - c)
				if err := tx.PutDelivery(store.Delivery{AlertID: uint64(a), ChatID: chat, State: store.DeliverySent, QueuedAt: at, SentAt: at, MessageID: a}); err != nil {
					return err
				}
				if c < acked {
					note := ""
					if c%10 == 0 {
						note = "đã vá 40/42 máy"
					}
					if _, err := tx.AddAck(store.Ack{AlertID: uint64(a), ChatID: chat, UserID: int64(5000 + c), Name: "Nguyễn Văn An", At: at.Add(time.Hour), Note: note}); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
}

// peakHeap samples the heap while fn runs and returns the highest value
// above the starting point.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
				peak.Store(m.HeapAlloc - base)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkDepartmentViews measures /report (one message; the full list
// as an attached workbook) and the exports over 1,000 agencies × 1,000
// alerts, 80 % acknowledged.
func BenchmarkDepartmentViews(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	fillDepartment(b, st, 1000, 1000, 0.8)
	b.Logf("filled 1,000 agencies × 1,000 alerts in %s", time.Since(start).Round(time.Second))
	r := NewRenderer(Vietnamese)
	now := time.Now()

	b.Run("report", func(b *testing.B) {
		var peak uint64
		n := 0
		for b.Loop() {
			id := uint64(n%1000 + 1)
			n++
			p := peakHeap(func() {
				err := st.View(func(tx *store.Tx) error {
					rep, err := tx.Report(id)
					if err != nil {
						return err
					}
					text, attached := r.ReportMessage(rep, now)
					if VisibleLen(text) > MaxMessage || !attached {
						b.Fatal("the report does not fit one message with the list attached")
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			})
			peak = max(peak, p)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		b.ReportMetric(1, "messages")
	})
	// The file attached to /report: the Excel workbook of one alert.
	b.Run("report-attachment-xlsx", func(b *testing.B) {
		var peak uint64
		var size int
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				_, data, err := ExportFile(st, r, store.ExportQuery{AlertID: 500, Format: FormatXLSX})
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(size)/1024, "file-KiB")
	})
	b.Run("export-one-alert", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				if err := WriteCSV(io.Discard, st, r, store.ExportQuery{AlertID: 500}); err != nil {
					b.Fatal(err)
				}
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	})
	b.Run("export-all", func(b *testing.B) {
		var peak uint64
		var rows countingWriter
		for b.Loop() {
			peak = max(peak, peakHeap(func() {
				if err := WriteCSV(&rows, st, r, store.ExportQuery{}); err != nil {
					b.Fatal(err)
				}
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(rows.lines)/float64(b.N), "rows")
	})
}

type countingWriter struct{ lines int }

// BenchmarkExportXLSX measures the Excel export of everything over 1,000
// agencies × 200 alerts, 80 % acknowledged (200,000 rows in the first
// sheet): time, peak heap and file size.
func BenchmarkExportXLSX(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fillDepartment(b, st, 1000, 200, 0.8)
	r := NewRenderer(Vietnamese)
	var peak uint64
	var size countingBytes
	for b.Loop() {
		size = 0
		peak = max(peak, peakHeap(func() {
			if err := WriteXLSX(&size, st, r, store.ExportQuery{Format: FormatXLSX}); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(size)/(1<<20), "file-MiB")
	b.ReportMetric(200_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

type countingBytes int

func (c *countingBytes) Write(p []byte) (int, error) { *c += countingBytes(len(p)); return len(p), nil }

func (w *countingWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			w.lines++
		}
	}
	return len(p), nil
}
