package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// staffUser is the department's on-duty officer in the noise tests and
// benchmarks.
var staffUser = telegramtest.NewUser(77, "Trực ban")

// runStaffBot runs the update loop with staffUser as department staff.
func (r *rig) runStaffBot() *Bot {
	b := &Bot{API: r.s.API, Store: r.st, Render: r.s.Render, Sender: r.s, Log: r.s.Log,
		Config:   Config{AdminChat: deptChat, AdminIDs: []int64{staffUser.ID}, PollTimeout: time.Second},
		Username: r.tg.Bot().UserName}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	r.tb.Cleanup(func() { cancel(); <-done })
	return b
}

// bigPoll is n new items of one source, as a source that re-keyed its
// archive yields them.
func bigPoll(n int) []store.Alert {
	items := make([]store.Alert, n)
	now := time.Now()
	for i := range items {
		items[i] = store.Alert{Key: fmt.Sprintf("https://example.org/rekeyed/%d", i),
			Title:     "Multiples vulnérabilités dans le noyau Linux de Red Hat",
			Summary:   "De multiples vulnérabilités ont été découvertes dans le noyau Linux de Red Hat.",
			Link:      fmt.Sprintf("https://www.cert.ssi.gouv.fr/avis/CERTFR-2026-AVI-%04d/", i),
			Published: now, Severity: store.SeverityHigh, CVEs: []string{fmt.Sprintf("CVE-2026-%d", 10000+i)}}
	}
	return items
}

// BenchmarkReportDuringBigPoll: while one poll of 20,000 new items is
// stored for 30 approved groups, the department's /report must still
// answer. It reports the seconds from the command to the answer reaching
// the department's chat (goal < 2 s) and how long storing took.
func BenchmarkReportDuringBigPoll(b *testing.B) {
	const items, chats = 20000, 30
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		r.approve(groups(chats)...)
		r.publish("Cảnh báo cũ") // #1, the alert /report asks about
		if err := r.st.Update(func(tx *store.Tx) error {
			return tx.PutSource(store.Source{Name: "certfr", LastSuccess: time.Now()})
		}); err != nil {
			b.Fatal(err)
		}
		r.start()
		r.runStaffBot()
		r.tg.WaitMessages(b, 0, chats, time.Minute)
		batch := bigPoll(items)
		b.StartTimer()
		stored := make(chan time.Duration, 1)
		start := time.Now()
		go func() {
			_, err := r.st.Ingest("certfr", batch, bigPollOptions())
			if err != nil {
				b.Error(err)
			}
			stored <- time.Since(start)
		}()
		time.Sleep(300 * time.Millisecond) // storing is under way
		asked := time.Now()
		r.tg.SendText(telegramtest.Supergroup(deptChat, "Sở"), staffUser, "/report 1")
		r.tg.WaitFor(b, 10*time.Minute, func() bool { return r.count(deptChat, "Báo cáo cảnh báo #1") > 0 }, "the report")
		answered := time.Since(asked)
		d := <-stored
		b.StopTimer()
		b.ReportMetric(answered.Seconds(), "report-s")
		b.ReportMetric(d.Seconds(), "store-s")
		r.stop()
		if strings.Contains(r.logs.String(), "level=ERROR") {
			b.Log(r.logs.String())
		}
	}
}

func bigPollOptions() store.IngestOptions {
	return store.IngestOptions{Now: time.Now(), Backfill: 72 * time.Hour, DigestOver: 5, FollowUpWindow: 14 * 24 * time.Hour,
		MaxNew: 200, DeptChat: deptChat}
}

// BenchmarkAlertBehindHelp: 600 /help sent in a group by 600 different
// members (so that no limit on one person applies), then a critical
// alert. It reports how much later the alert reaches the group than
// without the noise (goal < 5 s), at Telegram's real pacing.
func BenchmarkAlertBehindHelp(b *testing.B) {
	const noise = 600
	for range b.N {
		b.StopTimer()
		quiet := alertLatency(b, 0)
		noisy := alertLatency(b, noise)
		b.ReportMetric((noisy - quiet).Seconds(), "added-s")
		b.ReportMetric(noisy.Seconds(), "alert-s")
	}
}

// alertLatency measures how long a critical alert takes to reach a group
// in which `help` members have just sent /help.
func alertLatency(b *testing.B, help int) time.Duration {
	r := newRig(b)
	group := int64(-1001234567890)
	r.approve(group)
	r.start()
	r.runStaffBot()
	chat := telegramtest.Supergroup(group, "Sở Y tế")
	for i := range help {
		r.tg.SendText(chat, telegramtest.NewUser(int64(10000+i), "Thành viên"), "/help")
	}
	r.tg.WaitFor(b, 5*time.Minute, func() bool { return r.tg.PendingUpdates() == 0 }, "the commands handled")
	if help > 0 {
		r.tg.WaitMessages(b, group, 1, time.Minute) // answers are going out
	}
	start := time.Now()
	a, _, err := r.st.Publish(store.Alert{Title: "Lỗ hổng nghiêm trọng đang bị khai thác", Severity: store.SeverityCritical,
		Link: "https://example.gov.vn/canh-bao"}, start, store.AuditEntry{Action: "publish"})
	if err != nil {
		b.Fatal(err)
	}
	r.s.Wake()
	r.tg.WaitFor(b, 40*time.Minute, func() bool { return r.count(group, fmt.Sprintf("#%d ·", a.ID)) == 1 }, "the alert")
	d := time.Since(start)
	r.stop()
	return d
}
