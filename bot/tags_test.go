package bot

import (
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestTagAnswersNameOnlyTheReader: department staff may /tag, /untag and
// /approve from any chat, but an agency's group never reads another
// agency's name in the answer; the department's chat gets the full line.
func TestTagAnswersNameOnlyTheReader(t *testing.T) {
	const agency, other, pending = int64(-7001), int64(-7002), int64(-7003)
	admin := telegramtest.NewUser(42, "Phạm Quản Trị")
	deptGroup, agencyGroup := telegramtest.Supergroup(deptChat, "Sở"), telegramtest.Group(agency, "Agency 7001")
	private := telegramtest.PrivateChat(admin)
	tests := map[string]struct {
		where   tgbotapi.Chat
		command string
		// answer is what the chat where the command was typed reads;
		// dept what the department's chat reads as well ("" for nothing).
		answer, dept string
	}{
		"/tag in the department's chat": {
			where: deptGroup, command: "/tag -7002 so-ban-nganh",
			answer: "Agency 7002 (-7002): @so-ban-nganh",
		},
		"/tag in a private chat": {
			where: private, command: "/tag -7002 so-ban-nganh",
			answer: "Agency 7002 (-7002): @so-ban-nganh",
		},
		"/tag in the agency's group about itself": {
			where: agencyGroup, command: "/tag -7001 so-ban-nganh",
			answer: "Agency 7001 (-7001): @so-ban-nganh",
		},
		"/tag in an agency's group about another": {
			where: agencyGroup, command: "/tag -7002 so-ban-nganh",
			answer: "Đã cập nhật nhóm đơn vị của mã nhóm -7002", dept: "Agency 7002 (-7002): @so-ban-nganh",
		},
		"/untag in an agency's group about another": {
			where: agencyGroup, command: "/untag -7002 ubnd-huyen",
			answer: "Đã cập nhật nhóm đơn vị của mã nhóm -7002", dept: "Agency 7002 (-7002): @vung-ven",
		},
		"/approve with tags in an agency's group about another": {
			where: agencyGroup, command: "/approve -7003 ubnd-huyen",
			answer: "Đã ghi nhận quyết định đối với mã nhóm -7003", dept: "Agency 7003 (-7003): @ubnd-huyen",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := newRig(t).fast()
			r.approve(agency, other)
			err := r.st.Update(func(tx *store.Tx) error {
				c, _, err := tx.Chat(other)
				c.Tags = []string{"ubnd-huyen", "vung-ven"}
				if err == nil {
					err = tx.PutChat(c)
				}
				if err == nil {
					err = tx.PutChat(store.Chat{ID: pending, Type: "group", Agency: "Agency 7003", Status: store.ChatPending})
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			r.start()
			r.runBotWith(func(b *Bot) { b.Config.AdminIDs = []int64{admin.ID} })
			in := tc.where
			r.tg.SendText(in, admin, tc.command)
			waitFor(t, r, in.ID, tc.answer)
			if tc.dept != "" {
				waitFor(t, r, deptChat, tc.dept)
			}
			r.waitOutboxEmpty(5 * time.Second)
			if in.ID != agency {
				return
			}
			for _, m := range r.tg.Messages(agency) {
				for _, name := range []string{"Agency 7002", "Agency 7003"} {
					if strings.Contains(m.Plain, name) {
						t.Errorf("the agency's group reads %q:\n%s", name, m.Plain)
					}
				}
			}
		})
	}
}
