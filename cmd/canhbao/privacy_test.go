package main

import (
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// exportText runs `canhbao export` and returns the CSV.
func exportText(t *testing.T, env map[string]string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, env, "export")
	if code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	return stdout
}

// TestForgetThroughTelegramAndCommandLine: /forget from department staff
// and `canhbao forget` (service running, then stopped) erase a person's
// name and notes from the report, the export and the card; the
// acknowledgements keep counting; an agency member cannot use /forget;
// the audit log records the erasure without the erased data.
func TestForgetThroughTelegramAndCommandLine(t *testing.T) {
	tg, feed, cfg, s := oneAlertService(t)
	env := map[string]string{"CANHBAO_DB": cfg.DB, "CANHBAO_FEEDS": "test=" + feed.URL}
	group := telegramtest.Group(-9101, "Đơn vị")
	dept := telegramtest.Group(deptChat, "Sở")
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	an := telegramtest.NewUser(301, "Nguyễn Văn An")
	binh := telegramtest.NewUser(302, "Trần Thị Bình")

	tg.SendText(group, an, "/done 1 đã vá, liên hệ 0912 345 678")
	tg.SendText(group, binh, "/ack 1")
	card := waitText(t, tg, group.ID, key(1))
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(group.ID, card.MessageID)
		return strings.Contains(m.Plain, "Nguyễn Văn An") && strings.Contains(m.Plain, "Trần Thị Bình")
	}, "the card shows both names")
	if csv := exportText(t, env); !strings.Contains(csv, "0912 345 678") {
		t.Fatalf("the note is not in the export:\n%s", csv)
	}

	tg.SendText(group, an, "/forget 301")
	waitText(t, tg, group.ID, "chỉ dành cho cán bộ Sở")
	tg.SendText(dept, admin, "/forget 301")
	waitText(t, tg, deptChat, "Đã xoá dữ liệu cá nhân theo yêu cầu: 1 lượt xác nhận (1 ghi chú xử lý)")
	tg.WaitFor(t, 5*time.Second, func() bool {
		m, _ := tg.Message(group.ID, card.MessageID)
		return !strings.Contains(m.Plain, "Nguyễn Văn An") && strings.Contains(m.Plain, "người đã xoá dữ liệu")
	}, "the card edited without the erased name")
	tg.SendText(dept, admin, "/report 1")
	report := waitText(t, tg, deptChat, "người đã xoá dữ liệu", "Trần Thị Bình")
	csv := exportText(t, env)
	for _, text := range []string{report.Plain, csv} {
		if strings.Contains(text, "Nguyễn Văn An") || strings.Contains(text, "0912 345 678") {
			t.Errorf("erased data still shown:\n%s", text)
		}
	}
	if !strings.Contains(csv, "người đã xoá dữ liệu") || strings.Count(csv, "\n") != 3 {
		t.Errorf("the erased acknowledgement no longer counts:\n%s", csv)
	}
	tg.SendText(dept, admin, "/audit")
	audit := waitText(t, tg, deptChat, "xóa dữ liệu cá nhân")
	if strings.Contains(audit.Plain, "301") || strings.Contains(audit.Plain, "Nguyễn Văn An") {
		t.Errorf("the audit log holds the erased data:\n%s", audit.Plain)
	}

	// The command line, through the running service.
	code, stdout, stderr := runCLI(t, env, "forget", "302")
	if code != 0 || !strings.Contains(stdout, "1 acknowledgements") {
		t.Fatalf("forget while running: exit %d, %q %q", code, stdout, stderr)
	}
	if csv := exportText(t, env); strings.Contains(csv, "Trần Thị Bình") {
		t.Errorf("still in the export:\n%s", csv)
	}
	// And with the service stopped: the file itself.
	s.stop()
	if code, stdout, stderr := runCLI(t, env, "forget", adminID1()); code != 0 || !strings.Contains(stdout, "erased") {
		t.Errorf("forget while stopped: exit %d, %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, env, "forget", "abc"); code != 1 || !strings.Contains(stderr, "not a Telegram user id") {
		t.Errorf("bad id: %d %q", code, stderr)
	}
}

func adminID1() string { return itoa(adminID) }

// TestRetentionErasesOldAcknowledgers: with CANHBAO_RETENTION set, the
// service erases the acknowledgers of alerts older than it, and keeps
// the acknowledgements.
func TestRetentionErasesOldAcknowledgers(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 1))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	cfg.Retention, cfg.retentionEvery = 2*time.Second, 200*time.Millisecond
	seedChats(t, cfg.DB, store.Chat{ID: -9101, Agency: "Đơn vị"})
	start(t, tg, cfg)
	waitText(t, tg, -9101, key(1))
	group := telegramtest.Group(-9101, "Đơn vị")
	tg.SendText(group, telegramtest.NewUser(301, "Nguyễn Văn An"), "/done 1 gọi 0912 345 678")
	waitText(t, tg, -9101, "Nguyễn Văn An")
	env := map[string]string{"CANHBAO_DB": cfg.DB}
	tg.WaitFor(t, 10*time.Second, func() bool {
		csv := exportText(t, env)
		return strings.Contains(csv, "người đã xoá dữ liệu") && !strings.Contains(csv, "0912")
	}, "the old acknowledger erased")
}
