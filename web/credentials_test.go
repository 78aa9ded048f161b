package web

import (
	"strings"
	"testing"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

// TestSourcesPageHidesCredentials: a source configured with
// user:password in its URL is listed without the password.
func TestSourcesPageHidesCredentials(t *testing.T) {
	f := newFixture(t, bot.Vietnamese)
	f.must(f.st.Update(func(tx *store.Tx) error {
		return tx.PutSource(store.Source{Name: "noibo", URL: "https://canhbao:Pa55w0rd@feeds.example.gov.vn/rss", Kind: store.KindFeed})
	}))
	body := f.do("GET", "/sources", f.signIn(admin)).body
	if strings.Contains(body, "Pa55w0rd") || !strings.Contains(body, "canhbao:xxxxx@feeds.example.gov.vn") {
		t.Fatalf("sources page:\n%s", body)
	}
}
