package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPrivateAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "100.64.0.1": true, "0.0.0.0": true, "0.1.2.3": true, "224.0.0.1": true,
		"::1": true, "::": true, "fe80::1": true, "fc00::1": true, "fd12:3456::1": true, "ff02::1": true,
		"::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "64:ff9b::7f00:1": true, "64:ff9b::a9fe:a9fe": true,
		"8.8.8.8": false, "203.113.131.1": false, "104.16.0.1": false, "2001:4860:4860::8888": false,
		"::ffff:8.8.8.8": false, "64:ff9b::808:808": false, "100.128.0.1": false,
	} {
		if got := privateAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("privateAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

// publicLab is a test network where 127.0.0.2 plays a public host (a feed
// server) and everything else on loopback stays private: the metrics
// endpoint on 127.0.0.1 and names that resolve to it.
type publicLab struct {
	public  *httptest.Server // on 127.0.0.2
	secret  *httptest.Server // on 127.0.0.1, e.g. the metrics endpoint
	port    string           // the public server's port
	answers map[string][]netip.Addr
	secrets atomic.Int32 // requests the secret server answered
}

func newPublicLab(t *testing.T, public http.Handler) *publicLab {
	t.Helper()
	lab := &publicLab{answers: map[string][]netip.Addr{}}
	lab.secret = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lab.secrets.Add(1)
		io.WriteString(w, "# HELP canhbao_chats secret")
	}))
	t.Cleanup(lab.secret.Close)
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	lab.public = httptest.NewUnstartedServer(public)
	lab.public.Listener.Close()
	lab.public.Listener = ln
	lab.public.Start()
	t.Cleanup(lab.public.Close)
	_, lab.port, _ = net.SplitHostPort(ln.Addr().String())
	return lab
}

func (lab *publicLab) fetcher() *Fetcher {
	pub := netip.MustParseAddr("127.0.0.2")
	return &Fetcher{guard: &netGuard{
		private: func(a netip.Addr) bool { return a != pub && privateAddr(a) },
		lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
			if a, ok := lab.answers[host]; ok {
				return a, nil
			}
			return nil, fmt.Errorf("no such host %s", host)
		},
		proxies: map[string]bool{},
	}}
}

// TestFetchRefusesRedirectsToPrivateAddresses: a feed on a public host that
// redirects to loopback (the metrics endpoint), a private or link-local
// address, or a name resolving to one, gets a clear error, and the private
// server is never asked.
func TestFetchRefusesRedirectsToPrivateAddresses(t *testing.T) {
	lab := newPublicLab(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed" {
			io.WriteString(w, `<rss version="2.0"><channel><item><title>ok</title></item></channel></rss>`)
			return
		}
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	lab.answers["intranet.example"] = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	lab.answers["mixed.example"] = []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("127.0.0.1")}
	lab.answers["feeds.example"] = []netip.Addr{netip.MustParseAddr("127.0.0.2")}
	_, secretPort, _ := net.SplitHostPort(lab.secret.Listener.Addr().String())
	f := lab.fetcher()
	for _, to := range []string{
		lab.secret.URL + "/metrics",
		"http://localhost:" + secretPort + "/metrics",
		"http://[::1]:" + secretPort + "/metrics",
		"http://[::ffff:127.0.0.1]:" + secretPort + "/metrics",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/",
		"http://intranet.example:" + secretPort + "/metrics",
		"http://mixed.example:" + secretPort + "/metrics",
	} {
		t.Run(to, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), "http://127.0.0.2:"+lab.port+"/go?to="+to, Validators{})
			if !errors.Is(err, ErrPrivateAddress) {
				t.Fatalf("err = %v, want ErrPrivateAddress", err)
			}
			t.Log(err)
			if strings.Contains(err.Error(), "secret") || lab.secrets.Load() != 0 {
				t.Fatalf("the private server was read: %v", err)
			}
		})
	}
	t.Run("a redirect to another public host", func(t *testing.T) {
		resp, err := f.Fetch(context.Background(), "http://127.0.0.2:"+lab.port+"/go?to=http://feeds.example:"+lab.port+"/feed", Validators{})
		if err != nil || !strings.Contains(string(resp.Body), "ok") {
			t.Fatalf("resp %v, err %v", resp, err)
		}
	})
}

// TestFetchRefusesDNSRebinding: a public name whose DNS answer turns into
// 127.0.0.1 is refused at connection time, whatever it resolved to before.
func TestFetchRefusesDNSRebinding(t *testing.T) {
	lab := newPublicLab(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><item><title>ok</title></item></channel></rss>`)
	}))
	f := lab.fetcher()
	url := "http://rebind.example:" + lab.port + "/feed"
	lab.answers["rebind.example"] = []netip.Addr{netip.MustParseAddr("127.0.0.2")}
	if _, err := f.Fetch(context.Background(), url, Validators{}); err != nil {
		t.Fatal(err)
	}
	lab.answers["rebind.example"] = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	f.public.CloseIdleConnections() // a new connection, a new DNS answer
	if _, err := f.Fetch(context.Background(), url, Validators{}); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
}

// TestFetchPrivateSourceMayRedirectPrivately: a source configured on a
// private address (a mirror on the department's network, the tests'
// 127.0.0.1 servers) keeps working, redirects on its network included.
func TestFetchPrivateSourceMayRedirectPrivately(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			_, port, _ := net.SplitHostPort(r.Host)
			http.Redirect(w, r, "http://localhost:"+port+"/feed", http.StatusMovedPermanently)
			return
		}
		io.WriteString(w, "feed")
	}))
	defer srv.Close()
	resp, err := (&Fetcher{}).Fetch(context.Background(), srv.URL+"/old", Validators{})
	if err != nil || string(resp.Body) != "feed" {
		t.Fatalf("resp %v, err %v", resp, err)
	}
}
