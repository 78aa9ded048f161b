package feeds

import (
	"strings"
	"testing"

	"github.com/canhbao/canhbao/store"
)

// TestSummaryDropsCutTables: a summary cut inside a table loses that
// table (a header row without its values, "CVSS | Vendor | Equipment…",
// is scrap on a card), while a table that fits stays, and the
// classification still reads the table.
func TestSummaryDropsCutTables(t *testing.T) {
	cisa := store.Source{Name: "cisa", URL: "https://www.cisa.gov/cybersecurity-advisories/all.xml", Kind: store.KindFeed}
	intro := strings.Repeat("Successful exploitation could allow remote code execution on the engineering workstation. ", 4)
	rss := func(description string) []byte {
		return []byte(`<rss version="2.0"><channel><item><title>Acme PLC</title><link>https://example.org/a</link><description>` +
			description + `</description></item></channel></rss>`)
	}
	row := func(cells ...string) string {
		return "&lt;tr&gt;&lt;td&gt;" + strings.Join(cells, "&lt;/td&gt;&lt;td&gt;") + "&lt;/td&gt;&lt;/tr&gt;"
	}
	tests := map[string]struct {
		body     []byte
		title    string // the alert to look at
		summary  string // its whole summary, or
		ends     string // how it ends, and
		absent   string // what it must not hold
		severity store.Severity
	}{
		"CISA ICS advisory (real): the header row alone": {
			body: readFixture(t, "cisa-all-advisories-first2.xml"), title: "Applied Systems Engineering ASE2000 V2 Communications Test Set",
			ends: "are affected:\n\n• ASE2000 >=2.25|<=2.37 (CVE-2018-1285, CVE-2026-18717)", absent: "CVSS | Vendor", severity: store.SeverityCritical,
		},
		"a table cut in its rows": {
			body:  rss("&lt;p&gt;" + intro + "&lt;/p&gt;&lt;table&gt;" + row("CVSS", "Vendor", "Equipment") + row("v3 9.8", "Acme", strings.Repeat("Acme PLC series ", 20)) + "&lt;/table&gt;"),
			title: "Acme PLC", summary: strings.TrimSpace(intro),
		},
		"a table that fits": {
			body:  rss("&lt;p&gt;Acme PLC.&lt;/p&gt;&lt;table&gt;" + row("CVSS", "Vendor") + row("v3 9.8", "Acme") + "&lt;/table&gt;"),
			title: "Acme PLC", summary: "Acme PLC.\n\nCVSS | Vendor\nv3 9.8 | Acme",
		},
		"a cut paragraph that is no table": {
			body:  rss("&lt;p&gt;Acme PLC.&lt;/p&gt;&lt;p&gt;" + intro + intro + "&lt;/p&gt;"),
			title: "Acme PLC", ends: "workstation. Successful exploitation could allow…",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			as, err := Parse(cisa, tc.body, "", testNow)
			if err != nil {
				t.Fatal(err)
			}
			var a *store.Alert
			for i := range as {
				if as[i].Title == tc.title {
					a = &as[i]
				}
			}
			if a == nil {
				t.Fatalf("no alert %q in %d", tc.title, len(as))
			}
			switch {
			case tc.summary != "" && a.Summary != tc.summary:
				t.Errorf("summary %q, want %q", a.Summary, tc.summary)
			case !strings.HasSuffix(a.Summary, tc.ends):
				t.Errorf("summary %q, want it to end %q", a.Summary, tc.ends)
			case tc.absent != "" && strings.Contains(a.Summary, tc.absent):
				t.Errorf("summary holds %q: %q", tc.absent, a.Summary)
			}
			if tc.severity != "" && a.Severity != tc.severity {
				t.Errorf("severity %s, want %s (the table's CVSS vectors)", a.Severity, tc.severity)
			}
		})
	}
}
