package feeds

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/canhbao/canhbao/store"
)

// testNow is the fixed "now" of the tests: the fixtures' newest dates are
// in 2026.
var testNow = time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// TestParseFixtures parses every real advisory document in testdata and
// checks counts, the first (oldest) alert, and each document's quirk.
func TestParseFixtures(t *testing.T) {
	type first struct {
		title, link, key string
		published        time.Time
	}
	tests := map[string]struct {
		file  string
		src   store.Source
		count int
		first first
		check func(t *testing.T, as []store.Alert)
	}{
		"CISA two-digit year and &amp;nbsp;": {
			file:  "cisa-all-advisories-first2.xml",
			src:   store.Source{Name: "cisa", URL: "https://www.cisa.gov/cybersecurity-advisories/all.xml", Kind: store.KindFeed, Severity: store.SeverityMedium},
			count: 2,
			first: first{
				title:     "Applied Systems Engineering ASE2000 V2 Communications Test Set",
				link:      "https://www.cisa.gov/news-events/ics-advisories/icsa-26-239-04",
				key:       "/node/25375",
				published: utc("2026-08-27T12:00:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				ics, kev := as[0], as[1]
				// The ICS advisory only has CVSS vectors and a table: 9.8.
				if ics.Severity != store.SeverityCritical {
					t.Errorf("ICS severity = %s, want critical (CVSS 9.8)", ics.Severity)
				}
				if !slices.Equal(ics.CVEs, []string{"CVE-2018-1285", "CVE-2026-18717"}) {
					t.Errorf("ICS CVEs = %v", ics.CVEs)
				}
				if kev.Published != utc("2026-08-31T12:00:00Z") {
					t.Errorf("two-digit year read as %v", kev.Published)
				}
				for _, bad := range []string{"&nbsp;", "\u00a0", "&amp;", "<p>", "<a "} {
					if strings.Contains(kev.Summary, bad) {
						t.Errorf("summary keeps %q: %q", bad, kev.Summary)
					}
				}
				if !strings.HasPrefix(kev.Summary, "CISA has added two new vulnerabilities to its Known Exploited Vulnerabilities (KEV) Catalog, based on evidence of active exploitation.\n\n• CVE-2026-81578 PaperCut") {
					t.Errorf("summary = %q", kev.Summary)
				}
				if !kev.Exploited || kev.Severity != store.SeverityHigh {
					t.Errorf("KEV addition: exploited=%v severity=%s, want true, high", kev.Exploited, kev.Severity)
				}
			},
		},
		"CERT-FR accents, out-of-order items": {
			file:  "certfr-avis-rss2.xml",
			src:   store.Source{Name: "certfr-avis", Kind: store.KindFeed, Severity: store.SeverityMedium},
			count: 40,
			first: first{
				title:     "Multiples vulnérabilités dans Mattermost Desktop App (18 juin 2026)",
				link:      "https://www.cert.ssi.gouv.fr/avis/CERTFR-2026-AVI-0777/",
				key:       "https://www.cert.ssi.gouv.fr/avis/CERTFR-2026-AVI-0777/",
				published: utc("2026-06-18T00:00:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				if !slices.IsSortedFunc(as, func(a, b store.Alert) int { return a.Published.Compare(b.Published) }) {
					t.Error("alerts are not oldest first")
				}
				last := as[len(as)-1]
				if last.Published != utc("2026-08-20T00:00:00Z") {
					t.Errorf("newest = %v", last.Published)
				}
				if as[0].Severity != store.SeverityMedium {
					t.Errorf("no severity in text: got %s, want the source default medium", as[0].Severity)
				}
			},
		},
		"NCSC UK empty creator": {
			file:  "ncsc-uk-news-rss2.xml",
			src:   store.Source{Name: "ncsc-uk", Kind: store.KindFeed},
			count: 4,
			first: first{
				title:     "Vulnerability affecting F5 BIG-IP APM",
				link:      "https://www.ncsc.gov.uk/news/vulnerability-affecting-f5-big-ip-apm",
				key:       "https://www.ncsc.gov.uk/news/vulnerability-affecting-f5-big-ip-apm",
				published: utc("2026-03-30T12:00:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				if !slices.Equal(as[0].Vendors, []string{"F5", "BIG-IP"}) {
					t.Errorf("vendors = %v", as[0].Vendors)
				}
				if as[0].Severity != store.SeverityUnknown {
					t.Errorf("severity = %s, want unknown", as[0].Severity)
				}
				if !strings.Contains(as[2].Title, "‘zero-click’") {
					t.Errorf("curly quotes lost: %q", as[2].Title)
				}
			},
		},
		"JPCERT RSS 1.0: empty GUID, full-width parentheses": {
			file:  "jpcert-rss1.rdf",
			src:   store.Source{Name: "jpcert", Kind: store.KindFeed},
			count: 12,
			first: first{
				title:     "注意喚起: Adobe AcrobatおよびReaderの脆弱性（APSB25-119）に関する注意喚起 (公開)",
				link:      "https://www.jpcert.or.jp/at/2025/at250026.html",
				key:       "https://www.jpcert.or.jp/at/2025/at250026.html",
				published: utc("2025-12-10T02:14:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				i := slices.IndexFunc(as, func(a store.Alert) bool { return strings.Contains(a.Title, "Ivanti") })
				if i < 0 {
					t.Fatal("no Ivanti item")
				}
				if !slices.Equal(as[i].CVEs, []string{"CVE-2026-1281", "CVE-2026-1340"}) {
					t.Errorf("CVEs in （…、…） = %v", as[i].CVEs)
				}
				if !slices.Contains(as[i].Vendors, "Ivanti") {
					t.Errorf("vendors = %v: Ivanti next to Japanese text", as[i].Vendors)
				}
				if as[0].Summary != "" {
					t.Errorf("item without description got summary %q", as[0].Summary)
				}
			},
		},
		"IPA the same item three times": {
			file:  "ipa-alert-rss1-dupes.rdf",
			src:   store.Source{Name: "ipa", Kind: store.KindFeed},
			count: 27, // 30 items, one 3 times and one twice
			first: first{
				title:     "「SS1」における複数の脆弱性について（JVN#99577552）",
				link:      "https://www.ipa.go.jp/security/security-alert/2025/20250827-jvn.html",
				key:       "https://www.ipa.go.jp/security/security-alert/2025/20250827-jvn.html",
				published: utc("2025-08-27T00:00:00Z"), // 27/08 in Japan: a date, in IPA's calendar
			},
			check: func(t *testing.T, as []store.Alert) {
				n := 0
				for _, a := range as {
					if a.Key == "https://www.ipa.go.jp/security/security-alert/2025/alert20251209.html" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("tripled item kept %d times", n)
				}
			},
		},
		"JVNDB not well-formed, sec:cvss": {
			file:  "jvndb-rss1-rdf.xml",
			src:   store.Source{Name: "jvndb", Kind: store.KindFeed},
			count: 4,
			first: first{
				title:     "Contiki-NG における再帰制御に関する脆弱性",
				link:      "https://jvndb.jvn.jp/ja/contents/2023/JVNDB-2023-028579.html",
				key:       "https://jvndb.jvn.jp/ja/contents/2023/JVNDB-2023-028579.html",
				published: utc("2025-04-11T14:52:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				want := []store.Severity{store.SeverityHigh, store.SeverityHigh, store.SeverityCritical, store.SeverityHigh}
				for i, a := range as {
					if a.Severity != want[i] {
						t.Errorf("item %d severity %s, want %s (sec:cvss)", i, a.Severity, want[i])
					}
				}
				if !slices.Equal(as[0].CVEs, []string{"CVE-2023-29001"}) {
					t.Errorf("CVEs from sec:references = %v", as[0].CVEs)
				}
				// From sec:cpe, never from the reference URLs.
				if !slices.Equal(as[0].Vendors, []string{"Contiki-NG"}) {
					t.Errorf("vendors %v, want sec:cpe's", as[0].Vendors)
				}
			},
		},
		"bugalert Atom": {
			file:  "bugalert-critical-atom.xml",
			src:   store.Source{Name: "bugalert", Kind: store.KindFeed},
			count: 3,
			first: first{
				title:     "RCE in Log4j",
				link:      "https://bugalert.org/content/notices/2021-12-09-log4j.html",
				key:       "tag:bugalert.org,2021-12-09:/content/notices/2021-12-09-log4j.html",
				published: utc("2021-12-09T23:00:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				for _, a := range as {
					if a.Severity != store.SeverityCritical {
						t.Errorf("%q: severity %s, want critical", a.Title, a.Severity)
					}
					if strings.Contains(a.Summary, "<") {
						t.Errorf("HTML left in summary %q", a.Summary)
					}
				}
				if !slices.Contains(as[2].CVEs, "CVE-2022-22965") {
					t.Errorf("CVEs = %v", as[2].CVEs)
				}
			},
		},
		"JSON Feed without date_published": {
			file:  "jsonfeed-v1-blog.json",
			src:   store.Source{Name: "blog", Kind: store.KindFeed},
			count: 5,
			first: first{
				title:     "Writing a vuepress theme 1",
				link:      "https://nguyentienlinh2611.github.io/2019/05/06/writing-a-vuepress-theme/",
				key:       "https://nguyentienlinh2611.github.io/2019/05/06/writing-a-vuepress-theme/",
				published: utc("2019-05-06T00:00:00Z"), // date_modified
			},
			check: func(t *testing.T, as []store.Alert) {
				if as[1].Title != "Hello, World" || as[2].Title != "Hello, World" || as[1].Key == as[2].Key {
					t.Errorf("duplicate titles must stay two alerts: %q %q", as[1].Key, as[2].Key)
				}
				if !strings.Contains(as[0].Summary, "Layout.vue file:\n") {
					t.Errorf("plain-text line breaks lost: %q", as[0].Summary)
				}
			},
		},
		"VnExpress newlines in link and guid": {
			file:  "vnexpress-tin-moi-nhat-2017.rss.xml",
			src:   store.Source{Name: "vnexpress", Kind: store.KindFeed},
			count: 25,
			first: first{
				title:     "Lái tàu vụ tai nạn cầu Ghềnh: 'Lời xin lỗi của VKS không có ý nghĩa'",
				link:      "http://video.vnexpress.net/tin-tuc/phap-luat/lai-tau-vu-tai-nan-cau-ghenh-loi-xin-loi-cua-vks-khong-co-y-nghia-3634926.html",
				key:       "http://video.vnexpress.net/tin-tuc/phap-luat/lai-tau-vu-tai-nan-cau-ghenh-loi-xin-loi-cua-vks-khong-co-y-nghia-3634926.html",
				published: utc("2017-08-30T10:43:12Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				last := as[len(as)-1]
				if last.Title != "Bể bơi dát vàng trong biệt thự nơi tổng thống Putin nghỉ dưỡng" {
					t.Errorf("title = %q", last.Title)
				}
				if last.Summary != "Biệt thự Sellgren xây trên khu đất rộng 1.500 m2, có đá lát bể bơi được dát vàng, spa dưới lòng đất, phòng làm việc rộng hơn một căn hộ." {
					t.Errorf("summary = %q", last.Summary)
				}
				for _, a := range as {
					if strings.ContainsAny(a.Key+a.Link, " \n\t") {
						t.Errorf("white space in key or link %q", a.Key)
					}
				}
			},
		},
		"KEV as kind kev": {
			file:  "cisa-kev-first25.json",
			src:   store.Source{Name: "cisa-kev", Kind: store.KindKEV},
			count: 25,
			first: first{
				title:     "Wing FTP Server Improper Neutralization of Null Byte or NUL Character Vulnerability (CVE-2025-47812)",
				link:      "https://nvd.nist.gov/vuln/detail/CVE-2025-47812",
				key:       "CVE-2025-47812",
				published: utc("2025-07-14T00:00:00Z"),
			},
			check: func(t *testing.T, as []store.Alert) {
				for _, a := range as {
					if !a.Exploited || a.Severity.Rank() < store.SeverityHigh.Rank() {
						t.Errorf("%s: exploited=%v severity=%s", a.Key, a.Exploited, a.Severity)
					}
					if !slices.Contains(a.CVEs, a.Key) {
						t.Errorf("%s: CVEs %v", a.Key, a.CVEs)
					}
				}
				i := slices.IndexFunc(as, func(a store.Alert) bool { return a.Key == "CVE-2025-53770" })
				if as[i].Severity != store.SeverityCritical || !as[i].Ransomware || !as[i].DateOnly {
					t.Errorf("ransomware entry: %s %+v", as[i].Severity, as[i])
				}
				// Its description names earlier flaws: they are related,
				// not its own.
				if !slices.Equal(as[i].CVEs, []string{"CVE-2025-53770"}) || !slices.Contains(as[i].Related, "CVE-2025-49704") {
					t.Errorf("own CVEs %v, related %v", as[i].CVEs, as[i].Related)
				}
				if as[i].Action == "" || as[i].Due.IsZero() || strings.Contains(as[i].Summary, "Required action") {
					t.Errorf("required action %q due %v in summary %q", as[i].Action, as[i].Due, as[i].Summary)
				}
				if !slices.Equal(as[i].Vendors, []string{"Microsoft", "SharePoint"}) {
					t.Errorf("KEV vendors = %v", as[i].Vendors)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			as, err := Parse(tc.src, readFixture(t, tc.file), "", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != tc.count {
				t.Fatalf("got %d alerts, want %d", len(as), tc.count)
			}
			a := as[0]
			got := first{a.Title, a.Link, a.Key, a.Published}
			if got != tc.first {
				t.Errorf("first alert\n got %+v\nwant %+v", got, tc.first)
			}
			for _, a := range as {
				checkAlert(t, tc.src, a)
			}
			if tc.check != nil {
				tc.check(t, as)
			}
		})
	}
}

// checkAlert holds for every alert of every source.
func checkAlert(t *testing.T, src store.Source, a store.Alert) {
	t.Helper()
	if a.Source != src.Name || a.Key == "" || a.Title == "" {
		t.Errorf("alert missing source, key or title: %+v", a)
	}
	if a.ID != 0 || !a.FirstSeen.IsZero() || a.Pushed {
		t.Errorf("store fields set: %+v", a)
	}
	if !utf8.ValidString(a.Title) || !utf8.ValidString(a.Summary) || strings.Contains(a.Title, "\n") {
		t.Errorf("bad text: %q / %q", a.Title, a.Summary)
	}
	if n := utf8.RuneCountInString(a.Summary); n > SummaryLimit {
		t.Errorf("summary has %d runes", n)
	}
	if a.Severity.Normal() != a.Severity {
		t.Errorf("severity %q outside the fixed set", a.Severity)
	}
	if a.Link != "" && !strings.HasPrefix(a.Link, "http://") && !strings.HasPrefix(a.Link, "https://") {
		t.Errorf("link not absolute: %q", a.Link)
	}
}

func TestParseKEVAsFeedIsAClearError(t *testing.T) {
	_, err := Parse(store.Source{Name: "kev", Kind: store.KindFeed}, readFixture(t, "cisa-kev-first25.json"), "application/json", testNow)
	if err == nil || !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "use kind kev") {
		t.Fatalf("err = %v, want a hint to use kind kev", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		src         store.Source
		body        string
		contentType string
		want        string
	}{
		"HTML page where a feed was expected": {
			src:         store.Source{Name: "x", Kind: store.KindFeed},
			body:        "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>checking your browser</body></html>",
			contentType: "text/html; charset=utf-8",
			want:        `feeds: parse x: not a feed: got text/html page "Just a moment..."`,
		},
		"HTML page without content type": {
			src:  store.Source{Name: "x", Kind: store.KindFeed},
			body: "\n<html><body>404</body></html>",
			want: "not a feed: got text/html page",
		},
		"HTML page for kev": {
			src:         store.Source{Name: "k", Kind: store.KindKEV},
			body:        "<html><title>Access Denied</title></html>",
			contentType: "text/html",
			want:        "not a feed: got text/html page",
		},
		"not a feed at all": {
			src:  store.Source{Name: "x", Kind: store.KindFeed},
			body: "hello world",
			want: "not RSS, Atom or JSON Feed",
		},
		"empty body": {
			src:  store.Source{Name: "x", Kind: store.KindFeed},
			want: "not RSS, Atom or JSON Feed",
		},
		"truncated XML": {
			src:  store.Source{Name: "x", Kind: store.KindFeed},
			body: `<?xml version="1.0"?><rss version="2.0"><channel><item><title>a`,
			want: "feeds: parse x:",
		},
		"bad KEV JSON": {
			src:  store.Source{Name: "k", Kind: store.KindKEV},
			body: `{"vulnerabilities": [`,
			want: "not valid JSON",
		},
		"JSON that is not KEV": {
			src:  store.Source{Name: "k", Kind: store.KindKEV},
			body: `{"items": []}`,
			want: `no "vulnerabilities" array`,
		},
		"unknown kind": {
			src:  store.Source{Name: "x", Kind: "gopher"},
			want: `unknown source kind "gopher"`,
		},
		"page without selectors": {
			src:  store.Source{Name: "p", Kind: store.KindPage},
			body: "<html></html>",
			want: "no item selector",
		},
		"page selector matches nothing": {
			src:  store.Source{Name: "p", Kind: store.KindPage, Selectors: &store.PageSelectors{Item: ".news li"}},
			body: "<html><body><p>redesigned</p></body></html>",
			want: `item selector ".news li" matched nothing`,
		},
		"page selector invalid": {
			src:  store.Source{Name: "p", Kind: store.KindPage, Selectors: &store.PageSelectors{Item: "li[["}},
			body: "<html></html>",
			want: "not valid CSS",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			as, err := Parse(tc.src, []byte(tc.body), tc.contentType, testNow)
			if err == nil {
				t.Fatalf("no error; got %d alerts", len(as))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestParseFeedServedAsHTMLStillParses(t *testing.T) {
	as, err := Parse(store.Source{Name: "x"}, readFixture(t, "ncsc-uk-news-rss2.xml"), "text/html; charset=utf-8", testNow)
	if err != nil || len(as) != 4 {
		t.Fatalf("got %d alerts, %v", len(as), err)
	}
}

func TestParsePage(t *testing.T) {
	src := store.Source{
		Name: "ncsc-vn", URL: "https://khonggianmang.vn/canh-bao", Kind: store.KindPage,
		Severity: store.SeverityMedium,
		Selectors: &store.PageSelectors{
			Item: "ul.news-list li.news-item", Title: ".title a", Link: ".title a", Date: ".date",
		},
	}
	as, err := Parse(src, readFixture(t, "khonggianmang-canh-bao.html"), "text/html; charset=utf-8", testNow)
	if err != nil {
		t.Fatal(err)
	}
	ict := time.FixedZone("ICT", 7*3600)
	want := []struct {
		title, link string
		published   time.Time
		severity    store.Severity
		cves        []string
	}{
		{
			title:     "Chiến dịch lừa đảo giả mạo cơ quan nhà nước qua thư điện tử",
			link:      "https://khonggianmang.vn/canh-bao/chien-dich-lua-dao-gia-mao-co-quan-nha-nuoc?utm_source=list",
			published: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), // a date without time, the page's day
			severity:  store.SeverityMedium,                          // the source default
		},
		{
			title:     "Lỗ hổng trong FortiOS SSL-VPN & FortiProxy (CVE-2026-24472)",
			link:      "https://khonggianmang.vn/canh-bao/lo-hong-fortios-sslvpn", // relative to <base>
			published: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
			severity:  store.SeverityMedium,
			cves:      []string{"CVE-2026-24472"},
		},
		{
			title:     "Cảnh báo nhiều lỗ hổng bảo mật nghiêm trọng tồn tại trong các sản phẩm Microsoft",
			link:      "https://khonggianmang.vn/canh-bao/nhieu-lo-hong-microsoft-thang-11-2026",
			published: time.Date(2026, 11, 26, 9, 15, 0, 0, ict),
			severity:  store.SeverityCritical,
		},
	}
	if len(as) != len(want) {
		t.Fatalf("got %d alerts, want %d: %+v", len(as), len(want), as)
	}
	for i, w := range want {
		a := as[i]
		checkAlert(t, src, a)
		if a.Title != w.title || a.Link != w.link || !a.Published.Equal(w.published) || a.Severity != w.severity {
			t.Errorf("alert %d\n got %q %q %v %s\nwant %q %q %v %s", i, a.Title, a.Link, a.Published, a.Severity, w.title, w.link, w.published, w.severity)
		}
		if a.Key != w.link {
			t.Errorf("key %q, want the link", a.Key)
		}
		if !slices.Equal(a.CVEs, w.cves) {
			t.Errorf("CVEs %v, want %v", a.CVEs, w.cves)
		}
	}
	if got := as[1].Vendors; !slices.Equal(got, []string{"Fortinet", "FortiOS", "FortiProxy"}) {
		t.Errorf("vendors %v", got)
	}
	if !slices.Contains(as[2].Vendors, "Microsoft") {
		t.Errorf("vendors %v", as[2].Vendors)
	}
}

func TestParsePageDefaults(t *testing.T) {
	// No title, link or date selectors: the item's text, first link, and a
	// date written anywhere in it.
	body := `<div class="list">
	<a class="row" href="/a/1">Cảnh báo mã độc mới <i>26/11/2026</i></a>
	<a class="row" href="/a/2">Bản tin tuần <time datetime="2026-11-19T08:00:00+07:00">19/11</time></a>
	</div>`
	src := store.Source{Name: "p", URL: "https://example.gov.vn/tin/", Kind: store.KindPage, Selectors: &store.PageSelectors{Item: ".list a.row"}}
	as, err := Parse(src, []byte(body), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].Link != "https://example.gov.vn/a/2" || as[1].Title != "Cảnh báo mã độc mới 26/11/2026" {
		t.Fatalf("got %+v", as)
	}
	if !as[0].Published.Equal(time.Date(2026, 11, 19, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("datetime attribute read as %v", as[0].Published)
	}
}

func TestParsePageDate(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	tests := map[string]struct {
		text, layout string
		want         time.Time
	}{
		"dd/mm/yyyy":            {text: "26/11/2026", want: time.Date(2026, 11, 26, 0, 0, 0, 0, ict)},
		"dd/mm/yyyy hh:mm":      {text: "26/11/2026 09:15", want: time.Date(2026, 11, 26, 9, 15, 0, 0, ict)},
		"time first":            {text: "09:15 26/11/2026", want: time.Date(2026, 11, 26, 9, 15, 0, 0, ict)},
		"dd-mm-yyyy":            {text: "26-11-2026", want: time.Date(2026, 11, 26, 0, 0, 0, 0, ict)},
		"d/m/yyyy with words":   {text: "Thứ năm, 3/9/2026 - 8h05", want: time.Date(2026, 9, 3, 8, 5, 0, 0, ict)},
		"dd.mm.yyyy":            {text: "Ngày đăng: 26.11.2026", want: time.Date(2026, 11, 26, 0, 0, 0, 0, ict)},
		"tháng words":           {text: "26 tháng 11 năm 2026", want: time.Date(2026, 11, 26, 0, 0, 0, 0, ict)},
		"ISO date":              {text: "2026-11-26", want: time.Date(2026, 11, 26, 0, 0, 0, 0, ict)},
		"ISO date time":         {text: "2026-11-26 09:15:30", want: time.Date(2026, 11, 26, 9, 15, 30, 0, ict)},
		"RFC 3339":              {text: "2026-11-26T09:15:00Z", want: time.Date(2026, 11, 26, 9, 15, 0, 0, time.UTC)},
		"ISO with offset":       {text: "2026-11-26T09:15+0700", want: time.Date(2026, 11, 26, 9, 15, 0, 0, ict)},
		"relative Vietnamese":   {text: "2 giờ trước", want: testNow.Add(-2 * time.Hour)},
		"relative English":      {text: "3 days ago", want: testNow.Add(-72 * time.Hour)},
		"layout":                {text: "Nov 26, 2026", layout: "Jan 2, 2006", want: time.Date(2026, 11, 26, 0, 0, 0, 0, ict)},
		"impossible date":       {text: "31/02/2026", want: time.Time{}},
		"no date":               {text: "Cảnh báo", want: time.Time{}},
		"CVE id is not a date":  {text: "CVE-2024-1212", want: time.Time{}},
		"version is not a date": {text: "phiên bản 2.4", want: time.Time{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := parsePageDate(tc.text, tc.layout, testNow)
			if !got.Equal(tc.want) {
				t.Errorf("parsePageDate(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestParseCharset covers a non-UTF-8 feed whose charset is declared only
// in the HTTP header, only in the XML prolog, or wrongly declared.
func TestParseCharset(t *testing.T) {
	// "Sécurité: mise à jour" in ISO-8859-1 / windows-1252 bytes.
	latin := "S\xe9curit\xe9: mise \xe0 jour \x80"
	feed := func(decl string) []byte {
		return []byte(decl + `<rss version="2.0"><channel><title>t</title><item><title>` + latin + `</title><link>https://example.fr/a</link></item></channel></rss>`)
	}
	tests := map[string]struct {
		body        []byte
		contentType string
		want        string
	}{
		"header only": {
			body:        feed(`<?xml version="1.0"?>`),
			contentType: "application/rss+xml; charset=windows-1252",
			want:        "Sécurité: mise à jour €",
		},
		"ISO-8859-1 header only": {
			body:        feed(""),
			contentType: "text/xml; charset=ISO-8859-1",
			want:        "Sécurité: mise à jour €", // WHATWG: ISO-8859-1 is windows-1252
		},
		"prolog only": {
			body: feed(`<?xml version="1.0" encoding="ISO-8859-1"?>`),
			want: "Sécurité: mise à jour €",
		},
		"header wins over prolog": {
			body:        feed(`<?xml version="1.0" encoding="ISO-8859-2"?>`),
			contentType: "application/xml; charset=windows-1252",
			want:        "Sécurité: mise à jour €",
		},
		"UTF-8 body declared Latin-1 stays UTF-8": {
			body:        []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><item><title>Lỗ hổng nghiêm trọng</title><link>https://a.vn/1</link></item></channel></rss>`),
			contentType: "text/xml; charset=ISO-8859-1",
			want:        "Lỗ hổng nghiêm trọng",
		},
		"undeclared non-UTF-8 guessed as windows-1252": {
			body: feed(""),
			want: "Sécurité: mise à jour €",
		},
		"UTF-16 with BOM": {
			body: utf16LE(`<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><item><title>Cảnh báo</title><link>https://a.vn/1</link></item></channel></rss>`),
			want: "Cảnh báo",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			as, err := Parse(store.Source{Name: "x"}, tc.body, tc.contentType, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 || as[0].Title != tc.want {
				t.Fatalf("got %+v, want title %q", as, tc.want)
			}
		})
	}
	_, err := Parse(store.Source{Name: "x"}, feed(""), "text/xml; charset=klingon", testNow)
	if err == nil || !strings.Contains(err.Error(), `unknown charset "klingon"`) {
		t.Errorf("unknown charset: %v", err)
	}
}

func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, r := range s {
		if r > 0xffff {
			panic("BMP only")
		}
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func TestNormaliseKeysLinksDates(t *testing.T) {
	src := store.Source{Name: "s", URL: "https://example.org/feeds/all.xml"}
	body := `<rss version="2.0"><channel><link>https://example.org/news/</link>
	<item><title>Relative link</title><link>advisory/1</link></item>
	<item><title>No link, no guid</title><pubDate>Mon, 02 Jan 2026 10:00:00 +0000</pubDate></item>
	<item><title>Script link</title><link>javascript:alert(1)</link><guid>g-3</guid></item>
	<item><title>From the future</title><link>https://example.org/f</link><pubDate>Mon, 01 Jan 2035 10:00:00 +0000</pubDate></item>
	<item><title>  Tag &lt;b&gt;bold&lt;/b&gt; &amp;amp; more  </title><guid> g-5
	</guid></item>
	</channel></rss>`
	as, err := Parse(src, []byte(body), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]store.Alert{}
	for _, a := range as {
		byTitle[a.Title] = a
	}
	if a := byTitle["Relative link"]; a.Link != "https://example.org/news/advisory/1" || a.Key != a.Link {
		t.Errorf("relative link: %+v", a)
	}
	if a := byTitle["No link, no guid"]; !strings.HasPrefix(a.Key, "sha256:") || len(a.Key) != 7+64 {
		t.Errorf("hash key: %q", a.Key)
	}
	if a := byTitle["Script link"]; a.Link != "" || a.Key != "g-3" {
		t.Errorf("javascript: link kept: %+v", a)
	}
	if a := byTitle["From the future"]; !a.Published.Equal(testNow) {
		t.Errorf("future date kept: %v", a.Published)
	}
	if a, ok := byTitle["Tag bold & more"]; !ok || a.Key != "g-5" {
		t.Errorf("title cleaning / guid trimming: %+v", as)
	}
	// Same title and date, no link: the same hash on every poll.
	again, _ := Parse(src, []byte(body), "", testNow)
	if again[0].Key != as[0].Key {
		t.Error("hash key not stable")
	}
}
