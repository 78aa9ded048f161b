package web

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// pages are every page of the dashboard, filled by seed.
var pages = []string{"/", "/matrix", "/matrix?severity=high&sort=name", "/alerts/1", "/agencies", "/agencies/-5001",
	"/sources", "/audit", "/incidents", "/duty", "/matrix.csv", "/matrix.xlsx"}

// seed gives the dashboard two agencies, two alerts and their standing.
func seed(f *fixture) {
	f.chats(store.Chat{ID: -5001, Agency: "Sở Y tế", Tags: []string{"so-ban-nganh"}}, store.Chat{ID: -5002, Agency: "UBND huyện Sóc Sơn", Tags: []string{"ubnd-huyen"}})
	a := f.alert("cisa", store.Alert{Title: "Lỗ hổng Fortinet FortiOS", Severity: store.SeverityCritical, CVEs: []string{"CVE-2026-1234"}})
	f.now = f.now.Add(30 * time.Minute)
	f.ack(a, -5001, 301, "Nguyễn Văn An", "")
	b := f.alert("msrc", store.Alert{Title: "Bản vá tháng 11", Severity: store.SeverityLow})
	f.fail(b, -5002, "403 Forbidden: bot was kicked")
	f.now = f.now.Add(5 * time.Hour)
}

func TestSignIn(t *testing.T) {
	tests := map[string]struct {
		user   int64
		before func(f *fixture, token string)
		code   int
		says   string
		action string
	}{
		"valid":  {user: admin, code: http.StatusSeeOther, action: store.AuditDashboardSignIn},
		"reused": {user: admin, before: func(f *fixture, token string) { f.do("POST", bot.SignInPath+token, nil) }, code: http.StatusGone, says: "đã được sử dụng hoặc đã hết hạn", action: store.AuditDashboardBadLink},
		"expired": {user: admin, before: func(f *fixture, _ string) { f.now = f.now.Add(bot.SignInTTL + time.Second) },
			code: http.StatusGone, says: "đã được sử dụng hoặc đã hết hạn", action: store.AuditDashboardBadLink},
		"wrong user": {user: 999, code: http.StatusForbidden, says: "không còn trong danh sách cán bộ Sở", action: store.AuditDashboardBadLink},
		"unknown":    {user: admin, before: func(f *fixture, _ string) {}, code: http.StatusGone, says: "đã được sử dụng"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, bot.Vietnamese)
			token := f.link(tc.user)
			if name == "unknown" {
				token = "AAAAAAAAAAAAAAAAAAAAAA"
			}
			if tc.before != nil {
				tc.before(f, token)
			}
			// Opening the link only shows the button: a link preview or
			// scanner must not use it up.
			form := f.do("GET", bot.SignInPath+token, nil)
			if form.code != http.StatusOK || !strings.Contains(form.body, `method="post"`) {
				t.Fatalf("form: %d %s", form.code, form.body)
			}
			r := f.do("POST", bot.SignInPath+token, nil)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d: %s", r.code, tc.code, r.body)
			}
			contains(t, r.body, tc.says)
			if tc.action != "" && !hasAction(f.audit(), tc.action) {
				t.Errorf("audit lacks %s: %+v", tc.action, f.audit())
			}
			if tc.code != http.StatusSeeOther {
				if c := r.header.Get("Set-Cookie"); c != "" {
					t.Errorf("refused sign-in set a cookie: %s", c)
				}
				return
			}
			c := r.header.Get("Set-Cookie")
			for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"} {
				if !strings.Contains(c, attr) {
					t.Errorf("cookie %q lacks %s", c, attr)
				}
			}
			if strings.Contains(c, "Secure") {
				t.Errorf("cookie %q is Secure on an http address", c)
			}
		})
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	f.srv.PublicURL = "https://canhbao.example.gov.vn"
	r := f.do("POST", bot.SignInPath+f.link(admin), nil)
	if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Fatalf("cookie %q", c)
	}
}

func TestSessionStoredHashed(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	c := f.signIn(admin)
	if len(c.Value) != 22 {
		t.Fatalf("session id %q is not 128 bits in base64url", c.Value)
	}
	f.st.Close()
	st, err := store.Open(f.st.Path(), store.Options{ReadOnly: true})
	f.must(err)
	defer st.Close()
	var raw strings.Builder
	_, err = st.WriteTo(&raw)
	f.must(err)
	if strings.Contains(raw.String(), c.Value) {
		t.Fatal("the session id is stored in clear")
	}
}

func TestEveryPage(t *testing.T) {
	for _, lang := range []bot.Lang{bot.Vietnamese, bot.English} {
		f := newFixture(t, lang)
		seed(f)
		cookie := f.signIn(admin)
		for _, p := range pages {
			r := f.do("GET", p, cookie)
			if r.code != http.StatusOK {
				t.Errorf("%s %s: %d %s", lang, p, r.code, r.body)
			}
		}
		for _, p := range pages {
			if r := f.do("GET", p, nil); r.code != http.StatusUnauthorized || !strings.Contains(r.body, "/dashboard") {
				t.Errorf("%s without a session: %d", p, r.code)
			}
		}
	}
}

func TestPagesShowTheRecord(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	seed(f)
	f.ack(1, -5002, 302, "Trần Thị Bình", "đã vá 40/42 máy")
	f.must(f.st.Update(func(tx *store.Tx) error {
		_, err := tx.AddAck(store.Ack{AlertID: 2, ChatID: -5001, UserID: 301, Name: "Nguyễn Văn An", At: f.now, NotUsed: true})
		return err
	}))
	f.must(f.st.Update(func(tx *store.Tx) error {
		for _, st := range []store.IncidentStatus{store.IncidentDraft, store.IncidentResolved, store.IncidentOpen} {
			if _, err := tx.NewIncident(store.Incident{ChatID: -5001, Agency: "Sở Y tế", Status: st}); err != nil {
				return err
			}
		}
		return nil
	}))
	cookie := f.signIn(admin)

	contains(t, f.do("GET", "/", cookie).body, "Tuần này", "Cảnh báo đã gửi", "Xác nhận trong thời hạn nhắc việc",
		"Lượt gửi thất bại", "Quá hạn xác nhận hiện nay", "Nguồn đang lỗi: 0", "Sự cố đang mở: 1", "<svg", "Đơn vị xác nhận chậm nhất")
	m := f.do("GET", "/matrix", cookie).body
	contains(t, m, "Sở Y tế", "UBND huyện Sóc Sơn", ">đã nhận<i>30 phút</i>", ">đã xử lý<i>5 giờ", ">lỗi gửi", `class="na">không sử dụng<i>5 giờ</i>`,
		`hx-trigger="every 3s"`, "#1", "#2")
	a := f.do("GET", "/alerts/1", cookie).body
	contains(t, a, "Lỗ hổng Fortinet FortiOS", "2/2 đơn vị đã xác nhận", "Nguyễn Văn An", "Trần Thị Bình", "đã vá 40/42 máy",
		"đã nhắc việc", "CVE-2026-1234")
	ag := f.do("GET", "/agencies/-5001", cookie).body
	contains(t, ag, "Sở Y tế", "Nguyễn Văn An", "Lịch sử cảnh báo", "Trung vị thời gian xác nhận", "2/2 (100 %)")
	contains(t, f.do("GET", "/sources", cookie).body, "cisa", "msrc", "hoạt động")
	contains(t, f.do("GET", "/audit", cookie).body, "đăng nhập trang theo dõi")
	inc := f.do("GET", "/incidents", cookie).body
	contains(t, inc, "SC-3", "SC-2", "Chờ tiếp nhận", "Đã khắc phục", "Sở Y tế")
	if strings.Contains(inc, "SC-1<") || strings.Index(inc, "SC-3") > strings.Index(inc, "SC-2") {
		t.Error("incidents page: drafts are left out and open incidents come first")
	}
	contains(t, f.do("GET", "/duty", cookie).body, "Chưa có đợt trực nào")
	f.must(f.st.Update(func(tx *store.Tx) error {
		_, err := tx.NewDutyPeriod(store.DutyPeriod{Title: "Trực lễ Quốc khánh", From: f.now, To: f.now.Add(72 * time.Hour), Chats: []store.DutyChat{
			{ChatID: -5001, Agency: "Sở Y tế", RegisteredAt: f.now, RegisteredBy: "Nguyễn Văn An", People: []store.DutyPerson{{Name: "Lê Văn Trực", Phone: "0912 000 111"}}},
			{ChatID: -5002, Agency: "UBND huyện Sóc Sơn"}}})
		return err
	}))
	duty := f.do("GET", "/duty", cookie).body
	contains(t, duty, "Trực lễ Quốc khánh", "1/2 đơn vị đã đăng ký", "Lê Văn Trực 0912 000 111", "chưa đăng ký")
	if strings.Index(duty, "UBND huyện Sóc Sơn") > strings.Index(duty, "Sở Y tế") {
		t.Error("duty page: agencies that have not registered come first")
	}

	// Filters: severity from high leaves alert 1; CVE and agency narrow.
	hi := f.do("GET", "/matrix?severity=cao", cookie).body
	if !strings.Contains(hi, "#1") || strings.Contains(hi, `href="/alerts/2"`) {
		t.Error("severity filter")
	}
	if b := f.do("GET", "/matrix?cve=cve-2026-1234", cookie).body; strings.Contains(b, `href="/alerts/2"`) {
		t.Error("CVE filter")
	}
	if b := f.do("GET", "/matrix?agency=s%C3%B3c", cookie).body; strings.Contains(b, "Sở Y tế</a>") {
		t.Error("agency filter")
	}
	if b := f.do("GET", "/matrix?tag=%40ubnd-huyen", cookie).body; strings.Contains(b, "Sở Y tế</a>") || !strings.Contains(b, "Sóc Sơn</a>") {
		t.Error("tag filter")
	}
	contains(t, f.do("GET", "/agencies/-5002", cookie).body, `href="/matrix?tag=ubnd-huyen"`)
	if b := f.do("GET", "/matrix?from=2026-12-01", cookie).body; !strings.Contains(b, "Không có cảnh báo nào phù hợp") {
		t.Error("date filter")
	}
}

func TestMatrixSortsByLateness(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	f.chats(store.Chat{ID: -1, Agency: "A đúng hạn"}, store.Chat{ID: -2, Agency: "B chậm"}, store.Chat{ID: -3, Agency: "C chậm nhất"})
	a := f.alert("cisa", store.Alert{Title: "một", Severity: store.SeverityHigh})
	b := f.alert("cisa", store.Alert{Title: "hai", Severity: store.SeverityHigh})
	f.ack(a, -1, 1, "x", "")
	f.ack(b, -1, 1, "x", "")
	f.ack(a, -2, 2, "y", "")
	f.now = f.now.Add(10 * time.Hour)
	body := f.do("GET", "/matrix", f.signIn(admin)).body
	i, j, k := strings.Index(body, "C chậm nhất"), strings.Index(body, "B chậm"), strings.Index(body, "A đúng hạn")
	if i < 0 || j < 0 || k < 0 || !(i < j && j < k) {
		t.Fatalf("order C %d, B %d, A %d", i, j, k)
	}
	contains(t, body, `class="late">chưa nhận<i>10 giờ</i>`)
}

func TestMatrixDownloads(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	seed(f)
	f.chats(store.Chat{ID: -5003, Agency: "=HYPERLINK(\"http://evil\")"})
	f.alert("cisa", store.Alert{Title: "+cmd|' /C calc'!A0"})
	cookie := f.signIn(admin)
	r := f.do("GET", "/matrix.csv?severity=", cookie)
	if !strings.HasPrefix(r.body, "\uFEFF") || !strings.Contains(r.header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv: %q", r.header)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	f.must(err)
	if len(rows) != 1+2+2+3 || rows[0][0] != "Số cảnh báo" {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	for _, row := range rows {
		for _, c := range row {
			if strings.HasPrefix(c, "=") || strings.HasPrefix(c, "+") {
				t.Errorf("formula left live: %q", c)
			}
		}
	}
	x := f.do("GET", "/matrix.xlsx", cookie)
	book, err := excelize.OpenReader(strings.NewReader(x.body))
	f.must(err)
	got, err := book.GetRows("Ma trận xác nhận")
	f.must(err)
	if len(got) != len(rows) || got[1][4] != rows[1][4] {
		t.Fatalf("xlsx rows %d, csv rows %d", len(got), len(rows))
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	seed(f)
	cookie := f.signIn(admin)
	for _, p := range append(pages, "/static/htmx.min.js", "/healthz", bot.SignInPath+"x") {
		r := f.do("GET", p, cookie)
		h := r.header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: nosniff missing", p)
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "<style") {
				t.Errorf("%s has inline script or style", p)
			}
		}
	}
}

// TestHostileTextRendersAsText sends markup and script through every
// field people or feeds control and checks that it comes out as text.
func TestHostileTextRendersAsText(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	const (
		script = `<script>alert(1)</script>`
		img    = `"><img src=x onerror=alert(2)>`
	)
	f.chats(store.Chat{ID: -6001, Agency: script + " Sở", Title: img},
		store.Chat{ID: -6002, Agency: img, RequestedByName: script})
	id := f.alert("cisa", store.Alert{Title: img + " tiêu đề " + script, Summary: script, Link: "javascript:alert(3)",
		CVEs: []string{`CVE-2026-0001"><b>`}})
	f.ack(id, -6001, 5, script, img+" ghi chú")
	f.must(f.st.Update(func(tx *store.Tx) error {
		return tx.Audit(store.AuditEntry{UserID: 5, UserName: script, Action: img, Detail: script})
	}))
	cookie := f.signIn(admin)
	f.must(f.st.Update(func(tx *store.Tx) error {
		if _, err := tx.NewIncident(store.Incident{ChatID: -6001, Agency: script, Status: store.IncidentOpen, System: img, Description: script}); err != nil {
			return err
		}
		_, err := tx.NewDutyPeriod(store.DutyPeriod{Title: script, From: f.now, To: f.now.Add(48 * time.Hour),
			Chats: []store.DutyChat{{ChatID: -6001, Agency: img, RegisteredAt: f.now, RegisteredBy: script, People: []store.DutyPerson{{Name: script, Phone: img}}}}})
		return err
	}))
	for _, p := range []string{"/", "/matrix", "/alerts/1", "/agencies", "/agencies/-6001", "/agencies/-6002", "/audit", "/sources", "/incidents", "/duty"} {
		body := f.do("GET", p, cookie).body
		for _, bad := range []string{"<script>alert", "<img", `href="javascript:`, "onerror=alert(2)>", `"><b>`} {
			if strings.Contains(body, bad) {
				t.Errorf("%s carries %q live", p, bad)
			}
		}
	}
	a := f.do("GET", "/alerts/1", cookie).body
	contains(t, a, "&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;")
	if !strings.Contains(a, `href="#ZgotmplZ"`) {
		t.Error("a javascript: link was not neutralised")
	}
}

func TestRemovedStaffLoseTheirSessions(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	f.srv.AdminIDs = []int64{admin, 222}
	mine, theirs := f.signIn(admin), f.signIn(222)
	f.srv.AdminIDs = []int64{admin} // the next start, without 222
	if r := f.do("GET", "/", theirs); r.code != http.StatusUnauthorized || !strings.Contains(r.body, "Phiên đăng nhập đã kết thúc") {
		t.Fatalf("removed staff: %d", r.code)
	}
	f.srv.AdminIDs = []int64{admin, 222} // added back: the old session stays ended
	if r := f.do("GET", "/", theirs); r.code != http.StatusUnauthorized {
		t.Fatalf("ended session came back: %d", r.code)
	}
	if r := f.do("GET", "/", mine); r.code != http.StatusOK {
		t.Fatalf("staff: %d", r.code)
	}
	if !hasAction(f.audit(), store.AuditDashboardRevoked) {
		t.Error("not audited")
	}
	f.now = f.now.Add(SessionTTL + time.Minute)
	if r := f.do("GET", "/", mine); r.code != http.StatusUnauthorized {
		t.Fatalf("a session outlived 12 h: %d", r.code)
	}
}

func TestSignInAttemptsAreRateLimited(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	codes := map[int]int{}
	for range 8 {
		codes[f.do("POST", bot.SignInPath+"guess", nil).code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Fatalf("no limit: %v", codes)
	}
}

func TestLiveRefresh(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	seed(f)
	cookie := f.signIn(admin)
	for _, page := range []string{"/matrix", "/alerts/1"} {
		full := f.do("GET", page, cookie).body
		i := strings.Index(full, `hx-get="`)
		if i < 0 {
			t.Fatalf("%s has no live block", page)
		}
		u := full[i+len(`hx-get="`):]
		u = strings.ReplaceAll(u[:strings.IndexByte(u, '"')], "&amp;", "&")
		if r := f.do("GET", u, cookie); r.code != http.StatusNoContent {
			t.Fatalf("%s unchanged: %d", page, r.code)
		}
		f.ack(1, -5002, 302+int64(len(page)), "Trần Thị Bình", "")
		r := f.do("GET", u, cookie)
		if r.code != http.StatusOK || !strings.HasPrefix(r.body, `<div id="live"`) || !strings.Contains(r.body, "Trần Thị Bình") && page != "/matrix" {
			t.Fatalf("%s after an acknowledgement: %d %.200s", page, r.code, r.body)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	if r := f.do("GET", "/healthz", nil); r.code != http.StatusOK {
		t.Fatal(r.code)
	}
	if r := f.do("GET", "/readyz", nil); r.code != http.StatusOK {
		t.Fatal(r.code)
	}
	f2 := newFixture(t, bot.Vietnamese)
	f2.srv.Ready = func() error { return errTest }
	if r := f2.do("GET", "/readyz", nil); r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "Telegram") {
		t.Fatalf("%d %s", r.code, r.body)
	}
	// The active node stays active for a proxy while Telegram is away.
	if r := f2.do("GET", "/activez", nil); r.code != http.StatusOK || r.body != "active\n" {
		t.Fatalf("/activez without Telegram: %d %s", r.code, r.body)
	}
	f2.srv.Active = func() error { return errorString("standby; the active node is canhbao1") }
	if r := f2.do("GET", "/activez", nil); r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "canhbao1") {
		t.Fatalf("/activez on a standby: %d %s", r.code, r.body)
	}
}

var errTest = errorString("Telegram not reached for 5m0s")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestForgetEndsSessions: erasing a person's data (/forget) removes their
// dashboard sessions and sign-in links too.
func TestForgetEndsSessions(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	cookie := f.signIn(admin)
	token := f.link(admin)
	f.must(f.st.Update(func(tx *store.Tx) error {
		_, err := tx.Forget(admin, store.Erasure{Name: "người đã xoá dữ liệu", Note: "—"})
		return err
	}))
	if r := f.do("GET", "/", cookie); r.code != http.StatusUnauthorized {
		t.Fatalf("session survived: %d", r.code)
	}
	if r := f.do("POST", bot.SignInPath+token, nil); r.code != http.StatusGone {
		t.Fatalf("link survived: %d", r.code)
	}
}

// TestSignInFromAnotherSiteIsRefused: a form on another site cannot sign
// a browser in to the session of the link it carries.
func TestSignInFromAnotherSiteIsRefused(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	for origin, want := range map[string]int{"https://evil.example": http.StatusForbidden, "http://127.0.0.1:8080": http.StatusSeeOther} {
		req := httptest.NewRequest("POST", bot.SignInPath+f.link(admin), nil)
		req.Header.Set("Origin", origin)
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Origin %s: %d, want %d", origin, rec.Code, want)
		}
	}
}

// TestDepartmentNameWithAmpersand: the department's configured name is
// shown once escaped, not as "&amp;amp;".
func TestDepartmentNameWithAmpersand(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	f.srv.Render.DeptName = "Sở KH&CN"
	f.srv.AdminIDs = []int64{admin, 222}
	cookie := f.signIn(222)
	f.srv.AdminIDs = []int64{admin}
	f.do("GET", "/", cookie)
	r := f.do("POST", bot.SignInPath+f.link(222), nil)
	if !strings.Contains(r.body, "Sở KH&amp;CN") || strings.Contains(r.body, "&amp;amp;") {
		t.Fatalf("%s", r.body)
	}
}
