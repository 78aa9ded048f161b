package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

// TestBigPollIsCappedAndTheDepartmentTold: a poll far over the cap
// reaches each group as one digest of the capped alerts, and the
// department's chat reads, in Vietnamese, how many were held back.
func TestBigPollIsCappedAndTheDepartmentTold(t *testing.T) {
	r := newRig(t).fast()
	r.approve(-7001, -7002)
	if err := r.st.Update(func(tx *store.Tx) error {
		return tx.PutSource(store.Source{Name: "msrc", LastSuccess: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	opt := bigPollOptions()
	opt.MaxNew = 50
	res, err := r.st.Ingest("msrc", bigPoll(3000), opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pushed != 50 || res.Held != 2950 {
		t.Fatalf("pushed %d held %d", res.Pushed, res.Held)
	}
	r.start()
	r.s.Wake()
	notice := waitFor(t, r, deptChat, "Nguồn msrc có 3000 cảnh báo mới trong một lần đọc")
	for _, want := range []string{"chỉ 50 cảnh báo", "2950 cảnh báo còn lại đã được lưu nhưng không gửi", "Đề nghị kiểm tra nguồn"} {
		if !strings.Contains(notice.Plain, want) {
			t.Errorf("notice lacks %q:\n%s", want, notice.Plain)
		}
	}
	for _, chat := range []int64{-7001, -7002} {
		r.tg.WaitMessages(t, chat, 1, 5*time.Second)
	}
	r.waitOutboxEmpty(5 * time.Second)
	for _, chat := range []int64{-7001, -7002} {
		if n := len(r.tg.Messages(chat)); n != 1 {
			t.Errorf("chat %d got %d messages, want one digest", chat, n)
		}
	}
}

// TestAlertGoesAheadOfQueuedAnswers: forty answers queued in a group do
// not delay its next alert: it is the next message after the one in
// flight.
func TestAlertGoesAheadOfQueuedAnswers(t *testing.T) {
	r := newRig(t).fast()
	group := int64(-7001)
	r.approve(group)
	var answers []store.Outgoing
	for i := range 40 {
		answers = append(answers, store.Outgoing{Kind: store.OutText, ChatID: group, User: int64(100 + i), Text: fmt.Sprintf("trả lời %d", i)})
	}
	r.enqueue(answers...)
	r.start()
	r.tg.WaitMessages(t, group, 1, 5*time.Second)
	a := r.publish("Lỗ hổng nghiêm trọng trong FortiOS")
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.count(group, fmt.Sprintf("#%d ·", a.ID)) == 1 }, "the alert")
	msgs := r.tg.Messages(group)
	pos := slices.IndexFunc(msgs, func(m telegramtest.Sent) bool { return strings.Contains(m.Plain, fmt.Sprintf("#%d ·", a.ID)) })
	if pos > 2 {
		t.Fatalf("the alert was message %d in the group, behind %d answers", pos+1, pos)
	}
}

// TestStaffAnswerGoesAheadOfNotices: the department's /report answer
// overtakes a hundred queued routine notices (subscription requests).
func TestStaffAnswerGoesAheadOfNotices(t *testing.T) {
	r := newRig(t).fast()
	var notices []store.Outgoing
	for i := range 100 {
		notices = append(notices, store.Outgoing{Kind: store.OutNotice, ChatID: deptChat, Notice: &store.Notice{
			Event: store.EventSubscribeRequest, ChatID: int64(-8000 - i), Agency: fmt.Sprintf("Đơn vị %d", i), At: time.Now()}})
	}
	r.enqueue(notices...)
	r.enqueue(store.Outgoing{Kind: store.OutText, ChatID: deptChat, User: staffUser.ID, Staff: true, Text: "📊 Báo cáo"})
	r.start()
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.count(deptChat, "📊 Báo cáo") == 1 }, "the answer")
	if n := len(r.tg.Messages(deptChat)); n > 2 {
		t.Fatalf("the answer came as message %d, behind the notices", n)
	}
}

// TestNoisyMemberIsAnsweredOnceAndThenSlowly: the same command repeated is
// answered once; different commands get at most ten answers a minute,
// then one request to slow down; actions still happen.
func TestNoisyMemberIsAnsweredOnceAndThenSlowly(t *testing.T) {
	r := newRig(t).fast()
	group := int64(-7001)
	r.approve(group)
	r.start()
	r.runStaffBot()
	member := telegramtest.NewUser(501, "Lê Văn Tám")
	chat := telegramtest.Group(group, "Sở Y tế")
	for range 30 {
		r.tg.SendText(chat, member, "/help")
	}
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.tg.PendingUpdates() == 0 }, "the updates handled")
	r.waitOutboxEmpty(5 * time.Second)
	if n := r.count(group, "Lệnh cho đơn vị"); n != 1 {
		t.Fatalf("30 × /help answered %d times, want 1", n)
	}
	for i := range 12 {
		r.tg.SendText(chat, member, fmt.Sprintf("/ack %d", 900+i))
	}
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.tg.PendingUpdates() == 0 }, "the updates handled")
	r.waitOutboxEmpty(5 * time.Second)
	all := ""
	for _, m := range r.tg.Messages(group) {
		all += m.Plain + "\n"
	}
	if n := strings.Count(all, "Không tìm thấy cảnh báo"); n != answersPerMinute-1 {
		t.Errorf("%d answers to 12 different commands, want %d (one went to /help)", n, answersPerMinute-1)
	}
	if n := strings.Count(all, "Đã nhận nhiều lệnh liên tiếp"); n != 1 {
		t.Errorf("%d requests to slow down, want 1", n)
	}
	// Department staff are never limited.
	dept := telegramtest.Supergroup(deptChat, "Sở")
	for i := range 8 {
		r.tg.SendText(dept, staffUser, fmt.Sprintf("/report %d", 900+i))
	}
	r.tg.WaitFor(t, 10*time.Second, func() bool {
		n := 0
		for _, m := range r.tg.Messages(deptChat) {
			n += strings.Count(m.Plain, "Không tìm thấy cảnh báo")
		}
		return n == 8
	}, "eight answers to staff")
}

// TestStrangerChatGetsOneAnswerPerPeriod: a group that is not subscribed
// gets one answer, however many commands its members send; its request
// to subscribe is still confirmed.
func TestStrangerChatGetsOneAnswerPerPeriod(t *testing.T) {
	r := newRig(t).fast()
	r.start()
	r.runStaffBot()
	chat := telegramtest.Group(-7100, "Nhóm lạ")
	for i := range 20 {
		r.tg.SendText(chat, telegramtest.NewUser(int64(600+i), "Khách"), []string{"/help", "/id", "/pending", "/filter"}[i%4])
	}
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.tg.PendingUpdates() == 0 }, "the updates handled")
	r.waitOutboxEmpty(5 * time.Second)
	if n := len(r.tg.Messages(-7100)); n != 1 {
		t.Fatalf("a stranger group got %d answers, want 1", n)
	}
	r.tg.SendText(chat, telegramtest.NewUser(700, "Trưởng nhóm"), "/subscribe Sở Y tế")
	waitFor(t, r, -7100, "Yêu cầu đăng ký của Sở Y tế đã được gửi")
	waitFor(t, r, deptChat, "Yêu cầu đăng ký")
}

// TestRejectedChatWaitsBeforeAskingAgain: a rejected group's /subscribe
// posts no new request for a day, is answered once with the date it may
// ask again, and then may ask again.
func TestRejectedChatWaitsBeforeAskingAgain(t *testing.T) {
	r := newRig(t).fast()
	group := int64(-7200)
	decided := time.Now().Add(-time.Hour)
	if err := r.st.Update(func(tx *store.Tx) error {
		return tx.PutChat(store.Chat{ID: group, Agency: "Nhóm bị từ chối", Status: store.ChatRejected, DecidedAt: decided})
	}); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.runStaffBot()
	chat := telegramtest.Group(group, "Nhóm bị từ chối")
	for i := range 30 {
		r.tg.SendText(chat, telegramtest.NewUser(int64(800+i%3), "Khách"), fmt.Sprintf("/subscribe Đơn vị %d", i))
	}
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.tg.PendingUpdates() == 0 }, "the updates handled")
	r.waitOutboxEmpty(5 * time.Second)
	msgs := r.tg.Messages(group)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Plain, "Nhóm có thể gửi lại yêu cầu từ") {
		t.Fatalf("answers to the rejected group: %+v", msgs)
	}
	if n := r.count(deptChat, "Yêu cầu đăng ký"); n != 0 {
		t.Fatalf("%d requests reached the department", n)
	}
	// A day after the decision the group may ask again, once.
	if err := r.st.Update(func(tx *store.Tx) error {
		c, _, err := tx.Chat(group)
		c.DecidedAt = time.Now().Add(-resubscribeAfter - time.Minute)
		if err == nil {
			err = tx.PutChat(c)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r.tg.SendText(chat, telegramtest.NewUser(900, "Trưởng nhóm"), "/subscribe Sở Y tế")
	waitFor(t, r, deptChat, "Yêu cầu đăng ký")
}

// TestMergedAnswersAreSeparated: several answers to one person that leave
// in one message each start after a visible separator, so that the
// answer to /report does not run into the answer to /alerts.
func TestMergedAnswersAreSeparated(t *testing.T) {
	r := newRig(t).fast()
	dept := telegramtest.Supergroup(deptChat, "Sở")
	for i := range 4 {
		r.tg.SendText(dept, staffUser, fmt.Sprintf("/report %d", 900+i))
	}
	r.start()
	r.runStaffBot()
	r.tg.WaitFor(t, 10*time.Second, func() bool { return r.tg.PendingUpdates() == 0 }, "the updates handled")
	r.waitOutboxEmpty(5 * time.Second)
	merged := false
	for _, m := range r.tg.Messages(deptChat) {
		answers := strings.Count(m.Plain, "Không tìm thấy cảnh báo")
		merged = merged || answers > 1
		if seps := strings.Count(m.Plain, "┈┈┈┈┈┈┈┈┈┈"); answers > 1 && seps != answers-1 {
			t.Errorf("%d answers in one message with %d separators:\n%s", answers, seps, m.Plain)
		}
	}
	if !merged {
		t.Fatal("the four answers were not merged; the test shows nothing")
	}
}
