package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestDutyMentionsByUsernameAndAccount: a group may name its people on
// duty by @username, or pick a member without one from Telegram's list
// (a text_mention), phone optional; while the period runs a critical card
// mentions them: "@username" as written, the others by account. Before
// the period it mentions nobody.
func TestDutyMentionsByUsernameAndAccount(t *testing.T) {
	const chat = int64(-7001)
	tests := map[string]struct {
		startsIn int // days from today
		mentions []string
	}{
		"while the period runs": {0, []string{"Cán bộ trực: @binh_tran, " + `<a href="tg://user?id=303">Lê Văn Cường</a>, Trần An (0912 345 678)`}},
		"before the period":     {5, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := newRig(t).fast()
			r.approve(chat)
			y, m, d := time.Now().In(r.s.Render.Loc).AddDate(0, 0, tc.startsIn).Date()
			from := time.Date(y, m, d, 0, 0, 0, 0, r.s.Render.Loc)
			err := r.st.Update(func(tx *store.Tx) error {
				_, err := tx.NewDutyPeriod(store.DutyPeriod{Title: "Trực Quốc khánh", From: from, To: from.AddDate(0, 0, 3),
					Chats: []store.DutyChat{{ChatID: chat, Agency: "Agency 7001", AskedAt: time.Now()}}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			r.start()
			r.runBotWith(func(*Bot) {})
			group := telegramtest.Group(chat, "Agency 7001")
			head := "/duty @binh_tran; "
			picked := "Lê Văn Cường"
			cuong := telegramtest.NewUser(303, "Cường")
			r.tg.SendTextWithEntities(group, telegramtest.NewUser(9, "An"), head+picked+"; Trần An 0912 345 678",
				tgbotapi.MessageEntity{Type: "text_mention", Offset: len(utf16.Encode([]rune(head))), Length: len(utf16.Encode([]rune(picked))), User: &cuong})
			registered := waitFor(t, r, chat, "Đã đăng ký cán bộ trực")
			for _, want := range []string{"@binh_tran", `<a href="tg://user?id=303">Lê Văn Cường</a>`, "Trần An — 0912 345 678"} {
				if !strings.Contains(registered.Text, want) {
					t.Errorf("the registration lacks %q:\n%s", want, registered.Text)
				}
			}
			if _, _, err := r.st.Publish(store.Alert{Title: "Lỗ hổng nghiêm trọng", Summary: "Vá ngay.", Severity: store.SeverityCritical},
				time.Now(), store.AuditEntry{Action: "publish"}); err != nil {
				t.Fatal(err)
			}
			r.s.Wake()
			card := waitFor(t, r, chat, "Lỗ hổng nghiêm trọng")
			if tc.mentions == nil && strings.Contains(card.Plain, "Cán bộ trực") {
				t.Errorf("a mention before the period runs:\n%s", card.Text)
			}
			for _, want := range tc.mentions {
				if !strings.Contains(card.Text, want) {
					t.Errorf("the card lacks %q:\n%s", want, card.Text)
				}
			}
		})
	}
}
