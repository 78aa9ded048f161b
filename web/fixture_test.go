package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

const (
	admin    = int64(111)
	deptChat = int64(-100999)
)

var t0 = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC) // a Thursday, 09:00 in Hà Nội

// fixture is a dashboard over a real bbolt file, with a clock the test
// moves.
type fixture struct {
	t   testing.TB
	st  *store.Store
	srv *Server
	now time.Time
}

func newFixture(t testing.TB, lang bot.Lang) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "canhbao.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, now: t0}
	f.srv = &Server{Store: st, Render: bot.NewRenderer(lang), AdminIDs: []int64{admin}, PublicURL: "http://127.0.0.1:8080",
		Deadlines: store.Deadlines{UrgentAfter: 4 * time.Hour, After: 24 * time.Hour, EscalateAfter: 72 * time.Hour},
		Now:       func() time.Time { return f.now }}
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// chats stores approved agencies.
func (f *fixture) chats(chats ...store.Chat) {
	f.t.Helper()
	f.must(f.st.Update(func(tx *store.Tx) error {
		for _, c := range chats {
			if c.Status == "" {
				c.Status = store.ChatApproved
			}
			if c.Title == "" {
				c.Title = c.Agency
			}
			if err := tx.PutChat(c); err != nil {
				return err
			}
		}
		return nil
	}))
}

// alert ingests a from source (polled before, so it is pushed) and
// records every card as sent now.
func (f *fixture) alert(source string, a store.Alert) uint64 {
	f.t.Helper()
	f.must(f.st.Update(func(tx *store.Tx) error {
		if _, ok, _ := tx.Source(source); ok {
			return nil
		}
		return tx.PutSource(store.Source{Name: source, URL: "https://example.org/" + source, Kind: store.KindFeed, LastSuccess: f.now})
	}))
	if a.Key == "" {
		a.Key = a.Title
	}
	if a.Published.IsZero() {
		a.Published = f.now
	}
	res, err := f.st.Ingest(source, []store.Alert{a}, store.IngestOptions{Now: f.now, Backfill: 1 << 62})
	f.must(err)
	if len(res.New) != 1 {
		f.t.Fatalf("ingest: %+v", res)
	}
	f.sendAll()
	return res.New[0].ID
}

// sendAll records every delivering outbox entry as sent now, as the
// sender would.
func (f *fixture) sendAll() {
	f.t.Helper()
	var results []store.Result
	f.must(f.st.View(func(tx *store.Tx) error {
		out, err := tx.Outbox()
		for i, o := range out {
			if o.Kind.Delivers() {
				results = append(results, store.Result{ID: o.ID, Status: store.Sent, At: f.now, MessageID: 1000 + i})
			}
		}
		return err
	}))
	f.must(f.st.Complete(deptChat, results))
}

// fail records the delivery of alert to chat as failed.
func (f *fixture) fail(alert uint64, chat int64, reason string) {
	f.t.Helper()
	f.must(f.st.Update(func(tx *store.Tx) error {
		d, _, err := tx.Delivery(alert, chat)
		if err != nil {
			return err
		}
		d.State, d.Error, d.FailedAt = store.DeliveryFailed, reason, f.now
		return tx.PutDelivery(d)
	}))
}

func (f *fixture) ack(alert uint64, chat, user int64, name, note string) {
	f.t.Helper()
	f.must(f.st.Update(func(tx *store.Tx) error {
		a := store.Ack{AlertID: alert, ChatID: chat, UserID: user, Name: name, At: f.now}
		if note != "" {
			a.Notes = []store.Note{{Text: note, At: f.now}}
		}
		_, err := tx.AddAck(a)
		return err
	}))
}

// link issues a sign-in link for user, as /dashboard does.
func (f *fixture) link(user int64) string {
	f.t.Helper()
	var token string
	f.must(f.st.Update(func(tx *store.Tx) (err error) {
		token, err = tx.NewSignInLink(user, "Cán bộ Sở", f.now, bot.SignInTTL)
		return err
	}))
	return token
}

// response is a finished request.
type response struct {
	code   int
	header http.Header
	body   string
}

func (f *fixture) do(method, target string, cookie *http.Cookie) response {
	f.t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = "192.0.2.1:4000"
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return response{code: rec.Code, header: rec.Result().Header, body: string(body)}
}

// signIn redeems a fresh link for user and returns the session cookie.
func (f *fixture) signIn(user int64) *http.Cookie {
	f.t.Helper()
	r := f.do("POST", bot.SignInPath+f.link(user), nil)
	if r.code != http.StatusSeeOther {
		f.t.Fatalf("sign in: %d %s", r.code, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	f.t.Fatal("no session cookie")
	return nil
}

func (f *fixture) audit() []store.AuditEntry {
	f.t.Helper()
	var list []store.AuditEntry
	f.must(f.st.View(func(tx *store.Tx) (err error) { list, err = tx.AuditLog(100); return err }))
	return list
}

func hasAction(list []store.AuditEntry, action string) bool {
	for _, e := range list {
		if e.Action == action {
			return true
		}
	}
	return false
}

func contains(t testing.TB, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("page lacks %q", p)
		}
	}
}

var _ = url.Values{}
