package feeds

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Targets of the labelled measure (documented in the README, "How
// severity is decided"). Below them the test fails.
const (
	targetSeverityAccuracy = 0.95
	targetCVEPrecision     = 0.95
	targetCVERecall        = 0.95
	targetVendorRecall     = 0.95
	targetExploitedRecall  = 0.95
	// Critical or high items shown lower: none.
	targetUrgentShownLower = 0
)

// labelledItem is what a person read in one real item: its severity by
// the rules of the README (the source's default when the text says
// nothing), the CVE ids it is about, its vendors, whether it reports
// exploitation, and whether it is news rather than an advisory.
type labelledItem struct {
	Key       string   `json:"key"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Severity  string   `json:"severity"`
	CVEs      []string `json:"cves"`
	Vendors   []string `json:"vendors"`
	Exploited bool     `json:"exploited"`
	News      bool     `json:"news"`
	Note      string   `json:"note"`
}

type labelledFile struct {
	File    string         `json:"file"`
	Source  string         `json:"source"`
	Kind    string         `json:"kind"`
	Default string         `json:"default"`
	Items   []labelledItem `json:"items"`
}

type measure struct {
	items, sevRight, urgentLower        int
	cveTP, cveFP, cveFN                 int
	vendorFound, vendorLabelled         int
	exploitedFound, exploitedLabelled   int
	exploitedFalse, newsRight, newsSeen int
	wrong                               []string
}

func (m *measure) add(name string, want labelledItem, got store.Alert) {
	m.items++
	wantSev := store.Severity(want.Severity)
	if got.Severity == wantSev {
		m.sevRight++
	} else {
		m.wrong = append(m.wrong, fmt.Sprintf("%s: severity %s, want %s", name, got.Severity, wantSev))
	}
	if wantSev.Urgent() && got.Severity.Rank() < wantSev.Rank() {
		m.urgentLower++
	}
	for _, id := range got.CVEs {
		if slices.Contains(want.CVEs, id) {
			m.cveTP++
		} else {
			m.cveFP++
			m.wrong = append(m.wrong, fmt.Sprintf("%s: CVE %s is not its own", name, id))
		}
	}
	for _, id := range want.CVEs {
		if !slices.Contains(got.CVEs, id) {
			m.cveFN++
			m.wrong = append(m.wrong, fmt.Sprintf("%s: CVE %s missed", name, id))
		}
	}
	for _, v := range want.Vendors {
		m.vendorLabelled++
		if slices.ContainsFunc(got.Vendors, func(g string) bool { return strings.EqualFold(g, v) }) {
			m.vendorFound++
		} else {
			m.wrong = append(m.wrong, fmt.Sprintf("%s: vendor %s missed (got %v)", name, v, got.Vendors))
		}
	}
	if want.Exploited {
		m.exploitedLabelled++
		if got.Exploited {
			m.exploitedFound++
		} else {
			m.wrong = append(m.wrong, fmt.Sprintf("%s: exploitation missed", name))
		}
	} else if got.Exploited {
		m.exploitedFalse++
		m.wrong = append(m.wrong, fmt.Sprintf("%s: marked exploited", name))
	}
	m.newsSeen++
	if got.News == want.News {
		m.newsRight++
	} else {
		m.wrong = append(m.wrong, fmt.Sprintf("%s: news %v, want %v", name, got.News, want.News))
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestLabelledAccuracy reads every labelled real item (testdata/labels.json:
// items of the default sources' real documents; testdata/vn-warnings.json:
// warnings written as the Vietnamese national centres write them) and
// prints how often canhbao reads them as a person did.
func TestLabelledAccuracy(t *testing.T) {
	var files []labelledFile
	if err := json.Unmarshal(readFixture(t, "labels.json"), &files); err != nil {
		t.Fatal(err)
	}
	var m measure
	for _, f := range files {
		src := store.Source{Name: f.Source, URL: "https://example.org/" + f.File, Kind: store.SourceKind(f.Kind), Severity: store.Severity(f.Default)}
		alerts, err := Parse(src, readFixture(t, f.File), "", testNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range f.Items {
			i := slices.IndexFunc(alerts, func(a store.Alert) bool { return a.Key == want.Key })
			if i < 0 {
				t.Errorf("%s: no item %s", f.File, want.Key)
				continue
			}
			m.add(f.File+" "+want.Key, want, alerts[i])
		}
	}
	var vn []labelledItem
	if err := json.Unmarshal(readFixture(t, "vn-warnings.json"), &vn); err != nil {
		t.Fatal(err)
	}
	src := store.Source{Name: "ncsc-vn", Kind: store.KindFeed}
	for _, want := range vn {
		raw := rawItem{guid: want.Title, title: want.Title, summary: want.Body}
		m.add("vn: "+want.Title, want, normaliseItem(src, nil, &raw, testNow))
	}
	for _, w := range m.wrong {
		t.Log("  " + w)
	}
	t.Logf("labelled items: %d (%d from real feed documents, %d Vietnamese warnings)", m.items, m.items-len(vn), len(vn))
	t.Logf("severity accuracy:           %.3f (%d/%d; target %.2f)", ratio(m.sevRight, m.items), m.sevRight, m.items, targetSeverityAccuracy)
	t.Logf("critical/high shown lower:   %d (target %d)", m.urgentLower, targetUrgentShownLower)
	t.Logf("CVE precision / recall:      %.3f / %.3f (targets %.2f / %.2f)", ratio(m.cveTP, m.cveTP+m.cveFP), ratio(m.cveTP, m.cveTP+m.cveFN), targetCVEPrecision, targetCVERecall)
	t.Logf("vendor recall:               %.3f (%d/%d; target %.2f)", ratio(m.vendorFound, m.vendorLabelled), m.vendorFound, m.vendorLabelled, targetVendorRecall)
	t.Logf("exploited recall:            %.3f (%d/%d; target %.2f), false marks %d", ratio(m.exploitedFound, m.exploitedLabelled), m.exploitedFound, m.exploitedLabelled, targetExploitedRecall, m.exploitedFalse)
	t.Logf("news/advisory right:         %.3f (%d/%d)", ratio(m.newsRight, m.newsSeen), m.newsRight, m.newsSeen)
	switch {
	case m.items < 80:
		t.Errorf("only %d labelled items, want at least 80", m.items)
	case ratio(m.sevRight, m.items) < targetSeverityAccuracy:
		t.Error("severity accuracy below target")
	case m.urgentLower > targetUrgentShownLower:
		t.Error("critical or high items shown lower")
	case ratio(m.cveTP, m.cveTP+m.cveFP) < targetCVEPrecision || ratio(m.cveTP, m.cveTP+m.cveFN) < targetCVERecall:
		t.Error("CVE precision or recall below target")
	case ratio(m.vendorFound, m.vendorLabelled) < targetVendorRecall:
		t.Error("vendor recall below target")
	case ratio(m.exploitedFound, m.exploitedLabelled) < targetExploitedRecall:
		t.Error("exploited recall below target")
	}
}

// Page furniture and cut-off table headers never reach a card.
func TestSummaryWithoutScraps(t *testing.T) {
	src := store.Source{Name: "cisa", URL: "https://www.cisa.gov/cybersecurity-advisories/all.xml", Kind: store.KindFeed}
	alerts, err := Parse(src, readFixture(t, "cisa-all-advisories-first2.xml"), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if strings.HasPrefix(a.Summary, "View CSAF") || strings.Contains(a.Summary, "\n\nSummary\n") || strings.HasSuffix(a.Summary, "CVSS…") {
			t.Errorf("%s: scraps in the summary %q", a.Key, a.Summary)
		}
	}
	if got := dropStub("Text.\n\nCVSS…"); got != "Text." {
		t.Errorf("stub kept: %q", got)
	}
}

// A date without a time keeps the source's calendar day; a real time is
// kept as an instant.
func TestDateOnly(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	tests := map[string]struct {
		published time.Time
		kev       bool
		dateOnly  bool
		want      time.Time
	}{
		"IPA midnight in Japan": {time.Date(2025, 12, 17, 0, 0, 0, 0, jst), false, true, time.Date(2025, 12, 17, 0, 0, 0, 0, time.UTC)},
		"CERT-FR midnight UTC":  {time.Date(2026, 8, 14, 0, 0, 0, 0, time.UTC), false, true, time.Date(2026, 8, 14, 0, 0, 0, 0, time.UTC)},
		"a KEV entry":           {time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC), true, true, time.Date(2025, 7, 20, 0, 0, 0, 0, time.UTC)},
		"JPCERT with a time":    {time.Date(2026, 2, 13, 13, 27, 0, 0, jst), false, false, time.Date(2026, 2, 13, 4, 27, 0, 0, time.UTC)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			raw := rawItem{guid: "x", title: "x", published: tc.published}
			if tc.kev {
				raw.kev = &kevFacts{}
			}
			a := normaliseItem(store.Source{Name: "s"}, nil, &raw, testNow)
			if a.DateOnly != tc.dateOnly || !a.Published.Equal(tc.want) {
				t.Errorf("published %v date only %v, want %v %v", a.Published, a.DateOnly, tc.want, tc.dateOnly)
			}
		})
	}
}
