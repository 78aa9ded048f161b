package feeds

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/canhbao/canhbao/store"
)

func TestDefaults(t *testing.T) {
	names := map[string]bool{}
	for _, s := range Defaults() {
		got, err := ParseSource(s.Name, FormatSource(s)[len(s.Name)+1:])
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("%s does not round-trip:\n got %+v\nwant %+v", s.Name, got, s)
		}
		if names[s.Name] {
			t.Errorf("duplicate name %s", s.Name)
		}
		names[s.Name] = true
		if u, _ := url.Parse(s.URL); u.Scheme != "https" {
			t.Errorf("%s: not https", s.Name)
		}
		if s.Severity.Normal() != s.Severity {
			t.Errorf("%s: severity %q", s.Name, s.Severity)
		}
	}
	for _, want := range []string{"cisa", "cisa-kev", "msrc", "certfr-alerte", "certfr-avis", "jpcert", "ncsc-uk"} {
		if !names[want] {
			t.Errorf("default source %s missing", want)
		}
	}
}

func TestParseSources(t *testing.T) {
	page := &store.PageSelectors{Item: ".news li", Title: "a", Link: "a", Date: ".date"}
	tests := map[string]struct {
		spec string
		want []store.Source
	}{
		"one feed": {
			spec: "certfr=https://www.cert.ssi.gouv.fr/alerte/feed/",
			// A built-in document keeps its display name under any entry name.
			want: []store.Source{{Name: "certfr", Title: "CERT-FR", URL: "https://www.cert.ssi.gouv.fr/alerte/feed/", Kind: store.KindFeed, Severity: store.SeverityUnknown}},
		},
		"spaces and new lines, kev inferred": {
			spec: "\n  a=https://a.example/rss  \n\tkev=https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json\n",
			want: []store.Source{
				{Name: "a", URL: "https://a.example/rss", Kind: store.KindFeed, Severity: store.SeverityUnknown},
				{Name: "kev", Title: "CISA KEV", URL: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", Kind: store.KindKEV, Severity: store.SeverityUnknown},
			},
		},
		"page with %20 and severity": {
			spec: "vncert=https://vncert.vn/canh-bao#kind=page&item=.news%20li&title=a&link=a&date=.date&severity=high",
			want: []store.Source{{Name: "vncert", URL: "https://vncert.vn/canh-bao", Kind: store.KindPage, Severity: store.SeverityHigh, Selectors: page}},
		},
		"page with + and Vietnamese severity": {
			spec: "vncert=https://vncert.vn/canh-bao#kind=page&item=.news+li&title=a&link=a&date=.date&severity=cao",
			want: []store.Source{{Name: "vncert", URL: "https://vncert.vn/canh-bao", Kind: store.KindPage, Severity: store.SeverityHigh, Selectors: page}},
		},
		"page with layout": {
			spec: "p=https://p.gov.vn/#kind=page&item=li&layout=02/01/2006+15:04",
			want: []store.Source{{Name: "p", URL: "https://p.gov.vn/", Kind: store.KindPage, Severity: store.SeverityUnknown, Selectors: &store.PageSelectors{Item: "li", DateLayout: "02/01/2006 15:04"}}},
		},
		"display name and news": {
			spec: "ncsc-vn=https://khonggianmang.vn/rss#display=NCSC+Vi%E1%BB%87t+Nam&news=skip",
			want: []store.Source{{Name: "ncsc-vn", Title: "NCSC Việt Nam", SkipNews: true, URL: "https://khonggianmang.vn/rss", Kind: store.KindFeed, Severity: store.SeverityUnknown}},
		},
		"kind feed overrides kev suffix": {
			spec: "mirror=https://m.example/known_exploited_vulnerabilities.json#kind=feed",
			want: []store.Source{{Name: "mirror", URL: "https://m.example/known_exploited_vulnerabilities.json", Kind: store.KindFeed, Severity: store.SeverityUnknown}},
		},
		"query string kept": {
			spec: "q=https://q.example/feed?lang=vi&type=alert",
			want: []store.Source{{Name: "q", URL: "https://q.example/feed?lang=vi&type=alert", Kind: store.KindFeed, Severity: store.SeverityUnknown}},
		},
		"empty": {spec: "  \n ", want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseSources(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tc.want)
			}
			for _, s := range got {
				back, err := ParseSources(FormatSource(s))
				if err != nil || !reflect.DeepEqual(back, []store.Source{s}) {
					t.Errorf("FormatSource round trip: %q → %+v, %v", FormatSource(s), back, err)
				}
			}
		})
	}
}

func TestParseSourcesDefaults(t *testing.T) {
	got, err := ParseSources("defaults vncert=https://vncert.vn/#kind=page&item=li cisa=https://mirror.example/cisa.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(Defaults())+1 {
		t.Fatalf("got %d sources", len(got))
	}
	n := 0
	for _, s := range got {
		if s.Name == "cisa" {
			n++
			if s.URL != "https://mirror.example/cisa.xml" {
				t.Errorf("explicit entry did not replace the default: %+v", s)
			}
		}
	}
	if n != 1 {
		t.Errorf("cisa appears %d times", n)
	}
}

func TestParseSourcesErrors(t *testing.T) {
	tests := map[string]struct{ spec, want string }{
		"no =":                {"cisa", `entry 1 "cisa": no '=' between name and URL (want NAME=URL)`},
		"space instead of =":  {"cisa https://x.example/", `entry 1 "cisa": no '=' between name and URL (write cisa=https://x.example/, with no space around '=')`},
		"empty name":          {"=https://x.example/", `entry 1 "=https://x.example/": empty name`},
		"bad name":            {"có dấu=https://x.example/", "a name is 1 to 32"},
		"reserved name":       {"department=https://x.example/", "reserved"},
		"duplicate name":      {"a=https://x.example/ b=https://y.example/ A=https://z.example/", `entry 3 "A=https://z.example/": name "A" is already used by entry 1`},
		"bad scheme":          {"a=ftp://x.example/", `must start with https:// or http://`},
		"no scheme":           {"a=www.cisa.gov/feed", `must start with https:// or http://`},
		"no host":             {"a=https:///feed", "has no host"},
		"empty URL":           {"a=", "empty URL"},
		"unknown kind":        {"a=https://x.example/#kind=atom", `unknown kind "atom" (want feed, kev or page)`},
		"page without item":   {"a=https://x.example/#kind=page&title=a", "kind page needs an item selector"},
		"selectors on a feed": {"a=https://x.example/#item=li", "selectors only apply to kind page"},
		"bad severity":        {"a=https://x.example/#severity=urgent", `bad severity "urgent"`},
		"unknown option":      {"a=https://x.example/#itme=li", `unknown option "itme"`},
		"option twice":        {"a=https://x.example/#kind=page&kind=feed", `option "kind" given 2 times`},
		"bad selector":        {"a=https://x.example/#kind=page&item=li[[", "item selector \"li[[\" is not valid CSS"},
		"bad layout":          {"a=https://x.example/#kind=page&item=li&layout=dd/mm/yyyy", "not a Go time layout"},
		"second entry named":  {"ok=https://x.example/ bad=gopher://y", `entry 2 "bad=gopher://y"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSources(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("every bad entry reported", func(t *testing.T) {
		_, err := ParseSources("a b=ftp://x")
		if err == nil || !strings.Contains(err.Error(), "entry 1") || !strings.Contains(err.Error(), "entry 2") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseSource(t *testing.T) {
	s, err := ParseSource("ais", "https://ais.gov.vn/canh-bao#kind=page&item=.list%20.item&severity=nghi%C3%AAm+tr%E1%BB%8Dng")
	if err != nil {
		t.Fatal(err)
	}
	if s.Severity != store.SeverityCritical || s.Selectors.Item != ".list .item" || s.URL != "https://ais.gov.vn/canh-bao" {
		t.Errorf("got %+v", s)
	}
	if _, err := ParseSource("x", "nope"); err == nil || !strings.HasPrefix(err.Error(), `feeds: source "x": `) {
		t.Errorf("error not named: %v", err)
	}
	want := "ais=https://ais.gov.vn/canh-bao#kind=page&item=.list+.item&severity=critical"
	if got := FormatSource(s); got != want {
		t.Errorf("FormatSource = %q, want %q", got, want)
	}
}
