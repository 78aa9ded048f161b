package feeds

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-alerts.txt from the current code")

// goldenPath holds, for every real document under testdata, the alerts
// Parse makes of it: one line per alert with what a reader checks at a
// glance (key, severity, score, CVE ids, vendors, flags, date) and a digest
// of the whole stored record (title, summary, link, hash… as JSON), so
// that a change to parsing, cleaning or classification that alters any
// stored field shows up as a diff. Rewrite it with -update after a change
// meant to alter results, and read the diff.
const goldenPath = "testdata/golden-alerts.txt"

// TestGoldenAlerts checks every real document under testdata, the
// Vietnamese warnings and a benchmark document against goldenPath.
func TestGoldenAlerts(t *testing.T) {
	page := &store.PageSelectors{Item: "ul.news-list li.news-item", Title: ".title a", Link: ".title a", Date: ".date"}
	docs := []struct {
		file        string
		kind        store.SourceKind
		contentType string
		body        []byte
	}{
		{file: "bugalert-critical-atom.xml"},
		{file: "certfr-avis-rss2.xml"},
		{file: "cisa-all-advisories-first2.xml"},
		{file: "cisa-kev-first25.json", kind: store.KindKEV},
		{file: "ipa-alert-rss1-dupes.rdf"},
		{file: "jpcert-rss1.rdf"},
		{file: "jsonfeed-hostile-content.json.gz", body: readGzipFixture(t, "jsonfeed-hostile-content.json.gz")},
		{file: "jsonfeed-v1-blog.json"},
		{file: "jvndb-rss1-rdf.xml"},
		{file: "khonggianmang-canh-bao.html", kind: store.KindPage, contentType: "text/html; charset=utf-8"},
		{file: "ncsc-uk-news-rss2.xml"},
		{file: "vnexpress-tin-moi-nhat-2017.rss.xml"},
	}
	var out bytes.Buffer
	out.WriteString("# Alerts made of the documents under testdata (see golden_test.go).\n" +
		"# key | severity (* = source default) score | CVE ids; related | vendors | flags (exploited, news,\n" +
		"# date only, ransomware) | published | digest of the whole record\n")
	for _, d := range docs {
		src := store.Source{Name: "s", Title: "S", URL: "https://example.org/" + d.file, Kind: cmp.Or(d.kind, store.KindFeed), Severity: store.SeverityMedium}
		if d.kind == store.KindPage {
			src.Selectors = page
		}
		body := d.body
		if body == nil {
			body = readFixture(t, d.file)
		}
		alerts, err := Parse(src, body, d.contentType, testNow)
		fmt.Fprintf(&out, "\n## %s (%s)\n", d.file, src.Kind)
		if err != nil {
			fmt.Fprintf(&out, "error: %v\n", err)
		}
		for _, a := range alerts {
			writeGolden(t, &out, a)
		}
	}

	var vn []labelledItem
	if err := json.Unmarshal(readFixture(t, "vn-warnings.json"), &vn); err != nil {
		t.Fatal(err)
	}
	out.WriteString("\n## vn-warnings.json (items)\n")
	for _, w := range vn {
		raw := rawItem{guid: w.Title, title: w.Title, summary: w.Body}
		writeGolden(t, &out, normaliseItem(store.Source{Name: "ncsc-vn"}, nil, &raw, testNow))
	}

	// The benchmark's documents: every real item once, as an escaped RSS
	// description of its description and content.
	pool := benchPool(t)
	alerts, err := Parse(feedSrc, benchFeed(pool, 0, len(pool)), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, a := range alerts {
		writeGolden(t, h, a)
	}
	fmt.Fprintf(&out, "\n## benchmark document of %d items\n%d alerts, digest %x\n", len(pool), len(alerts), h.Sum(nil)[:8])

	if *update {
		if err := os.WriteFile(goldenPath, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(filepath.FromSlash(goldenPath))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := lineAt(gl, i), lineAt(wl, i)
			if g != w {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
		t.Fatalf("alerts differ from %s (go test -run TestGoldenAlerts -update ./feeds/ rewrites it)", goldenPath)
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// writeGolden writes one alert's line.
func writeGolden(t *testing.T, w interface{ Write([]byte) (int, error) }, a store.Alert) {
	t.Helper()
	record, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(record)
	sev := string(a.Severity)
	if a.SeverityDefault {
		sev += "*"
	}
	if a.Score > 0 {
		sev += fmt.Sprintf(" %.1f", a.Score)
	}
	cves := strings.Join(a.CVEs, " ")
	if len(a.Related) > 0 {
		cves += "; " + strings.Join(a.Related, " ")
	}
	flags := ""
	for _, f := range []struct {
		on bool
		c  string
	}{{a.Exploited, "E"}, {a.News, "N"}, {a.DateOnly, "D"}, {a.Ransomware, "R"}} {
		if f.on {
			flags += f.c
		}
	}
	published := "-"
	if !a.Published.IsZero() {
		published = a.Published.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "%s | %s | %s | %s | %s | %s | %s\n",
		a.Key, sev, cves, strings.Join(a.Vendors, ", "), flags, published, hex.EncodeToString(sum[:6]))
}
