package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// rssItems is an RSS 2.0 document with items first..last, newest first.
// Item n is titled "Cảnh báo Knnn thử nghiệm", so a test can find its card
// by the unique Knnn.
func rssItems(first, last int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Kênh thử nghiệm</title><link>https://example.gov.vn/</link><description>Thử nghiệm</description>
`)
	now := time.Now()
	for n := last; n >= first; n-- {
		fmt.Fprintf(&b, `<item><title>Cảnh báo K%03d thử nghiệm</title><link>https://example.gov.vn/canh-bao/%d</link>
<guid isPermaLink="false">canh-bao-%d</guid><pubDate>%s</pubDate><description>Mô tả cảnh báo số %d.</description></item>
`, n, n, n, now.Add(time.Duration(n-last)*time.Minute).Format(time.RFC1123Z), n)
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// key is how rssItems' item n shows in a card.
func key(n int) string { return fmt.Sprintf("K%03d", n) }

// countText counts the messages in chat whose text contains part.
func countText(tg *telegramtest.Server, chat int64, part string) int {
	n := 0
	for _, m := range tg.Messages(chat) {
		if strings.Contains(m.Plain, part) {
			n++
		}
	}
	return n
}

// requestsTo counts the requests for method that named chat.
func requestsTo(tg *telegramtest.Server, method string, chat int64) int {
	n := 0
	for _, q := range tg.Requests(method) {
		if q.Params.Get("chat_id") == itoa(chat) {
			n++
		}
	}
	return n
}

// TestGoneGroupRestoredBySubscribe: a group that removed the bot (or
// kicked it without a word) becomes gone, the department hears of it
// once, its deliveries fail with Telegram's reason, and re-adding the bot
// and /subscribe bring it back with its history.
func TestGoneGroupRestoredBySubscribe(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 0))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	kicked := telegramtest.Group(-7001, "Sở Y tế - ATTT")
	removed := telegramtest.Group(-7002, "Sở Giáo dục - ATTT")
	fine := telegramtest.Group(-7003, "Sở Tư pháp - ATTT")
	seedChats(t, cfg.DB, store.Chat{ID: kicked.ID, Agency: "Sở Y tế"}, store.Chat{ID: removed.ID, Agency: "Sở Giáo dục"},
		store.Chat{ID: fine.ID, Agency: "Sở Tư pháp"})
	start(t, tg, cfg)
	owner := telegramtest.NewUser(501, "Lê Chủ Nhóm")
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")

	tg.Kick(kicked.ID)           // silently: only a send tells
	tg.RemoveBot(removed, owner) // with a my_chat_member update
	waitText(t, tg, deptChat, "Không gửi được tới Sở Giáo dục", "Lê Chủ Nhóm")

	feed.set(rssItems(1, 1))
	waitText(t, tg, fine.ID, key(1))
	gone := waitText(t, tg, deptChat, "Không gửi được tới Sở Y tế", "bot đã bị xóa khỏi nhóm")
	if !strings.Contains(gone.Plain, "/subscribe") {
		t.Errorf("the notice does not say how to restore:\n%s", gone.Plain)
	}
	tg.SendText(dept, admin, "/report 1")
	rep := waitText(t, tg, deptChat, "Báo cáo cảnh báo #1")
	for _, want := range []string{"Sở Y tế — chưa nhận (gửi thất bại: bot đã bị xóa khỏi nhóm)",
		"Sở Tư pháp — chưa nhận (đã gửi", "thất bại 1"} {
		if !strings.Contains(rep.Plain, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.Plain)
		}
	}
	if strings.Contains(rep.Plain, "Sở Giáo dục") {
		t.Errorf("a group gone before the alert is in its report:\n%s", rep.Plain)
	}
	tg.SendText(dept, admin, "/queue")
	q := waitText(t, tg, deptChat, "Hàng đợi gửi tin")
	if !strings.Contains(q.Plain, "#1 → Sở Y tế (-7001): bot đã bị xóa khỏi nhóm") {
		t.Errorf("queue:\n%s", q.Plain)
	}

	// Re-added, the group is greeted; /subscribe restores it.
	tg.AddBot(kicked, owner)
	waitText(t, tg, kicked.ID, "/subscribe")
	tg.SendText(kicked, owner, "/subscribe")
	waitText(t, tg, kicked.ID, "Đã khôi phục đăng ký của Sở Y tế")
	waitText(t, tg, deptChat, "Sở Y tế", "đã đăng ký lại")
	feed.set(rssItems(1, 2))
	waitText(t, tg, kicked.ID, key(2))
	waitText(t, tg, fine.ID, key(2))

	time.Sleep(500 * time.Millisecond)
	for _, who := range []string{"Sở Y tế", "Sở Giáo dục"} {
		if n := countText(tg, deptChat, "Không gửi được tới "+who); n != 1 {
			t.Errorf("the department was told %d times that %s is gone", n, who)
		}
	}
	if n := countText(tg, removed.ID, key(2)); n != 0 {
		t.Errorf("a removed group got alert 2")
	}
	if n := requestsTo(tg, "sendMessage", removed.ID); n != 0 {
		t.Errorf("%d sends to a group that removed the bot", n)
	}
}

// TestMigrationByServiceMessage: the migrate_to/migrate_from service
// messages move the subscription before any send fails.
func TestMigrationByServiceMessage(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 1))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	old := telegramtest.Group(-7101, "UBND huyện Mê Linh")
	const super = int64(-1007101000001)
	seedChats(t, cfg.DB, store.Chat{ID: old.ID, Agency: "UBND huyện Mê Linh"})
	start(t, tg, cfg)
	waitText(t, tg, old.ID, key(1))

	tg.Migrate(old.ID, super)
	waitText(t, tg, deptChat, "UBND huyện Mê Linh", "siêu nhóm")
	feed.set(rssItems(1, 2))
	waitText(t, tg, super, key(2))
	if n := requestsTo(tg, "sendMessage", old.ID); n != 1 {
		t.Errorf("%d sends to the old id, want only the first card", n)
	}
	// Acknowledging the old card in the new chat finds its history.
	staff := telegramtest.NewUser(502, "Trần Thị Bình")
	tg.SendText(telegramtest.Supergroup(super, "UBND huyện Mê Linh"), staff, "/ack 1")
	waitText(t, tg, super, "Trần Thị Bình đã xác nhận cảnh báo #1")
	time.Sleep(300 * time.Millisecond)
	if n := countText(tg, deptChat, "siêu nhóm"); n != 1 {
		t.Errorf("the department was told of the migration %d times", n)
	}
}

// TestQueueShowsRetryingThenFailed: a group whose sends keep failing is
// shown retrying with the reason, then failed after CANHBAO_GIVE_UP, and
// the department is told.
func TestQueueShowsRetryingThenFailed(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 0))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.GiveUp = 4 * time.Second
	failing := int64(-7201)
	seedChats(t, cfg.DB, store.Chat{ID: failing, Agency: "Sở Công Thương"}, store.Chat{ID: -7202, Agency: "Sở Xây dựng"})
	tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		if p.Get("chat_id") == itoa(failing) {
			return &telegramtest.Fault{HTTPStatus: 502, RawBody: "<html><head><title>502 Bad Gateway</title></head></html>"}
		}
		return nil
	})
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")
	feed.set(rssItems(1, 1))
	waitText(t, tg, -7202, key(1))
	tg.WaitFor(t, 5*time.Second, func() bool { return requestsTo(tg, "sendMessage", failing) >= 1 }, "an attempt")
	time.Sleep(500 * time.Millisecond) // its outcome is recorded
	tg.SendText(dept, admin, "/queue")
	q := waitText(t, tg, deptChat, "Hàng đợi gửi tin")
	if !strings.Contains(q.Plain, "Đang thử lại: 1") || !strings.Contains(q.Plain, "cảnh báo #1 → -7201") ||
		!strings.Contains(q.Plain, "Telegram trả lời không đúng định dạng") {
		t.Errorf("queue while retrying:\n%s", q.Plain)
	}
	notice := waitText(t, tg, deptChat, "Gửi thất bại", "Sở Công Thương")
	if !strings.Contains(notice.Plain, "đã dừng thử lại sau 4 giây: Telegram trả lời không đúng định dạng") {
		t.Errorf("notice:\n%s", notice.Plain)
	}
	tg.SendText(dept, admin, "/queue")
	tg.WaitFor(t, 5*time.Second, func() bool { return countText(tg, deptChat, "Hàng đợi gửi tin") == 2 }, "the second /queue")
	q = waitText(t, tg, deptChat, "Gửi thất bại trong 7 ngày (1)")
	if !strings.Contains(q.Plain, "#1 → Sở Công Thương (-7201): đã dừng thử lại sau 4 giây") || !strings.Contains(q.Plain, "Đang thử lại: 0") {
		t.Errorf("queue after giving up:\n%s", q.Plain)
	}
	tg.SendText(dept, admin, "/report 1")
	rep := waitText(t, tg, deptChat, "Báo cáo cảnh báo #1")
	if !strings.Contains(rep.Plain, "Sở Công Thương — chưa nhận (gửi thất bại: đã dừng thử lại sau 4 giây") {
		t.Errorf("report:\n%s", rep.Plain)
	}
}

// TestUpdateOffsetSurvivesRestart: a command handled before a clean stop
// is not answered again after the restart, although Telegram still offers
// it (the confirming getUpdates never went out).
func TestUpdateOffsetSurvivesRestart(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	user := telegramtest.NewUser(601, "Nguyễn Văn An")
	dm := telegramtest.PrivateChat(user)
	// Hold every getUpdates that would confirm something, so that the
	// update stays unconfirmed at the fake as after a crash.
	tg.OnRequest(func(method string, p url.Values) *telegramtest.Fault {
		if method == "getUpdates" && p.Get("offset") != "" && p.Get("offset") != "0" && p.Get("offset") != "1" {
			return &telegramtest.Fault{Delay: time.Minute}
		}
		return nil
	})
	s := start(t, tg, cfg)
	tg.WaitRequests(t, "getUpdates", 1, 5*time.Second)
	tg.SendText(dm, user, "/help")
	waitText(t, tg, user.ID, "Lệnh cho đơn vị")
	s.stop()
	if tg.PendingUpdates() != 1 {
		t.Fatalf("the fake holds %d unconfirmed updates, want the /help", tg.PendingUpdates())
	}
	tg.ClearFaults()
	polls := len(tg.Requests("getUpdates"))
	start(t, tg, cfg)
	tg.WaitRequests(t, "getUpdates", polls+2, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := countText(tg, user.ID, "Lệnh cho đơn vị"); n != 1 {
		t.Errorf("/help answered %d times", n)
	}
	if tg.PendingUpdates() != 0 {
		t.Errorf("the restarted bot did not confirm the handled update")
	}
	// The bot still answers new commands.
	tg.SendText(dm, user, "/help")
	tg.WaitFor(t, 5*time.Second, func() bool { return countText(tg, user.ID, "Lệnh cho đơn vị") == 2 }, "the second /help")
}

// TestTokenNeverLogged runs the service while Telegram is unreachable, then
// reachable, then unreachable in the middle of sending, and looks for the
// token in everything it logged.
func TestTokenNeverLogged(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 0))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	seedChats(t, cfg.DB, store.Chat{ID: -7301, Agency: "Sở Nội vụ"})
	tg.Down()
	s := start(t, tg, cfg)
	tg.WaitFor(t, 5*time.Second, func() bool { return strings.Contains(s.logs.String(), "Telegram unreachable") }, "a failed connect")
	tg.Up()
	tg.WaitRequests(t, "getUpdates", 1, 10*time.Second)
	tg.Down()
	feed.set(rssItems(1, 1))
	tg.WaitFor(t, 10*time.Second, func() bool {
		l := s.logs.String()
		return strings.Contains(l, "getUpdates failed") && strings.Contains(l, "msg=send") && strings.Contains(l, "connection refused")
	}, "failed polls and sends in the log")
	tg.Up()
	waitText(t, tg, -7301, key(1))
	s.stop()
	logs := s.logs.String()
	_, secret, _ := strings.Cut(tg.Token(), ":")
	if strings.Contains(logs, secret) {
		t.Errorf("the token is in the log:\n%s", logs)
	}
	if !strings.Contains(logs, "/bot<token>/") {
		t.Errorf("expected redacted request URLs in the log:\n%s", logs)
	}
}
