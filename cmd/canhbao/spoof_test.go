package main

import (
	"strings"
	"testing"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestSpoofedNamesReachTheDepartmentClean: a member whose name and agency
// carry right-to-left overrides and zero-width characters (so that they
// display as another agency's) is shown to the department without them.
func TestSpoofedNamesReachTheDepartmentClean(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, withoutItems(readTestdata(t, "cisa-all-advisories-first2.xml")))
	start(t, tg, testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed}))

	member := telegramtest.NewUser(301, "Nguyễn\u200b \u202eVăn An\u2066")
	member.LastName = "\u200dTrần\u061c"
	group := telegramtest.Group(-4301, "Sở\u2067 Y tế\ufeff")
	tg.AddBot(group, member)
	waitText(t, tg, group.ID, "/subscribe")
	tg.SendText(group, member, "/subscribe Sở\u202e Y\u200c tế\u200f\u200e tỉnh\u2060 Đắk Lắk")
	req := waitText(t, tg, deptChat, "Yêu cầu đăng ký", "Sở Y tế tỉnh Đắk Lắk", "Nguyễn Văn An Trần")
	for _, r := range req.Text {
		if strings.ContainsRune("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\u061c\ufeff", r) {
			t.Fatalf("invisible character %U reached the department:\n%q", r, req.Text)
		}
	}
}

// TestBroadcastTitleIsCleaned: a department advisory's title loses the
// same invisible characters before it is stored and shown.
func TestBroadcastTitleIsCleaned(t *testing.T) {
	tg := telegramtest.New(t)
	start(t, tg, testConfig(t, tg))
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	dept := telegramtest.Group(deptChat, "Sở - Trực ATTT")
	tg.SendText(dept, admin, "/broadcast [cao] Cảnh\u202e báo\u200b lừa đảo\u2066\nĐề nghị Quý đơn vị cảnh giác.")
	done := waitText(t, tg, deptChat, "Cảnh báo lừa đảo")
	for _, r := range done.Text {
		if strings.ContainsRune("\u200b\u202e\u2066", r) {
			t.Fatalf("invisible character %U in the advisory's title:\n%q", r, done.Text)
		}
	}
}
