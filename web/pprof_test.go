package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/canhbao/canhbao/bot"
)

// TestPprof: the profiles are there for signed-in department staff only;
// anyone else, and everyone while they are off, gets 404.
func TestPprof(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	staff := f.signIn(admin)
	stranger := &http.Cookie{Name: cookieName, Value: "made-up"}

	if r := f.do("GET", "/debug/pprof/", staff); r.code != http.StatusNotFound {
		t.Errorf("off: staff got %d, want 404", r.code)
	}

	f = newFixture(t, bot.Vietnamese)
	f.srv.Pprof = PprofHandler()
	staff = f.signIn(admin)
	for _, tc := range []struct {
		name   string
		path   string
		cookie *http.Cookie
		want   int
	}{
		{"no session", "/debug/pprof/", nil, http.StatusNotFound},
		{"no session, heap", "/debug/pprof/heap", nil, http.StatusNotFound},
		{"no session, goroutines", "/debug/pprof/goroutine?debug=2", nil, http.StatusNotFound},
		{"made-up session", "/debug/pprof/cmdline", stranger, http.StatusNotFound},
		{"staff", "/debug/pprof/", staff, http.StatusOK},
		{"staff, goroutines", "/debug/pprof/goroutine?debug=1", staff, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do("GET", tc.path, tc.cookie)
			if r.code != tc.want {
				t.Fatalf("%s: %d, want %d", tc.path, r.code, tc.want)
			}
			if leaked := strings.Contains(r.body, "goroutine") || strings.Contains(r.body, "heap"); leaked != (tc.want == http.StatusOK) {
				t.Errorf("%s: profile shown = %v:\n%.300s", tc.path, leaked, r.body)
			}
		})
	}

	// A member removed from the staff list loses the profiles with the
	// dashboard.
	f.srv.AdminIDs = nil
	if r := f.do("GET", "/debug/pprof/", staff); r.code != http.StatusNotFound {
		t.Errorf("former staff: %d, want 404", r.code)
	}
}
