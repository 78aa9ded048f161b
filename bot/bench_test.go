package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
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

// BenchmarkFanOutRateLimited is the same fan-out under the default
// CANHBAO_SEND_RATE of 25 messages a second: how close the sender comes
// to the rate it is allowed, on Telegram's clock (the fake's accept
// times), and the most messages Telegram saw in any one second. By design
// it keeps one request interval of margin a second (see globalLimit), so
// the fraction is 0.96. One run takes 42 seconds.
func BenchmarkFanOutRateLimited(b *testing.B) {
	const n, rateLimit = 1000, 25.0
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		r.s.Rate = rateLimit
		r.approve(groups(n)...)
		r.start()
		b.StartTimer()
		r.publish("Lỗ hổng nghiêm trọng")
		r.tg.WaitMessages(b, 0, n, 2*time.Minute)
		b.StopTimer()
		times := r.tg.SendTimes(0)
		slices.SortFunc(times, time.Time.Compare)
		achieved := float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
		b.ReportMetric(achieved, "msgs/s")
		b.ReportMetric(achieved/rateLimit, "of-rate")
		b.ReportMetric(float64(r.tg.MaxSendsWithin(0, time.Second)), "max-in-1s")
		r.stop()
	}
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
