package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// expectAll reports each part that text lacks.
func expectAll(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, text)
		}
	}
}

// TestContactsAndTags: /contacts, the help line under critical alerts
// only, tags at approval and by /tag, a tagged broadcast that reaches only
// its tag, a report limited to a tag, and an agency's filter that never
// holds back the department's advisories.
func TestContactsAndTags(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	health := telegramtest.Group(-5101, "Sở Y tế")
	district := telegramtest.Group(-5102, "UBND huyện Sóc Sơn")
	district2 := telegramtest.Group(-5103, "UBND huyện Đông Anh")
	seedChats(t, cfg.DB,
		store.Chat{ID: health.ID, Agency: "Sở Y tế", Filter: store.Filter{MinSeverity: store.SeverityCritical}},
		store.Chat{ID: district.ID, Agency: "UBND huyện Sóc Sơn"},
		store.Chat{ID: district2.ID, Agency: "UBND huyện Đông Anh", Status: store.ChatPending})
	start(t, tg, cfg)
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	an := telegramtest.NewUser(301, "Nguyễn Văn An")
	dept := telegramtest.Group(deptChat, "Sở TT&TT")

	tg.SendText(health, an, "/contacts")
	c := waitText(t, tg, health.ID, "Đầu mối liên hệ")
	expectAll(t, "/contacts", c.Plain, "VNCERT/CC", "086.9100.317", "ir@vncert.vn", "NCSC", "038.9942.878", "ais@mic.gov.vn", "Đầu mối liên hệ của Sở Khoa học và Công nghệ", "Chưa công bố.")
	if strings.Contains(c.Plain, "CANHBAO_CONTACTS") {
		t.Errorf("an agency was shown the setting's name: %q", c.Plain)
	}
	tg.SendText(dept, admin, "/contacts") // staff are told where to set it
	waitText(t, tg, deptChat, "Đầu mối liên hệ của Sở Khoa học và Công nghệ", "Chưa công bố: đề nghị khai báo trong tệp đầu mối liên hệ (CANHBAO_CONTACTS)")
	// but not in an agency's group, where the agency reads it too.
	n := len(tg.Messages(health.ID))
	tg.SendText(health, admin, "/contacts")
	if got := tg.WaitMessages(t, health.ID, n+1, 5*time.Second)[n].Plain; !strings.Contains(got, "Chưa công bố.") || strings.Contains(got, "CANHBAO_CONTACTS") {
		t.Errorf("/contacts by staff in an agency's group:\n%s", got)
	}

	// Tags at approval and with /tag; bad tags get an answer.
	tg.SendText(dept, admin, "/approve -5103 ubnd-huyen")
	waitText(t, tg, deptChat, "UBND huyện Đông Anh", "@ubnd-huyen")
	tg.SendText(dept, admin, "/tag -5102 @UBND-huyện vung-ven")
	waitText(t, tg, deptChat, "UBND huyện Sóc Sơn", "@ubnd-huyen @vung-ven")
	tg.SendText(dept, admin, "/tag -5101 sở/ngành")
	waitText(t, tg, deptChat, "Tên nhóm không hợp lệ: sở/ngành")
	tg.SendText(dept, admin, "/tags")
	tags := waitText(t, tg, deptChat, "Nhóm đơn vị (2)")
	expectAll(t, "/tags", tags.Plain, "@ubnd-huyen (2): UBND huyện Đông Anh, UBND huyện Sóc Sơn", "@vung-ven (1)", "Chưa thuộc nhóm nào (1): Sở Y tế")
	tg.SendText(dept, admin, "/untag -5102 vung-ven")
	waitText(t, tg, deptChat, "UBND huyện Sóc Sơn (-5102): @ubnd-huyen")

	// A tagged broadcast reaches only its tag; an unknown tag publishes nothing.
	tg.SendText(dept, admin, "/broadcast @xa-phuong [cao] Không ai nhận")
	waitText(t, tg, deptChat, "Chưa có đơn vị nào thuộc nhóm @xa-phuong")
	tg.SendText(dept, admin, "/broadcast @ubnd-huyen [nghiêm trọng] Rà soát máy chủ cấp huyện\nĐề nghị rà soát trước 29/08.")
	waitText(t, tg, deptChat, "Đã phát hành cảnh báo #1", "tới 2 đơn vị thuộc nhóm @ubnd-huyen")
	card := waitText(t, tg, district.ID, "#1 · NGHIÊM TRỌNG", "Rà soát máy chủ cấp huyện")
	waitText(t, tg, district2.ID, "#1 · NGHIÊM TRỌNG")
	// The critical card ends with the help line.
	if !strings.HasSuffix(card.Plain, "Cần hỗ trợ: VNCERT/CC 086.9100.317 · ir@vncert.vn") {
		t.Errorf("critical card does not end with the help line:\n%s", card.Plain)
	}

	// An untagged advisory of low severity still reaches the health
	// department, whose filter asks for critical feed alerts only.
	tg.SendText(dept, admin, "/broadcast [thấp] Tuyên truyền phòng chống lừa đảo trực tuyến")
	waitText(t, tg, deptChat, "Đã phát hành cảnh báo #2", "tới 3 đơn vị")
	low := waitText(t, tg, health.ID, "#2 · THẤP", "lừa đảo")
	if strings.Contains(low.Plain, "Cần hỗ trợ") {
		t.Errorf("help line under a low alert:\n%s", low.Plain)
	}
	if n := countText(tg, health.ID, "#1 "); n != 0 {
		t.Errorf("the health department (untagged) received the tagged advisory #1")
	}

	// /report limited to a tag.
	tg.SendText(district, an, "/ack 2")
	waitText(t, tg, district.ID, "đã xác nhận cảnh báo #2")
	tg.SendText(dept, admin, "/report 2 @ubnd-huyen")
	rep := waitText(t, tg, deptChat, "Báo cáo cảnh báo #2")
	if !strings.Contains(rep.Plain, "1/2 đã xác nhận") || strings.Contains(rep.Plain, "Sở Y tế") {
		t.Errorf("report for @ubnd-huyen:\n%s", rep.Plain)
	}
}

// TestBadContactsFile: a contacts file with a mistake names the line and
// the field in the department's chat, in its language, and stops nothing;
// the parser's English detail is in the log only.
func TestBadContactsFile(t *testing.T) {
	tests := map[string]struct {
		lang           bot.Lang
		notice, answer []string
	}{
		"Vietnamese": {bot.Vietnamese,
			[]string{"Cấu hình chưa đúng", "CANHBAO_CONTACTS", "dòng 3: không có trường fax", "Đang dùng các đầu mối liên hệ mặc định"},
			[]string{"VNCERT/CC", "024.3640.4421"}},
		"English": {bot.English,
			[]string{"Configuration problem", "CANHBAO_CONTACTS", "line 3: there is no field fax", "The built-in contacts are used"},
			[]string{"VNCERT/CC", "024.3640.4421"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tg := telegramtest.New(t)
			cfg := testConfig(t, tg)
			cfg.Lang = tc.lang
			cfg.ContactsFile = filepath.Join(t.TempDir(), "contacts.txt")
			if err := os.WriteFile(cfg.ContactsFile, []byte("[VNCERT/CC]\nhotline = 086.9100.317\nfax = 024.1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			health := telegramtest.Group(-5201, "Sở Y tế")
			seedChats(t, cfg.DB, store.Chat{ID: health.ID, Agency: "Sở Y tế"})
			s := start(t, tg, cfg)
			notice := waitText(t, tg, deptChat, tc.notice...)
			if strings.Contains(notice.Plain, "unknown key") {
				t.Errorf("the notice carries the parser's detail:\n%s", notice.Plain)
			}
			if !strings.Contains(s.logs.String(), `line 3: unknown key \"fax\"`) {
				t.Errorf("the log lacks the parser's detail:\n%s", s.logs.String())
			}
			tg.SendText(health, telegramtest.NewUser(301, "An"), "/contacts")
			waitText(t, tg, health.ID, tc.answer...)
		})
	}
}

// TestCustomContacts: the department's own contact point from the file,
// and the help line from the contact marked help.
func TestCustomContacts(t *testing.T) {
	tg := telegramtest.New(t)
	cfg := testConfig(t, tg)
	cfg.ContactsFile = filepath.Join(t.TempDir(), "contacts.txt")
	file := "# contacts\n[NCSC]\nhotline = 038.9942.878\nemail = ais@mic.gov.vn\n\n[Sở Khoa học và Công nghệ]\ndepartment = yes\nperson = Nguyễn Văn Trực\nphone = 0912 345 678\nemail = attt@example.gov.vn\nhelp = yes\n"
	if err := os.WriteFile(cfg.ContactsFile, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	health := telegramtest.Group(-5301, "Sở Y tế")
	seedChats(t, cfg.DB, store.Chat{ID: health.ID, Agency: "Sở Y tế"})
	start(t, tg, cfg)
	tg.SendText(health, telegramtest.NewUser(301, "An"), "/contacts")
	c := waitText(t, tg, health.ID, "Sở Khoa học và Công nghệ", "Nguyễn Văn Trực", "0912 345 678")
	if strings.Contains(c.Plain, "VNCERT") {
		t.Errorf("contacts from the file should replace the defaults:\n%s", c.Plain)
	}
	tg.SendText(telegramtest.Group(deptChat, "Sở"), telegramtest.NewUser(adminID, "Quản trị"), "/broadcast [nghiêm trọng] Khẩn")
	waitText(t, tg, health.ID, "Khẩn", "Cần hỗ trợ: Sở Khoa học và Công nghệ 0912 345 678 · attt@example.gov.vn")
}
