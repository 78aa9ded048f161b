package feeds

import (
	"slices"
	"testing"

	"github.com/canhbao/canhbao/store"
)

func TestClassifySeverity(t *testing.T) {
	tests := map[string]struct {
		title, body string
		def         store.Severity // source default
		want        store.Severity
		exploited   bool
		score       float64
	}{
		"Vietnamese CVSS with decimal comma": {body: "Lỗ hổng CVE-2026-1234 có điểm CVSS 9,8.", want: store.SeverityCritical, score: 9.8},
		"CVSS colon":                         {body: "Severity score (CVSS: 7.5)", want: store.SeverityHigh, score: 7.5},
		"CVSS v3.1 colon comma":              {body: "CVSS v3.1: 9,8", want: store.SeverityCritical, score: 9.8},
		"CVSS version then score":            {body: "a CVSS 3.1 base score of 6.5 has been calculated", want: store.SeverityMedium, score: 6.5},
		"CVSSv3 score of":                    {body: "with a CVSSv3 score of 4.3", want: store.SeverityMedium, score: 4.3},
		"CVSS 10":                            {body: "CVSS: 10", want: store.SeverityCritical, score: 10},
		"low score":                          {body: "CVSS 3.1", want: store.SeverityLow, score: 3.1},
		"highest score wins":                 {body: "CVE-A: CVSS 5.3\nCVE-B: CVSS 8.1", want: store.SeverityHigh, score: 8.1},
		"score beats words":                  {body: "critical vulnerability (CVSS 5.3)", want: store.SeverityMedium, score: 5.3},
		"vector only":                        {body: "Vector: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", want: store.SeverityCritical, score: 9.8},
		"bare vector":                        {body: "the CVSS vector string is (AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N)", want: store.SeverityHigh, score: 7.4},
		"v4 vector ignored":                  {body: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", want: store.SeverityUnknown},
		"table header is not a score":        {body: "CVSS | Vendor | Equipment\nv3 | Acme 2.0", want: store.SeverityUnknown},
		"mức độ nghiêm trọng":                {body: "Lỗ hổng có mức độ nghiêm trọng, cho phép thực thi mã từ xa.", want: store.SeverityCritical},
		"mức độ nghiêm trọng: Cao":           {body: "Mức độ nghiêm trọng: Cao", want: store.SeverityHigh},
		"mức độ nghiêm trọng cao":            {body: "lỗ hổng có mức độ nghiêm trọng cao", want: store.SeverityHigh},
		"mức độ cao":                         {body: "Cảnh báo lỗ hổng ở mức độ cao", want: store.SeverityHigh},
		"mức độ trung bình":                  {body: "Mức độ: Trung bình", want: store.SeverityMedium},
		"nguy cơ thấp":                       {body: "Lỗ hổng có nguy cơ thấp", want: store.SeverityLow},
		"lỗ hổng bảo mật nghiêm trọng":       {title: "Nhiều lỗ hổng bảo mật nghiêm trọng tồn tại trong các sản phẩm Microsoft", want: store.SeverityCritical},
		"nghiêm trọng in a title":            {title: "Cảnh báo chiến dịch tấn công nghiêm trọng", want: store.SeverityCritical},
		"không nghiêm trọng in a title":      {title: "Lỗi không nghiêm trọng trong phần mềm", def: store.SeverityLow, want: store.SeverityLow},
		"Important":                          {body: "Maximum Severity Rating: Important", want: store.SeverityHigh},
		"rated Important":                    {body: "Microsoft has rated this update Important.", want: store.SeverityHigh},
		"Critical severity":                  {body: "Atom category: Critical Severity", want: store.SeverityCritical},
		"high-severity":                      {body: "A high-severity flaw in Chrome", want: store.SeverityHigh},
		"Moderate":                           {body: "Severity: Moderate", want: store.SeverityMedium},
		"Low":                                {body: "Impact rating: Low", want: store.SeverityLow},
		"actively exploited":                 {body: "Apple is aware of a report that this issue may have been actively exploited.", want: store.SeverityHigh, exploited: true},
		"exploited in the wild":              {body: "Google is aware that an exploit for CVE-2026-1 exists in the wild and it was exploited in the wild.", want: store.SeverityHigh, exploited: true},
		"đang bị khai thác trong thực tế":    {body: "Lỗ hổng CVE-2026-1 đang bị khai thác trong thực tế.", def: store.SeverityLow, want: store.SeverityHigh, exploited: true},
		"exploited keeps a higher score":     {body: "CVSS 9.8, actively exploited", want: store.SeverityCritical, exploited: true, score: 9.8},
		"exploited raises a lower score":     {body: "CVSS 5.4; đang bị khai thác", want: store.SeverityHigh, exploited: true, score: 5.4},
		"source default":                     {body: "Une vulnérabilité a été découverte dans OpenSSL.", def: store.SeverityMedium, want: store.SeverityMedium},
		"nothing at all":                     {body: "Bản tin tuần", want: store.SeverityUnknown},
		"invalid default becomes unknown":    {body: "x", def: "bogus", want: store.SeverityUnknown},

		// Words that must not match.
		"nâng cao is not high":                {body: "Cần nâng cao nhận thức và tăng cường giám sát; cán bộ cấp cao.", def: store.SeverityLow, want: store.SeverityLow},
		"trung bình mỗi tuần is not medium":   {body: "Trung bình mỗi tuần có 766 lỗ hổng mới.", want: store.SeverityUnknown},
		"thấp alone is not low":               {body: "giảm thấp chi phí", want: store.SeverityUnknown},
		"hậu quả nghiêm trọng in a body":      {body: "có thể gây ra hậu quả nghiêm trọng", want: store.SeverityUnknown},
		"critical infrastructure":             {body: "Critical Infrastructure Sectors: Energy, Critical Manufacturing", want: store.SeverityUnknown},
		"Critical Function Vulnerability":     {body: "Missing Authentication for Critical Function Vulnerability", want: store.SeverityUnknown},
		"high-risk is not a severity":         {body: "prioritize remediation of high-risk vulnerabilities; low complexity", want: store.SeverityUnknown},
		"important to patch":                  {body: "It is important to patch. Attack complexity is low.", want: store.SeverityUnknown},
		"not exploited":                       {body: "Microsoft is not aware of active exploitation.", want: store.SeverityUnknown},
		"no known exploitation":               {body: "There is no evidence the flaw has been exploited.", want: store.SeverityUnknown},
		"chưa ghi nhận khai thác":             {body: "Hiện chưa ghi nhận khai thác trong thực tế.", want: store.SeverityUnknown},
		"exploitation less likely":            {body: "Exploitation Less Likely", want: store.SeverityUnknown},
		"version is not a score":              {body: "Apache log4net versions before 2.0.10; CVSS v3", want: store.SeverityUnknown},
		"comma clause does not negate":        {body: "No patch is available yet, and the flaw is being actively exploited", want: store.SeverityHigh, exploited: true},
		"ICS: no known public exploitation":   {body: "No known public exploitation specifically targeting these vulnerabilities has been reported to CISA at this time.", want: store.SeverityUnknown},
		"KEV boilerplate is not exploitation": {body: "Aware of an exploited vulnerability not currently listed in the KEV Catalog?", want: store.SeverityUnknown},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := Classify(tc.title, tc.body)
			if got := c.Resolve(tc.def); got != tc.want {
				t.Errorf("severity = %s, want %s (classification %+v)", got, tc.want, c)
			}
			if c.Exploited != tc.exploited {
				t.Errorf("exploited = %v, want %v", c.Exploited, tc.exploited)
			}
			if c.Score != tc.score {
				t.Errorf("score = %v, want %v", c.Score, tc.score)
			}
		})
	}
}

func TestCVSS3Score(t *testing.T) {
	// Scores as published by NVD / FIRST's calculator.
	tests := map[string]float64{
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10.0,
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N": 7.5,
		"AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H": 7.8,
		"AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N": 6.1,
		"AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N": 7.4,
		"AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H": 8.8,
		"AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H": 9.1,
		"AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 8.8,
		"AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N": 1.6,
		"AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N": 0,
	}
	for vec, want := range tests {
		t.Run(vec, func(t *testing.T) {
			m := cvss3VectorRe.FindStringSubmatch("CVSS:3.1/" + vec)
			if m == nil {
				t.Fatal("vector not matched")
			}
			got, ok := cvss3Score(m[1:])
			if !ok || got != want {
				t.Errorf("score = %v (%v), want %v", got, ok, want)
			}
		})
	}
}

func TestFindCVEs(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []string
	}{
		"plain and sorted":      {"CVE-2026-1340 and CVE-2026-1281, again CVE-2026-1340", []string{"CVE-2026-1281", "CVE-2026-1340"}},
		"full-width parens":     {"脆弱性（CVE-2026-1281、CVE-2026-1340）に関する", []string{"CVE-2026-1281", "CVE-2026-1340"}},
		"lower case":            {"see cve-2021-44228", []string{"CVE-2021-44228"}},
		"numeric order":         {"CVE-2024-10000 CVE-2024-9999 CVE-2023-50000", []string{"CVE-2023-50000", "CVE-2024-9999", "CVE-2024-10000"}},
		"typographic hyphen":    {"CVE‑2024‑3400", []string{"CVE-2024-3400"}},
		"too few digits":        {"CVE-2024-123", nil},
		"too many digits":       {"CVE-2024-12345678", nil},
		"in a URL":              {"https://www.cve.org/CVERecord?id=CVE-2018-1285", []string{"CVE-2018-1285"}},
		"Vietnamese parens":     {"(CVE-2026-21333)", []string{"CVE-2026-21333"}},
		"none":                  {"no ids here", nil},
		"JVN ids are not CVEs":  {"JVN#79096585 JVNDB-2023-028579", nil},
		"CVE inside other word": {"XCVE-2024-3400", []string{"CVE-2024-3400"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FindCVEs(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("FindCVEs(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestFindVendors(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []string
	}{
		"canonical spelling":                 {"microsoft windows and MICROSOFT EXCHANGE", []string{"Microsoft", "Exchange"}},
		"strict names as words":              {"Patch Windows and Exchange Server", []string{"Windows", "Exchange"}},
		"common words no match":              {"open the windows, exchange ideas, outlook is good", nil},
		"multi-word":                         {"Palo Alto Networks PAN-OS GlobalProtect; Palo Alto firewalls", []string{"Palo Alto Networks", "PAN-OS", "GlobalProtect"}},
		"products and vendors":               {"Fortinet FortiOS and Ivanti Connect Secure", []string{"Fortinet", "FortiOS", "Ivanti"}},
		"next to Japanese":                   {"注意喚起: Ivantiの脆弱性とCitrix製品", []string{"Ivanti", "Citrix"}},
		"Vietnamese text":                    {"các sản phẩm của Microsoft, Cisco và VMware", []string{"Microsoft", "Cisco", "VMware"}},
		"whole words only":                   {"Ciscoe Applepie Linuxer", nil},
		"progress only as Progress Software": {"work in progress; Progress Software MOVEit Transfer", []string{"Progress", "MOVEit"}},
		"hyphenated":                         {"D-Link and TP-Link routers, 7-Zip", []string{"D-Link", "TP-Link", "7-Zip"}},
		"Linux-based":                        {"a Linux-based appliance", []string{"Linux"}},
		"padding oracle":                     {"a padding oracle attack", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FindVendors(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("FindVendors(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestClassifierKEV(t *testing.T) {
	var c Classifier
	kev := store.Source{Name: "cisa-kev", Kind: store.KindKEV}
	c.Apply(kev, []store.Alert{{CVEs: []string{"CVE-2025-53770"}}, {CVEs: []string{"CVE-2024-3400"}}})
	if c.KEVSize() != 2 || !c.InKEV("cve-2024-3400") {
		t.Fatalf("KEV set not kept: %d", c.KEVSize())
	}

	feed := store.Source{Name: "certfr", Kind: store.KindFeed}
	alerts := []store.Alert{
		{Key: "a", Severity: store.SeverityMedium, CVEs: []string{"CVE-2020-0001", "CVE-2025-53770"}},
		{Key: "b", Severity: store.SeverityCritical, CVEs: []string{"CVE-2024-3400"}},
		{Key: "c", Severity: store.SeverityLow, CVEs: []string{"CVE-2020-0001"}},
	}
	c.Apply(feed, alerts)
	if !alerts[0].Exploited || alerts[0].Severity != store.SeverityHigh {
		t.Errorf("medium alert with a KEV CVE: %+v", alerts[0])
	}
	if !alerts[1].Exploited || alerts[1].Severity != store.SeverityCritical {
		t.Errorf("critical must stay critical: %+v", alerts[1])
	}
	if alerts[2].Exploited || alerts[2].Severity != store.SeverityLow {
		t.Errorf("alert without KEV CVE changed: %+v", alerts[2])
	}

	// The next KEV poll replaces the set.
	c.Apply(kev, []store.Alert{{CVEs: []string{"CVE-2024-3400"}}})
	if c.InKEV("CVE-2025-53770") || c.KEVSize() != 1 {
		t.Error("KEV set not replaced")
	}
}
