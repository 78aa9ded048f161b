package bot

import (
	"fmt"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

// BenchmarkReminderRound counts what the department's chat and the groups
// receive when 200 groups each leave 10 alerts unacknowledged: a reminder
// round and an escalation round, sent through the fake Bot API. The goal
// is one reminder per group per round and one escalation message per
// round.
func BenchmarkReminderRound(b *testing.B) {
	const nGroups, nAlerts = 200, 10
	dl := store.Deadlines{UrgentAfter: 4 * time.Hour, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour}
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		ids := groups(nGroups)
		r.approve(ids...)
		t0 := time.Now().Add(-100 * time.Hour)
		for a := range nAlerts {
			if _, _, err := r.st.Publish(store.Alert{Title: fmt.Sprintf("Lỗ hổng %d", a), Severity: store.SeverityHigh},
				t0, store.AuditEntry{Action: "publish"}); err != nil {
				b.Fatal(err)
			}
		}
		// Every card delivered at t0, none acknowledged.
		var results []store.Result
		for i, o := range r.outbox() {
			results = append(results, store.Result{ID: o.ID, Status: store.Sent, At: t0, MessageID: 100 + i})
		}
		if err := r.st.Complete(deptChat, results); err != nil {
			b.Fatal(err)
		}
		r.start()
		b.StartTimer()
		start := time.Now()
		reminders, err := r.st.QueueReminders(t0.Add(5*time.Hour), dl, deptChat)
		if err != nil {
			b.Fatal(err)
		}
		r.s.Wake()
		r.waitOutboxEmpty(time.Minute)
		remindTook := time.Since(start)
		sentToGroups := 0
		for _, id := range ids {
			sentToGroups += len(r.tg.Messages(id))
		}
		escalations, err := r.st.QueueReminders(t0.Add(73*time.Hour), dl, deptChat)
		if err != nil {
			b.Fatal(err)
		}
		r.s.Wake()
		r.waitOutboxEmpty(time.Minute)
		b.StopTimer()
		toDept := len(r.tg.Messages(deptChat))
		if sentToGroups != nGroups || toDept != 1 {
			b.Errorf("%d reminder messages to %d groups, %d escalation messages", sentToGroups, nGroups, toDept)
		}
		b.ReportMetric(float64(reminders), "reminders-queued/round")
		b.ReportMetric(float64(sentToGroups)/nGroups, "reminder-msgs/group/round")
		b.ReportMetric(float64(escalations), "escalations-queued/round")
		b.ReportMetric(float64(toDept), "escalation-msgs/round")
		b.ReportMetric(remindTook.Seconds()*1000, "ms/reminder-round")
		r.stop()
	}
}
