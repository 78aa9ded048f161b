package bot

import (
	"testing"

	"github.com/canhbao/canhbao/store"
)

func TestLeadingSeverity(t *testing.T) {
	tests := map[string]struct {
		in   string
		sev  store.Severity
		rest string
	}{
		"brackets":             {"[cao] Cảnh báo dịp nghỉ lễ", store.SeverityHigh, "Cảnh báo dịp nghỉ lễ"},
		"parentheses":          {"(Nghiêm trọng) Lỗ hổng Exchange", store.SeverityCritical, "Lỗ hổng Exchange"},
		"colon":                {"cao: Cảnh báo lừa đảo", store.SeverityHigh, "Cảnh báo lừa đảo"},
		"level words":          {"Mức độ nghiêm trọng - Lỗ hổng VPN", store.SeverityCritical, "Lỗ hổng VPN"},
		"english pipe":         {"critical | Patch now", store.SeverityCritical, "Patch now"},
		"bare word is a title": {"Cao điểm tấn công mạng dịp Tết", store.SeverityUnknown, "Cao điểm tấn công mạng dịp Tết"},
		"place name":           {"Cao Bằng: cảnh báo lừa đảo", store.SeverityUnknown, "Cao Bằng: cảnh báo lừa đảo"},
		"thấp thoáng":          {"Thấp thoáng mã độc mới", store.SeverityUnknown, "Thấp thoáng mã độc mới"},
		"colon later in title": {"Cảnh báo: lỗ hổng mới", store.SeverityUnknown, "Cảnh báo: lỗ hổng mới"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sev, rest := leadingSeverity(tc.in)
			if sev != tc.sev || rest != tc.rest {
				t.Fatalf("leadingSeverity(%q) = %s, %q; want %s, %q", tc.in, sev, rest, tc.sev, tc.rest)
			}
		})
	}
}

func TestApplyFilterForms(t *testing.T) {
	tests := map[string]struct {
		args []string
		want store.Filter
	}{
		"mức cao":           {[]string{"mức", "cao"}, store.Filter{MinSeverity: store.SeverityHigh}},
		"mức độ cao":        {[]string{"mức", "độ", "cao"}, store.Filter{MinSeverity: store.SeverityHigh}},
		"min high":          {[]string{"min", "high"}, store.Filter{MinSeverity: store.SeverityHigh}},
		"từ khóa two words": {[]string{"từ", "khóa", "microsoft,", "vpn"}, store.Filter{Keywords: []string{"microsoft", "vpn"}}},
		"từ-khóa":           {[]string{"từ-khóa", "microsoft"}, store.Filter{Keywords: []string{"microsoft"}}},
		"nguồn":             {[]string{"nguồn", "cisa", "msrc"}, store.Filter{Sources: []string{"cisa", "msrc"}}},
		"mức nghiêm trọng":  {[]string{"mức", "nghiêm", "trọng"}, store.Filter{MinSeverity: store.SeverityCritical}},
		"reset":             {[]string{"xóa"}, store.Filter{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := applyFilter(store.Filter{}, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if got.MinSeverity != tc.want.MinSeverity || len(got.Keywords) != len(tc.want.Keywords) || len(got.Sources) != len(tc.want.Sources) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got.Keywords {
				if got.Keywords[i] != tc.want.Keywords[i] {
					t.Fatalf("keywords %q, want %q", got.Keywords, tc.want.Keywords)
				}
			}
		})
	}
	if _, err := applyFilter(store.Filter{}, []string{"frobnicate"}); err == nil {
		t.Fatal("unknown form accepted")
	}
}
