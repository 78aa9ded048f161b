package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// BenchmarkFanOut sends one alert to 1,000 approved groups through the
// fake Bot API with no rate limit: the sender's own ceiling.
func BenchmarkFanOut(b *testing.B) {
	const n = 1000
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		r.approve(groups(n)...)
		r.start()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		start := time.Now()
		r.publish("Lỗ hổng nghiêm trọng")
		r.tg.WaitMessages(b, 0, n, time.Minute)
		r.waitOutboxEmpty(time.Minute)
		d := time.Since(start)
		b.StopTimer()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(n)/d.Seconds(), "msgs/s")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/msg")
		b.ReportMetric(float64(r.s.recorded.Load())/float64(r.s.batches.Load()), "msgs/sync")
		r.stop()
	}
}

// BenchmarkFanOutCeiling runs the fan-outs of the performance goals
// through the real HTTP client against the fake Bot API enforcing
// Telegram's limits (one message a second per chat, 20 a minute per
// group, and 30 a second overall where the rate is Telegram's default),
// with the service's 12 workers. It reports the rate achieved on
// Telegram's clock (the fake's accept times) as a fraction of the ceiling
// (the configured rate, or what the groups' one message a second allows
// if that is lower), the 429s, lost and duplicated messages, and the CPU
// time of the whole process (sender, store and the fake server) per
// delivered message.
func BenchmarkFanOutCeiling(b *testing.B) {
	for _, tc := range []struct {
		name           string
		groups, alerts int
		rate           float64
		flood          int // the fake's overall limit per second, 0 for none
	}{
		{"groups=100/alerts=10/rate=25", 100, 10, 25, 30},
		{"groups=5000/alerts=1/rate=1000", 5000, 1, 1000, 0},
		{"groups=1000/alerts=5/rate=1000", 1000, 5, 1000, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				fanOutCeiling(b, tc.groups, tc.alerts, tc.rate, tc.flood)
			}
		})
	}
}

func fanOutCeiling(b *testing.B, groups, alerts int, rateLimit float64, flood int) {
	b.StopTimer()
	r := newRig(b, telegramtest.WithFloodControl(flood))
	r.s.Rate, r.s.Workers = rateLimit, 12
	ids := make([]int64, groups)
	for i := range ids {
		ids[i] = -1000000000000 - int64(i) // supergroups, as agencies' groups are
	}
	r.approve(ids...)
	for i := range alerts {
		if _, _, err := r.st.Publish(store.Alert{Title: fmt.Sprintf("Lỗ hổng %d", i), Summary: "Cập nhật bản vá ngay.",
			Severity: store.SeverityHigh, Link: "https://example.gov.vn/canh-bao"}, time.Now(), store.AuditEntry{Action: "publish"}); err != nil {
			b.Fatal(err)
		}
	}
	n := groups * alerts
	cpu0 := cpuTime()
	b.StartTimer()
	r.start()
	r.tg.WaitMessages(b, 0, n, 10*time.Minute)
	r.waitOutboxEmpty(time.Minute)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	r.stop()
	times := r.tg.SendTimes(0)
	slices.SortFunc(times, time.Time.Compare)
	achieved := float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	ceiling := min(rateLimit, float64(groups)) // each group takes one a second
	lost, dups := 0, 0
	for _, id := range ids {
		got := len(r.tg.Messages(id))
		lost += max(alerts-got, 0)
		dups += max(got-alerts, 0)
	}
	b.ReportMetric(achieved, "msgs/s")
	b.ReportMetric(achieved/ceiling, "of-ceiling")
	b.ReportMetric(float64(r.tg.FloodRefusals()), "429s")
	b.ReportMetric(float64(r.tg.MaxSendsWithin(0, time.Second)), "max-in-1s")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(dups), "dups")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(times)), "cpu-ms/msg")
	b.ReportMetric(float64(r.s.recorded.Load())/float64(r.s.batches.Load()), "msgs/sync")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stubTelegram accepts everything at once, without HTTP: what the sender
// and the store cost on their own.
type stubTelegram struct{ n atomic.Int64 }

func (s *stubTelegram) Call(context.Context, tgbotapi.Chattable) (json.RawMessage, error) {
	return json.RawMessage(fmt.Sprintf(`{"message_id":%d}`, s.n.Add(1))), nil
}

// BenchmarkFanOutNoHTTP is BenchmarkFanOut with Telegram replaced by a
// stub: the sender's and the store's own cost per message.
func BenchmarkFanOutNoHTTP(b *testing.B) {
	const n = 1000
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		stub := &stubTelegram{}
		r.s.API = stub
		r.approve(groups(n)...)
		r.start()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		start := time.Now()
		r.publish("Lỗ hổng nghiêm trọng")
		r.waitOutboxEmpty(time.Minute)
		d := time.Since(start)
		b.StopTimer()
		runtime.ReadMemStats(&after)
		if stub.n.Load() != n {
			b.Fatalf("%d sends", stub.n.Load())
		}
		b.ReportMetric(float64(n)/d.Seconds(), "msgs/s")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/msg")
		b.ReportMetric(float64(r.s.recorded.Load())/float64(r.s.batches.Load()), "msgs/sync")
		r.stop()
	}
}
