package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// chromium finds Debian's chromium. Without it the browser test is
// skipped on a developer's machine and fails under CI (which installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium): browser test skipped")
	return ""
}

// TestBrowserSeesAcknowledgementLive signs in through the link the fake
// Telegram received, opens the matrix in headless Chromium, presses the
// card's button in the fake Telegram and waits for the cell to turn
// "đã nhận" without a reload. It keeps a screenshot; with
// CANHBAO_SCREENSHOT=docs/dashboard-matrix.png it writes the README's.
func TestBrowserSeesAcknowledgementLive(t *testing.T) {
	exe := chromium(t)
	tg := telegramtest.New(t)
	doc := readTestdata(t, "cisa-all-advisories-first2.xml")
	feed := newFeedServer(t, withoutItems(doc))
	cfg := withDashboard(t, testConfig(t, tg, store.Source{Name: "cisa", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh}))
	health := telegramtest.Group(-5001, "Sở Y tế")
	seedChats(t, cfg.DB, store.Chat{ID: health.ID, Agency: "Sở Y tế"}, store.Chat{ID: -5002, Agency: "UBND huyện Sóc Sơn"},
		store.Chat{ID: -5003, Agency: "Sở Giáo dục và Đào tạo"})
	start(t, tg, cfg)
	waitWeb(t, tg, cfg)
	feed.set(doc)
	card := waitText(t, tg, health.ID, "#1")
	waitText(t, tg, -5003, "#2")
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	link := askLink(t, tg, admin)

	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTime()

	cell := `//tr[th/a[text()="Sở Y tế"]]/td[2]`
	err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click("#signin"),
		chromedp.WaitVisible("svg"), // the overview's charts
		chromedp.Navigate(cfg.PublicURL+"/matrix"),
		chromedp.WaitVisible(cell),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	before, err := chromedp.Run(ctx, chromedp.Text(cell))
	if err != nil || !strings.HasPrefix(before, "chưa nhận") {
		t.Fatalf("cell before the press: %q %v", before, err)
	}
	// A mark that a reload would wipe.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.canhbaoMark = "kept"`)); err != nil {
		t.Fatal(err)
	}
	an := telegramtest.NewUser(301, "Nguyễn Văn An")
	tg.PressButton(health.ID, card.MessageID, an, card.CallbackData()[0])

	turned := `(function(){
		var r = document.evaluate('` + cell + `', document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		return !!r && r.textContent.indexOf("đã nhận") === 0;
	})()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](turned, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("the cell did not turn: %v", err)
	}
	after, err := chromedp.Run(ctx, chromedp.Text(cell))
	if err != nil {
		t.Fatal(err)
	}
	mark, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.canhbaoMark || ""`))
	if err != nil || !strings.HasPrefix(after, "đã nhận") || mark != "kept" {
		t.Fatalf("cell %q, mark %q (a reload happened?) %v", after, mark, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "matrix.png")
	if p := os.Getenv("CANHBAO_SCREENSHOT"); p != "" {
		out = p
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
}
