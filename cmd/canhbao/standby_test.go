package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/cluster/etcdtest"
	"github.com/canhbao/canhbao/store"
)

// TestStandbyServesPagesAndTakesOver: two nodes on one cluster. The
// standby's /readyz names the active node, its dashboard shows the
// active node's data to a session opened on the active node, and after
// the active node stops it takes over: the next alert arrives once, and
// the earlier one is not sent again.
func TestStandbyServesPagesAndTakesOver(t *testing.T) {
	endpoints := func() []string {
		if testCluster != nil {
			return testCluster.Endpoints()
		}
		return etcdtest.Start(t, 3).Endpoints()
	}()
	prefix := fmt.Sprintf("/standby%d/", testPrefixes.Add(1))
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 1))
	src := store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh}
	node := func(name string) Config {
		cfg := withDashboard(t, testConfig(t, tg, src))
		cfg.DB = filepath.Join(t.TempDir(), name+".db")
		cfg.Store = "etcd"
		cfg.Etcd = cluster.Config{Endpoints: endpoints, Prefix: prefix, NodeName: name, LeaseTTL: 2 * time.Second}
		clusterOf.Store(cfg.DB, cfg.Etcd)
		return cfg
	}
	cfgA, cfgB := node("node-a"), node("node-b")
	agency := telegramtest.Group(-7401, "Sở Nội vụ")
	seedChats(t, cfgA.DB, store.Chat{ID: agency.ID, Agency: "Sở Nội vụ"})

	a := start(t, tg, cfgA)
	waitText(t, tg, agency.ID, key(1))
	b := start(t, tg, cfgB)
	waitWeb(t, tg, cfgB)
	c := browser(t)
	tg.WaitFor(t, 10*time.Second, func() bool {
		code, body := get(t, c, cfgB.PublicURL+"/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "standby; the active node is node-a")
	}, "the standby's /readyz to name the active node")
	if code, body := get(t, c, cfgA.PublicURL+"/readyz"); code != http.StatusOK {
		t.Errorf("the active node's /readyz: %d %s", code, body)
	}
	if code, body := get(t, c, cfgA.PublicURL+"/activez"); code != http.StatusOK {
		t.Errorf("the active node's /activez: %d %s", code, body)
	}
	if code, body := get(t, c, cfgB.PublicURL+"/activez"); code != http.StatusServiceUnavailable || !strings.Contains(body, "node-a") {
		t.Errorf("the standby's /activez: %d %s", code, body)
	}

	// A session opened on the active node reads the standby's pages.
	admin := telegramtest.NewUser(adminID, "Phạm Quản Trị")
	link := askLink(t, tg, admin)
	if code, body := post(t, c, link); code >= 400 || len(c.Jar.Cookies(mustURL(t, cfgA.PublicURL))) == 0 {
		t.Fatalf("sign-in on the active node: %d %.500s", code, body)
	}
	// The standby may see the session a moment after the active node
	// made it, and clears a cookie it does not know: offer it each time.
	cookies := c.Jar.Cookies(mustURL(t, cfgA.PublicURL))
	tg.WaitFor(t, 10*time.Second, func() bool {
		fresh := browser(t)
		fresh.Jar.SetCookies(mustURL(t, cfgB.PublicURL), cookies)
		code, body := get(t, fresh, cfgB.PublicURL+"/")
		return code == http.StatusOK && strings.Contains(body, "Sở Nội vụ")
	}, "the standby's overview to show the active node's data")

	a.stop()
	tg.WaitFor(t, 20*time.Second, func() bool {
		code, _ := get(t, c, cfgB.PublicURL+"/readyz")
		return code == http.StatusOK
	}, "the standby to take over")
	feed.set(rssItems(1, 2))
	waitText(t, tg, agency.ID, key(2))
	time.Sleep(500 * time.Millisecond) // room for a wrong second copy
	for _, k := range []string{key(1), key(2)} {
		if n := countText(tg, agency.ID, k); n != 1 {
			t.Errorf("%s arrived %d times, want once", k, n)
		}
	}
	if !strings.Contains(b.logs.String(), "leading: this node is now the active one") {
		t.Errorf("the standby's log does not say it took over:\n%s", b.logs.String())
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
