package feeds

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/canhbao/canhbao/store"
)

// readGzipFixture reads a testdata document stored compressed (a hostile
// document is megabytes of repetition).
func readGzipFixture(t testing.TB, name string) []byte {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(readFixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseCapsJSONStrings: one string of a JSON Feed or of the KEV
// catalogue larger than MaxFieldBytes is refused as XML fields are, before
// gofeed and the text cleaner read it; strings up to the cap are kept.
func TestParseCapsJSONStrings(t *testing.T) {
	const feed = `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"t",`
	huge := strings.Repeat("a", MaxFieldBytes)
	tests := map[string]struct {
		src  store.Source
		body string
		want error
	}{
		// A real JSON Feed whose newest post carries 2.4 MB of escaped
		// markup and quotes.
		"JSON Feed, a content_html of 2.4 MB (testdata)": {feedSrc, string(readGzipFixture(t, "jsonfeed-hostile-content.json.gz")), ErrFieldTooLarge},
		"JSON Feed, a summary of escaped quotes":         {feedSrc, feed + `"summary":"` + strings.Repeat(`\"`, MaxFieldBytes/2+1) + `"}]}`, ErrFieldTooLarge},
		"JSON Feed, a key of 1 MiB":                      {feedSrc, feed + `"_` + huge + `":1}]}`, ErrFieldTooLarge},
		"JSON Feed, an unclosed string":                  {feedSrc, feed + `"content_text":"` + huge + "a", ErrFieldTooLarge},
		"KEV, notes of 1 MiB":                            {kevSrc, `{"vulnerabilities":[{"cveID":"CVE-2024-1","notes":"` + huge + `"}]}`, ErrFieldTooLarge},
		"JSON Feed, a content_text at the cap":           {feedSrc, feed + `"content_text":"` + huge[:MaxFieldBytes-1] + `"}]}`, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			alerts, err := Parse(tc.src, []byte(tc.body), "", testNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %d alerts, %v; want %v", len(alerts), err, tc.want)
			}
			if tc.want == nil {
				if len(alerts) != 1 {
					t.Fatalf("%d alerts, want 1", len(alerts))
				}
				return
			}
			if !strings.HasPrefix(err.Error(), "feeds: parse "+tc.src.Name+": "+tc.want.Error()+": a string of more than 1 MiB") {
				t.Errorf("error does not say what is wrong: %v", err)
			}
		})
	}
}
