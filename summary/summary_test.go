package summary

import (
	"bytes"
	"fmt"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/sfnt"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// vietnamese is every letter of the Vietnamese alphabet with a diacritic,
// both cases.
const vietnamese = "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"

// TestFontCoversVietnamese: the chart's font has a glyph for every
// Vietnamese letter, so no title shows boxes.
func TestFontCoversVietnamese(t *testing.T) {
	for name, ttf := range map[string][]byte{"regular": liberationsansregular.TTF, "bold": liberationsansbold.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatal(err)
		}
		var b sfnt.Buffer
		for _, r := range vietnamese {
			if i, err := f.GlyphIndex(&b, r); err != nil || i == 0 {
				t.Errorf("Liberation Sans %s has no %q", name, r)
			}
		}
	}
	if got := vi("Tỷ le\u0323\u0302"); got != "Tỷ lệ" {
		t.Errorf("not composed: %q", got)
	}
}

var monday = time.Date(2026, 11, 23, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "canhbao.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seedWeek gives the store agencies agencies and n alerts in the week
// before monday, each delivered to every agency, the first half of the
// agencies acknowledging within an hour.
func seedWeek(t testing.TB, st *store.Store, agencies, n int, name func(int) string) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		for i := range agencies {
			if err := tx.PutChat(store.Chat{ID: int64(-1000 - i), Agency: name(i), Status: store.ChatApproved}); err != nil {
				return err
			}
		}
		return tx.PutSource(store.Source{Name: "cisa", URL: "https://example.org", Kind: store.KindFeed, LastSuccess: monday})
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range n {
		at := monday.AddDate(0, 0, -7).Add(time.Duration(k+1) * time.Hour)
		sev := store.Severities[k%len(store.Severities)]
		res, err := st.Ingest("cisa", []store.Alert{{Key: fmt.Sprint(k), Title: fmt.Sprintf("Cảnh báo %d", k), Severity: sev, Published: at}},
			store.IngestOptions{Now: at, Backfill: 1 << 62})
		if err != nil {
			t.Fatal(err)
		}
		var results []store.Result
		err = st.View(func(tx *store.Tx) error {
			out, err := tx.Outbox()
			for _, o := range out {
				if o.Kind.Delivers() {
					results = append(results, store.Result{ID: o.ID, Status: store.Sent, At: at, MessageID: int(o.ID)})
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Complete(0, results); err != nil {
			t.Fatal(err)
		}
		err = st.Update(func(tx *store.Tx) error {
			for i := range agencies / 2 {
				if _, err := tx.AddAck(store.Ack{AlertID: res.New[0].ID, ChatID: int64(-1000 - i), UserID: int64(i + 1), Name: "A",
					At: at.Add(time.Duration(i+1) * time.Minute)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newSummarizer(st *store.Store, lang bot.Lang) *Summarizer {
	return &Summarizer{Store: st, Render: bot.NewRenderer(lang),
		Deadlines: store.Deadlines{UrgentAfter: 4 * time.Hour, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour}}
}

func TestBuild(t *testing.T) {
	st := openStore(t)
	seedWeek(t, st, 8, 5, func(i int) string { return fmt.Sprintf("Sở số %d <b>&", i) })
	s := newSummarizer(st, bot.Vietnamese)
	pic, caption, err := s.Build(store.ExportQuery{From: monday.AddDate(0, 0, -7), To: monday})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pic))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 450 {
		t.Errorf("chart is %v", b)
	}
	for _, want := range []string{"Tổng hợp tuần 16/11/2026 – 22/11/2026", "Cảnh báo đã gửi: 5 (Nghiêm trọng 1 · Cao 1 · Trung bình 1 · Thấp 1 · Chưa xác định 1)",
		"Xác nhận trong thời hạn nhắc việc: 50% (20/40 lượt)", "Đơn vị chậm nhất", "5. ", "Sở số 7 &lt;b&gt;&amp;",
		"Còn 5 cảnh báo chưa được tất cả đơn vị xác nhận: #1 (4 đơn vị)"} {
		if !strings.Contains(caption, want) {
			t.Errorf("caption lacks %q:\n%s", want, caption)
		}
	}
	if strings.Count(caption, "\n") > 12 {
		t.Errorf("more than a few lines:\n%s", caption)
	}
	if _, err := telegramtest.CheckHTML(caption); err != nil {
		t.Errorf("caption is not valid Telegram HTML: %v", err)
	}
}

func TestCaptionFitsTelegram(t *testing.T) {
	st := openStore(t)
	seedWeek(t, st, 4, 150, func(i int) string { return strings.Repeat("Ủy ban nhân dân huyện ", 10) + fmt.Sprint(i) })
	s := newSummarizer(st, bot.English)
	_, caption, err := s.Build(store.ExportQuery{From: monday.AddDate(0, 0, -7), To: monday})
	if err != nil {
		t.Fatal(err)
	}
	if n := bot.VisibleLen(caption); n > maxCaption {
		t.Fatalf("caption has %d characters", n)
	}
	if _, err := telegramtest.CheckHTML(caption); err != nil {
		t.Fatal(err)
	}
}

func TestScheduleQueuesOncePerWeek(t *testing.T) {
	st := openStore(t)
	now := monday.Add(7*time.Hour + 59*time.Minute)
	s := &Schedule{Store: st, At: "08:00", Loc: monday.Location(), DeptChat: -100, Now: func() time.Time { return now }}
	// The first start marks the week before as done.
	if queued, err := s.Tick(); err != nil || queued {
		t.Fatalf("first start: %v %v", queued, err)
	}
	photos := func() (n int) {
		_ = st.View(func(tx *store.Tx) error {
			out, err := tx.Outbox()
			for _, o := range out {
				if o.Kind == store.OutPhoto && o.ChatID == -100 && o.Export.To.Equal(monday) {
					n++
				}
			}
			return err
		})
		return n
	}
	steps := []struct {
		at   time.Time
		want int
	}{
		{monday.Add(7*time.Hour + 59*time.Minute), 0}, // before the time
		{monday.Add(8 * time.Hour), 1},                // on time
		{monday.Add(9 * time.Hour), 1},                // not twice
		{monday.AddDate(0, 0, 3), 1},                  // later that week
	}
	for _, step := range steps {
		now = step.at
		if _, err := s.Tick(); err != nil {
			t.Fatal(err)
		}
		if got := photos(); got != step.want {
			t.Fatalf("at %s: %d summaries queued, want %d", now, got, step.want)
		}
	}
	if _, next := s.due(monday.Add(9 * time.Hour)); !next.Equal(monday.AddDate(0, 0, 7).Add(8 * time.Hour)) {
		t.Fatalf("next %s", next)
	}
	// A service down on Monday morning sends it when it starts on Tuesday.
	st2 := openStore(t)
	when := monday.AddDate(0, 0, -2)
	late := &Schedule{Store: st2, At: "08:00", Loc: monday.Location(), DeptChat: -100, Now: func() time.Time { return when }}
	if _, err := late.Tick(); err != nil {
		t.Fatal(err)
	}
	when = monday.AddDate(0, 0, 1)
	if queued, err := late.Tick(); err != nil || !queued {
		t.Fatalf("late start: %v %v", queued, err)
	}
}

// BenchmarkWeeklyChart: the chart and caption of a week with 1,000
// agencies and 50 alerts (eight weeks tallied).
func BenchmarkWeeklyChart(b *testing.B) {
	st := openStore(b)
	seedWeek(b, st, 1000, 50, func(i int) string { return fmt.Sprintf("Đơn vị số %d", i) })
	s := newSummarizer(st, bot.Vietnamese)
	q := store.ExportQuery{From: monday.AddDate(0, 0, -7), To: monday}
	var size int
	b.ResetTimer()
	for b.Loop() {
		pic, _, err := s.Build(q)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pic)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/summary")
	b.ReportMetric(float64(size)/1024, "KB/png")
}
