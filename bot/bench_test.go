package bot

import (
	"runtime"
	"testing"
	"time"
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
		r.stop()
	}
}
