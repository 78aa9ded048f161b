package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// freeAddr is a local address nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// withDashboard turns the dashboard on at a free local address.
func withDashboard(t testing.TB, cfg Config) Config {
	cfg.HTTPAddr = freeAddr(t)
	cfg.PublicURL = "http://" + cfg.HTTPAddr
	return cfg
}

var signInLink = regexp.MustCompile(`http://\S+/signin/[A-Za-z0-9_-]{22}`)

// askLink sends /dashboard privately as admin and returns the link the
// bot answered with.
func askLink(t *testing.T, tg *telegramtest.Server, admin tgbotapi.User) string {
	t.Helper()
	before := len(tg.Messages(admin.ID))
	tg.SendText(telegramtest.PrivateChat(admin), admin, "/dashboard")
	msgs := tg.WaitMessages(t, admin.ID, before+1, 10*time.Second)
	link := signInLink.FindString(msgs[len(msgs)-1].Plain)
	if link == "" {
		t.Fatalf("no sign-in link in %q", msgs[len(msgs)-1].Plain)
	}
	return link
}

// waitWeb waits until the dashboard answers.
func waitWeb(t *testing.T, tg *telegramtest.Server, cfg Config) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	tg.WaitFor(t, 10*time.Second, func() bool {
		resp, err := c.Get(cfg.PublicURL + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, "the dashboard to answer")
}

// browser is an HTTP client with cookies, as a browser would keep them.
func browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Post(u, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDashboardSignInThroughTelegram: staff get a one-time link only in a
// private chat; others and groups are refused; the link signs in once;
// /dashboard logout ends the session; all of it is in /audit.
func TestDashboardSignInThroughTelegram(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, withoutItems(readTestdata(t, "cisa-all-advisories-first2.xml")))
	cfg := withDashboard(t, testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed}))
	start(t, tg, cfg)
	waitWeb(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	stranger := telegramtest.NewUser(777, "Lê Văn Lạ")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")
	c := browser(t)

	// Not signed in: the page says how.
	if code, body := get(t, c, cfg.PublicURL+"/"); code != http.StatusUnauthorized || !strings.Contains(body, "/dashboard") {
		t.Fatalf("no session: %d", code)
	}
	tg.SendText(dept, admin, "/dashboard")
	waitText(t, tg, deptChat, "chỉ được gửi trong tin nhắn riêng")
	tg.SendText(telegramtest.PrivateChat(stranger), stranger, "/dashboard")
	waitText(t, tg, stranger.ID, "chỉ dành cho cán bộ Sở")
	if strings.Contains(lastText(tg, deptChat), "/signin/") || strings.Contains(lastText(tg, stranger.ID), "/signin/") {
		t.Fatal("a link was posted where it must not be")
	}

	link := askLink(t, tg, admin)
	if !strings.HasPrefix(link, cfg.PublicURL+"/signin/") {
		t.Fatalf("link %q does not use CANHBAO_PUBLIC_URL", link)
	}
	if code, body := get(t, c, link); code != http.StatusOK || !strings.Contains(body, "Đăng nhập") {
		t.Fatalf("link page: %d", code)
	}
	if code, body := post(t, c, link); code != http.StatusOK || !strings.Contains(body, "Tổng quan") {
		t.Fatalf("sign in: %d %.300s", code, body)
	}
	if code, body := post(t, browser(t), link); code != http.StatusGone || !strings.Contains(body, "đã được sử dụng") {
		t.Fatalf("reused link: %d", code)
	}
	if code, _ := get(t, c, cfg.PublicURL+"/matrix"); code != http.StatusOK {
		t.Fatalf("matrix: %d", code)
	}

	tg.SendText(telegramtest.PrivateChat(admin), admin, "/dashboard logout")
	waitText(t, tg, admin.ID, "Đã kết thúc 1 phiên")
	if code, _ := get(t, c, cfg.PublicURL+"/matrix"); code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", code)
	}

	tg.SendText(dept, admin, "/audit")
	waitText(t, tg, deptChat, "nhận đường dẫn đăng nhập", "đăng nhập trang theo dõi", "từ chối gửi đường dẫn đăng nhập",
		"từ chối đăng nhập", "đăng xuất trang theo dõi")

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		tg.WaitFor(t, 10*time.Second, func() bool { code, _ := get(t, browser(t), cfg.PublicURL+path); return code == want }, path)
	}
	if _, body := get(t, browser(t), cfg.PublicURL+"/metrics"); !strings.Contains(body, "canhbao_outbox_messages") {
		t.Fatal("metrics")
	}
}

// TestSignInLinksAreRateLimited: a fourth link within ten minutes is
// refused.
func TestSignInLinksAreRateLimited(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := withDashboard(t, testConfig(t, tg))
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	for range 3 {
		askLink(t, tg, admin)
	}
	tg.SendText(telegramtest.PrivateChat(admin), admin, "/dashboard")
	waitText(t, tg, admin.ID, "Đã gửi nhiều đường dẫn đăng nhập")
}

func TestDashboardSettings(t *testing.T) {
	c, err := LoadConfig(env(nil))
	if err != nil || c.HTTPAddr != "127.0.0.1:8080" || c.PublicURL != "http://127.0.0.1:8080" || c.SummaryAt != "08:00" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	off := map[string]string{"CANHBAO_HTTP_ADDR": "", "CANHBAO_SUMMARY_AT": " "}
	c, err = LoadConfigFrom(func(k string) (string, bool) { v, ok := off[k]; return v, ok })
	if err != nil || c.HTTPAddr != "" || c.SummaryAt != "" {
		t.Fatalf("set to nothing: %+v %v", c, err)
	}
	for name, value := range map[string]string{"CANHBAO_HTTP_ADDR": "8080", "CANHBAO_PUBLIC_URL": "canhbao.example.gov.vn",
		"CANHBAO_SUMMARY_AT": "8h"} {
		if _, err := LoadConfig(env(map[string]string{name: value})); err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
	c, _ = LoadConfig(env(map[string]string{"CANHBAO_PUBLIC_URL": "https://canhbao.example.gov.vn/"}))
	if c.PublicURL != "https://canhbao.example.gov.vn" {
		t.Errorf("public URL %q", c.PublicURL)
	}
}

// TestSummaryPhoto: /summary in the department's chat brings one PNG
// chart with its lines, through the outbox. (The drawing is slow under
// the race detector: the wait is long.)
func TestSummaryPhoto(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	cfg.SummaryAt = "08:00"
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	tg.SendText(telegramtest.Group(deptChat, "Sở TT&TT"), admin, "/summary")
	var photo telegramtest.Sent
	tg.WaitFor(t, time.Minute, func() bool {
		for _, m := range tg.Messages(deptChat) {
			if m.Method == "sendPhoto" && strings.Contains(m.Plain, "Tổng hợp tuần") {
				photo = m
				return true
			}
		}
		return false
	}, "a summary photo in the department's chat")
	docs := tg.Documents(deptChat)
	var data []byte
	for _, d := range docs {
		if d.MessageID == photo.MessageID {
			data = d.Data
		}
	}
	if len(data) < 1000 || string(data[1:4]) != "PNG" {
		t.Fatalf("not a PNG: %d bytes", len(data))
	}
}
