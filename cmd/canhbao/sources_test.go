package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestFiltersDigestsAndFollowUps checks what keeps agencies reading:
// per-agency filters, one digest for a burst, and a short follow-up for a
// vulnerability they already heard of.
func TestFiltersDigestsAndFollowUps(t *testing.T) {
	tg := telegramtest.New(t)
	cisaDoc := readTestdata(t, "cisa-all-advisories-first2.xml")
	cisa := newFeedServer(t, withoutItems(cisaDoc))
	certfrDoc := readTestdata(t, "certfr-avis-rss2.xml")
	certfr := newFeedServer(t, withoutItems(certfrDoc))
	cfg := testConfig(t, tg,
		store.Source{Name: "cisa", URL: cisa.URL, Kind: store.KindFeed, Severity: store.SeverityHigh},
		store.Source{Name: "certfr", URL: certfr.URL, Kind: store.KindFeed, Severity: store.SeverityMedium})
	all := telegramtest.Group(-6001, "Sở Nội vụ")
	picky := telegramtest.Group(-6002, "Báo tỉnh")
	seedChats(t, cfg.DB, store.Chat{ID: all.ID, Agency: "Sở Nội vụ"}, store.Chat{ID: picky.ID, Agency: "Báo tỉnh"})
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	member := telegramtest.NewUser(401, "Đỗ Thành Viên")
	owner := telegramtest.NewUser(402, "Hoàng Chủ Nhóm")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")

	// Anyone sees the filter; only a chat administrator changes it.
	tg.SendText(picky, member, "/filter")
	waitText(t, tg, picky.ID, "Bộ lọc của Báo tỉnh", "Nhóm nhận tất cả cảnh báo",
		"cảnh báo mức Nghiêm trọng đang bị khai thác trong thực tế được gửi bất kể từ khóa")
	tg.SendText(picky, member, "/filter mức nghiêm trọng")
	waitText(t, tg, picky.ID, "Chỉ quản trị viên của nhóm")
	tg.SetMember(picky.ID, owner.ID, "creator")
	tg.SendText(picky, owner, "/filter mức nghiêm trọng")
	waitText(t, tg, picky.ID, "Nhóm nhận cảnh báo thỏa mãn đồng thời: mức từ Nghiêm trọng trở lên.")
	tg.SendText(picky, owner, "/filter frobnicate x")
	waitText(t, tg, picky.ID, "Đặt bộ lọc: /filter mức cao")
	// A department admin sets any chat's filter by id.
	tg.SendText(dept, admin, "/filter -6002 nguồn cisa")
	waitText(t, tg, deptChat, "Bộ lọc của Báo tỉnh", "mức từ Nghiêm trọng trở lên và từ nguồn cisa.")

	// CISA publishes two items: only the critical one reaches the picky chat.
	cisa.set(cisaDoc)
	waitText(t, tg, all.ID, "#1", "ASE2000")
	waitText(t, tg, all.ID, "#2", "CISA Adds Two Known Exploited")
	waitText(t, tg, picky.ID, "#1", "NGHIÊM TRỌNG", "ASE2000")

	// CERT-FR publishes 40 items in one poll: one digest, not 40 cards.
	certfr.set(certfrDoc)
	dg := waitText(t, tg, all.ID, "Tổng hợp 40 cảnh báo mới từ certfr")
	if got := dg.CallbackData(); len(got) != 1 || got[0] != "ack" {
		t.Fatalf("digest button: %v", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if cards := countText(tg, all.ID, "Nguồn: certfr"); cards != 0 {
		t.Errorf("%d certfr cards besides the digest", cards)
	}
	for _, m := range tg.Messages(picky.ID) {
		if strings.Contains(m.Plain, "certfr") {
			t.Errorf("filtered source reached the picky chat: %s", m.Plain)
		}
	}
	// Acknowledging the digest acknowledges every alert in it.
	tg.PressButton(all.ID, dg.MessageID, member, "ack")
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(all.ID, dg.MessageID)
		return strings.Contains(m.Plain, "Đã nhận: Đỗ Thành Viên")
	}, "digest edited")
	tg.SendText(all, member, "/pending")
	p := waitText(t, tg, all.ID, "Cảnh báo chưa xác nhận (2)")
	if strings.Contains(p.Plain, "#3 ") {
		t.Errorf("digest alerts still pending:\n%s", p.Plain)
	}
	tg.SendText(dept, admin, "/report 3")
	waitText(t, tg, deptChat, "Báo cáo cảnh báo #3", "1/1 đã xác nhận")

	// The same CVE from another source within 14 days: a short follow-up.
	cisa.set(withItem(cisaDoc, `<item><title>PaperCut NG/MF: lỗ hổng đang bị khai thác</title>
<link>https://khonggianmang.vn/bai-viet/papercut</link>
<description>Lỗ hổng CVE-2026-81578 trong PaperCut NG/MF đang bị khai thác trong thực tế.</description>
<pubDate>Tue, 01 Sep 26 09:00:00 +0700</pubDate><guid isPermaLink="false">papercut-vn</guid></item>`))
	fu := waitText(t, tg, all.ID, "Cùng lỗ hổng với cảnh báo #2")
	if !strings.Contains(fu.Plain, "PaperCut") || strings.Contains(fu.Plain, "Nguồn:") {
		t.Errorf("follow-up:\n%s", fu.Plain)
	}
	if got := fu.CallbackData(); len(got) != 1 {
		t.Errorf("follow-up button: %v", got)
	}
}

// TestSourceManagementAndHealth covers /sources, /source add|pause|remove
// and the department being told when a source fails and recovers.
func TestSourceManagementAndHealth(t *testing.T) {
	tg := telegramtest.New(t)
	var broken atomic.Bool
	broken.Store(true)
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "upstream down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(withoutItems(readTestdata(t, "cisa-all-advisories-first2.xml")))
	}))
	defer flaky.Close()
	cfg := testConfig(t, tg, store.Source{Name: "vncert", URL: flaky.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.SourceAlertAfter = time.Second
	agency := telegramtest.Group(-7001, "Sở Tài chính")
	seedChats(t, cfg.DB, store.Chat{ID: agency.ID, Agency: "Sở Tài chính"})
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")

	down := waitText(t, tg, deptChat, "Nguồn vncert gặp lỗi", "502")
	_ = down
	broken.Store(false)
	waitText(t, tg, deptChat, "Nguồn vncert đã hoạt động trở lại")

	tg.SendText(dept, admin, "/sources")
	waitText(t, tg, deptChat, "Nguồn cảnh báo (1)", "vncert")

	// Add a source: it is polled at once and its items flow.
	extra := newFeedServer(t, readTestdata(t, "cisa-all-advisories-first2.xml"))
	tg.SendText(dept, admin, "/source add cisa2 "+extra.URL)
	waitText(t, tg, deptChat, "Đã thêm nguồn cisa2", "Kết quả lần lấy dữ liệu đầu tiên sẽ được thông báo")
	waitText(t, tg, agency.ID, "Nguồn: cisa2")
	// The first fetch's result is reported, as it is: success with the
	// item count, or the error.
	waitText(t, tg, deptChat, "Nguồn cisa2: lần lấy dữ liệu đầu tiên thành công, đọc được 2 mục")
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	tg.SendText(dept, admin, "/source add mat "+gone.URL+"/rss.xml")
	waitText(t, tg, deptChat, "Nguồn mat: lần lấy dữ liệu đầu tiên không thành công", "404")
	tg.SendText(dept, admin, "/source remove mat")
	tg.SendText(dept, admin, "/source add bad ftp://example")
	waitText(t, tg, deptChat, "Nguồn không hợp lệ")
	tg.SendText(dept, admin, "/source pause nope")
	waitText(t, tg, deptChat, "Không có nguồn nope")
	tg.SendText(dept, admin, "/source pause cisa2")
	waitText(t, tg, deptChat, "Đã tạm dừng nguồn cisa2")
	tg.SendText(dept, admin, "/sources")
	waitText(t, tg, deptChat, "Nguồn cảnh báo (2)", "⏸ cisa2")
	if n := strings.Count(allText(tg, deptChat), "lần lấy dữ liệu đầu tiên thành công"); n != 1 {
		t.Errorf("the first fetch was reported %d times", n)
	}
	tg.SendText(dept, admin, "/source remove cisa2")
	waitText(t, tg, deptChat, "Đã xóa nguồn cisa2")
	tg.SendText(agency, telegramtest.NewUser(9, "Khách"), "/sources")
	waitText(t, tg, agency.ID, "chỉ dành cho cán bộ Sở")
	tg.SendText(dept, admin, "/audit")
	waitText(t, tg, deptChat, "thêm nguồn", "tạm dừng nguồn", "xóa nguồn")
}

// TestKEVLaterRaisesADeliveredAlert: the catalogue lists, after delivery,
// a CVE an alert is about; the group gets one reply under the card, the
// card is edited, and the next catalogue poll adds nothing.
func TestKEVLaterRaisesADeliveredAlert(t *testing.T) {
	tg := telegramtest.New(t)
	vendor := newFeedServer(t, []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>v</title><link>https://v.example/</link>
<item><title>Lỗ hổng trong Microsoft SharePoint Server</title><link>https://v.example/1</link><guid>sp-1</guid>
<description>Microsoft phát hành bản vá cho lỗ hổng CVE-2025-53770 trong SharePoint.</description>
<pubDate>Sat, 19 Jul 2025 09:00:00 +0700</pubDate></item></channel></rss>`))
	kev := newFeedServer(t, []byte(`{"title":"CISA KEV","catalogVersion":"1","vulnerabilities":[]}`))
	cfg := testConfig(t, tg,
		store.Source{Name: "vendor", Title: "Hãng", URL: vendor.URL, Kind: store.KindFeed, Severity: store.SeverityMedium},
		store.Source{Name: "cisa-kev", Title: "CISA KEV", URL: kev.URL, Kind: store.KindKEV, Severity: store.SeverityHigh})
	cfg.DigestOver = 0
	group := telegramtest.Group(-6101, "Sở Y tế")
	seedChats(t, cfg.DB, store.Chat{ID: group.ID, Agency: "Sở Y tế", Filter: store.Filter{Sources: []string{"vendor"}}})
	start(t, tg, cfg)

	card := waitText(t, tg, group.ID, "#1 · TRUNG BÌNH (mức mặc định của nguồn)", "SharePoint")
	kev.set(readTestdata(t, "cisa-kev-first25.json"))
	up := waitText(t, tg, group.ID, "Cập nhật: CVE-2025-53770 nay đã bị khai thác trong thực tế (CISA KEV, 20/07/2025)")
	if up.ReplyToMessageID != card.MessageID {
		t.Errorf("update is not a reply to the card (%d, card %d)", up.ReplyToMessageID, card.MessageID)
	}
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(group.ID, card.MessageID)
		return strings.Contains(m.Plain, "#1 · CAO") && strings.Contains(m.Plain, "CVE-2025-53770 có trong danh mục KEV")
	}, "card edited to the new severity")
	time.Sleep(2500 * time.Millisecond) // two more polls of the catalogue
	if n := countText(tg, group.ID, "Cập nhật"); n != 1 {
		t.Errorf("%d update replies, want 1", n)
	}
}

// TestRestartReadsNothingAgain: a restart answers an unchanged feed from
// what the store kept of it, not by parsing it again.
func TestRestartReadsNothingAgain(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, readTestdata(t, "cisa-all-advisories-first2.xml"))
	cfg := testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityMedium})
	group := telegramtest.Group(-6201, "Sở Xây dựng")
	seedChats(t, cfg.DB, store.Chat{ID: group.ID, Agency: "Sở Xây dựng"})
	s := start(t, tg, cfg)
	waitText(t, tg, group.ID, "ASE2000")
	tg.WaitFor(t, 5*time.Second, func() bool { return strings.Contains(s.logs.String(), "feeds: not modified") }, "an unchanged poll")
	s.stop()

	s = start(t, tg, cfg)
	tg.WaitFor(t, 5*time.Second, func() bool { return strings.Contains(s.logs.String(), "feeds: not modified") }, "the first poll after the restart")
	if strings.Contains(s.logs.String(), "feeds: polled") {
		t.Errorf("the unchanged feed was parsed again after the restart:\n%s", s.logs.String())
	}
}

// allText is every message sent to chat, joined.
func allText(tg *telegramtest.Server, chat int64) string {
	var b strings.Builder
	for _, m := range tg.Messages(chat) {
		b.WriteString(m.Plain + "\n")
	}
	return b.String()
}
