//go:build unix

package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// seedMatrix gives the store agencies approved agencies and alerts alerts
// delivered to all of them: 80 % acknowledged (a tenth of those with a
// remediation note), 2 % failed, the rest waiting.
func seedMatrix(b *testing.B, f *fixture, agencies, alerts int) {
	chats := make([]store.Chat, agencies)
	for i := range chats {
		chats[i] = store.Chat{ID: int64(-100000 - i), Agency: fmt.Sprintf("Ủy ban nhân dân xã số %d", i)}
	}
	f.chats(chats...)
	for k := range alerts {
		id := f.alert("cisa", store.Alert{Title: fmt.Sprintf("Lỗ hổng số %d", k), Severity: store.Severities[k%4]})
		f.now = f.now.Add(20 * time.Minute)
		f.must(f.st.Update(func(tx *store.Tx) error {
			for i, c := range chats {
				switch {
				case i%50 == 0:
					d, _, err := tx.Delivery(id, c.ID)
					if err != nil {
						return err
					}
					d.State, d.Error = store.DeliveryFailed, "403 Forbidden"
					if err := tx.PutDelivery(d); err != nil {
						return err
					}
				case i%5 != 0:
					a := store.Ack{AlertID: id, ChatID: c.ID, UserID: int64(i + 1), Name: "Cán bộ", At: f.now}
					if i%10 == 1 {
						a.Notes = []store.Note{{Text: "đã vá", At: f.now}}
					}
					if _, err := tx.AddAck(a); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	f.now = f.now.Add(30 * time.Hour)
}

// BenchmarkMatrix: the matrix page over 1,000 agencies × 50 alerts
// (50,000 cells read, classified and sorted; the first page of 100
// agencies rendered), as the browser gets it.
func BenchmarkMatrix(b *testing.B) {
	f := newFixture(b, bot.Vietnamese)
	seedMatrix(b, f, 1000, 50)
	cookie := f.signIn(admin)
	var size int
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		r := f.do("GET", "/matrix", cookie)
		if r.code != http.StatusOK {
			b.Fatal(r.code)
		}
		size = len(r.body)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/page")
	b.ReportMetric(float64(size)/1024, "KB/page")
	b.StopTimer()
	// For the record: all 1,000 rows in one table.
	d, m, err := f.srv.buildMatrix(url.Values{})
	f.must(err)
	f.srv.fill(d.Lines, m.Alerts, f.now)
	var all bytes.Buffer
	f.must(f.srv.pages["matrix"].ExecuteTemplate(&all, "rows", d))
	b.ReportMetric(float64(all.Len())/1024, "KB/all-rows")
}

// BenchmarkMatrixUnchanged: a live refresh of the same page when nothing
// changed (the answer is 204).
func BenchmarkMatrixUnchanged(b *testing.B) {
	f := newFixture(b, bot.Vietnamese)
	seedMatrix(b, f, 1000, 50)
	cookie := f.signIn(admin)
	full := f.do("GET", "/matrix", cookie).body
	i := bytes.Index([]byte(full), []byte(`hx-get="`))
	u := full[i+len(`hx-get="`):]
	u = string(bytes.ReplaceAll([]byte(u[:bytes.IndexByte([]byte(u), '"')]), []byte("&amp;"), []byte("&")))
	// An acknowledgement arrives: the first refresh redraws, the next
	// ones answer 204 at once.
	f.ack(2, -100005, 6, "Cán bộ", "")
	if r := f.do("GET", u, cookie); r.code != http.StatusOK {
		b.Fatal(r.code)
	}
	full = f.do("GET", "/matrix", cookie).body
	i = bytes.Index([]byte(full), []byte(`hx-get="`))
	u = full[i+len(`hx-get="`):]
	u = string(bytes.ReplaceAll([]byte(u[:bytes.IndexByte([]byte(u), '"')]), []byte("&amp;"), []byte("&")))
	b.ResetTimer()
	for b.Loop() {
		if r := f.do("GET", u, cookie); r.code != http.StatusNoContent {
			b.Fatal(r.code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/refresh")
}

// cpuTime is the CPU time the process used so far: on a shared machine it
// varies less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOverview: the overview over the same 1,000 agencies × 50
// alerts (12 weekly tallies and the 30-day charts, in one walk).
func BenchmarkOverview(b *testing.B) {
	f := newFixture(b, bot.Vietnamese)
	seedMatrix(b, f, 1000, 50)
	cookie := f.signIn(admin)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if r := f.do("GET", "/", cookie); r.code != http.StatusOK {
			b.Fatal(r.code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/page")
}
