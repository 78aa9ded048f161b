package feeds

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:s3cret@x.example/feed":             "https://user:xxxxx@x.example/feed",
		"https://ghp_TOKEN@x.example/feed":               "https://xxxxx@x.example/feed",
		"https://u:p@ss@x.example/":                      "https://u:xxxxx@x.example/",
		`entry 2 "cisa=HTTP://u:p%40ss@x.example/#kind"`: `entry 2 "cisa=HTTP://u:xxxxx@x.example/#kind"`,
		"a=https://u:1@a.example b=http://v:2@b.example": "a=https://u:xxxxx@a.example b=http://v:xxxxx@b.example",
		"https://x.example/path@v2 and mail@x.example":   "https://x.example/path@v2 and mail@x.example",
		"https://x.example/?next=a@b":                    "https://x.example/?next=a@b",
		"no URL here":                                    "no URL here",
	} {
		if got := RedactText(in); got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCredentialsNeverEchoed: a URL's user:password never appears in the
// errors of a bad configuration entry, of /source add, or of a fetch.
func TestCredentialsNeverEchoed(t *testing.T) {
	const secret = "Pa55-w0rd-very-long-so-that-a-cut-at-eighty-characters-falls-inside-it"
	for name, spec := range map[string]string{
		"no '='":            "https://admin:" + secret + "@x.example/feed",
		"space around '='":  "cisa https://admin:" + secret + "@x.example/feed",
		"bad scheme":        "a=ftp://admin:" + secret + "@x.example/feed",
		"bad option":        "a=https://admin:" + secret + "@x.example/feed#kind=atom",
		"duplicate name":    "a=https://x.example/ a=https://admin:" + secret + "@x.example/feed",
		"bad port":          "a=https://admin:" + secret + "@x.example:port/feed",
		"a token as user":   "a=ftp://" + secret + "@x.example/feed",
		"unescaped @ in it": "a=ftp://admin:" + secret + "@x@x.example/feed",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSources(spec)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret[:12]) {
				t.Fatalf("credentials echoed: %v", err)
			}
		})
	}
	t.Run("/source add", func(t *testing.T) {
		_, err := ParseSource("a", "gopher://admin:"+secret+"@x.example/")
		if err == nil || strings.Contains(err.Error(), secret[:12]) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("fetch", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound) // a loop
		}))
		defer srv.Close()
		u := strings.Replace(srv.URL, "http://", "http://admin:"+secret+"@", 1)
		_, err := (&Fetcher{}).Fetch(context.Background(), u+"/feed", Validators{})
		if err == nil || strings.Contains(err.Error(), secret[:12]) || !strings.Contains(err.Error(), "admin:xxxxx@") {
			t.Fatalf("err = %v", err)
		}
	})
}
