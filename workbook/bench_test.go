package workbook

import (
	"io"
	"testing"
	"time"
)

// BenchmarkRows writes a sheet of 10,000 rows of 12 cells, as the
// export's alerts × agencies sheet has, and reports rows per second.
func BenchmarkRows(b *testing.B) {
	at := time.Date(2026, 11, 26, 9, 15, 0, 0, time.UTC)
	cols := make([]Column, 12)
	for i := range cols {
		cols[i].Title = "Cột"
	}
	for b.Loop() {
		w := New()
		if err := w.Sheet("Cảnh báo × đơn vị", cols...); err != nil {
			b.Fatal(err)
		}
		for i := range 10000 {
			if err := w.Row(uint64(i), "Lỗ hổng nghiêm trọng trong sản phẩm Microsoft", "Cao", "msrc", "UBND xã số 12", ID(-1001234567890),
				"đã gửi", at, "Nguyễn Văn An", at, int64(60), "đã vá 40/42 máy"); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
