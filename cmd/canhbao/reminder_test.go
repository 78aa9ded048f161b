package main

import (
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestReminderUnderDigestAcknowledgesTheWholeDigest: the button under a
// reminder of a digest stands for every alert in it.
func TestReminderUnderDigestAcknowledgesTheWholeDigest(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, readTestdata(t, "cisa-all-advisories-first2.xml"))
	cfg := testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.DigestOver, cfg.RemindUrgent, cfg.Remind = 1, time.Second, time.Second
	group := telegramtest.Group(-9101, "UBND xã")
	seedChats(t, cfg.DB, store.Chat{ID: group.ID, Agency: "UBND xã"})
	start(t, tg, cfg)

	digest := waitText(t, tg, group.ID, "Tổng hợp 2 cảnh báo mới từ cisa")
	rem := waitText(t, tg, group.ID, "Nhắc việc", "#1", "#2", "/ack 1,2")
	if rem.ReplyToMessageID != digest.MessageID {
		t.Fatalf("reminder replies to %d, want the digest %d", rem.ReplyToMessageID, digest.MessageID)
	}
	want := "ack"
	if got := rem.CallbackData(); len(got) != 1 || got[0] != want {
		t.Fatalf("reminder button %v, want %s", got, want)
	}
	user := telegramtest.NewUser(77, "Vũ Thị Hoa")
	tg.PressButton(group.ID, rem.MessageID, user, want)
	tg.WaitFor(t, 5*time.Second, func() bool {
		a := tg.CallbackAnswers()
		return len(a) == 1 && a[0].Text == "Đã ghi nhận xác nhận."
	}, "the press answered")
	tg.SendText(group, user, "/pending")
	waitText(t, tg, group.ID, "Nhóm đã xác nhận tất cả cảnh báo")
	// The digest shows who acknowledged.
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(group.ID, digest.MessageID)
		return strings.Contains(m.Plain, "Đã nhận: Vũ Thị Hoa")
	}, "digest edited")
}
