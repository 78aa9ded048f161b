package feeds

import (
	"slices"
	"testing"
	"unicode"

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

		// Negation only when it governs the exploitation verb.
		"centre's name contains không":     {body: "Trung tâm Giám sát an toàn không gian mạng quốc gia ghi nhận lỗ hổng đang bị khai thác.", want: store.SeverityHigh, exploited: true},
		"chưa có bản vá and exploited":     {body: "Hiện chưa có bản vá và lỗ hổng đang bị khai thác.", want: store.SeverityHigh, exploited: true},
		"no patch and actively exploited":  {body: "No patch is available and the vulnerability is being actively exploited.", want: store.SeverityHigh, exploited: true},
		"không dây, hàng không":            {body: "Lỗ hổng trong thiết bị không dây của ngành hàng không đã bị khai thác.", want: store.SeverityHigh, exploited: true},
		"không có bằng chứng":              {body: "Hiện không có bằng chứng cho thấy lỗ hổng đã bị khai thác.", want: store.SeverityUnknown},
		"chưa bị khai thác":                {body: "Lỗ hổng chưa bị khai thác trong thực tế.", want: store.SeverityUnknown},
		"đang tích cực khai thác":          {body: "Các nhóm tin tặc đang tích cực khai thác lỗ hổng này.", want: store.SeverityHigh, exploited: true},
		"ghi nhận các cuộc tấn công":       {body: "NCSC đã ghi nhận các cuộc tấn công khai thác lỗ hổng.", want: store.SeverityHigh, exploited: true},
		"bị tin tặc lợi dụng":              {body: "Lỗ hổng bị tin tặc lợi dụng để cài mã độc.", want: store.SeverityHigh, exploited: true},
		"khai thác trong thực tế":          {body: "Đã có mã khai thác trong thực tế.", want: store.SeverityHigh, exploited: true},
		"in the wild":                      {body: "Google is aware that an exploit for CVE-2026-1 exists in the wild.", want: store.SeverityHigh, exploited: true},
		"under active attack":              {body: "Ivanti EPMM under active attack", want: store.SeverityHigh, exploited: true},
		"global targeting of firewalls":    {title: "Alert: NCSC issues advice following global targeting of Fortinet firewalls and VPN gateways", def: store.SeverityLow, want: store.SeverityHigh, exploited: true},
		"could be exploited in the wild":   {body: "The flaw could be exploited in the wild by remote attackers.", want: store.SeverityUnknown},
		"if actively exploited":            {body: "If actively exploited, this flaw gives full control.", want: store.SeverityUnknown},
		"may be exploited":                 {body: "This vulnerability may be exploited to run code; it may be exploited in the wild.", want: store.SeverityUnknown},
		"có thể bị khai thác":              {body: "Lỗ hổng có thể bị khai thác trong thực tế.", want: store.SeverityUnknown},
		"not much evidence yet":            {body: "There's not much evidence yet that it will be exploitable in common configurations.", want: store.SeverityUnknown},
		"score at the end of a line":       {body: "Lỗ hổng CVE-2026-1 có điểm CVSS 6,5.\nCần cập nhật.", want: store.SeverityMedium, score: 6.5},
		"score at the end of a paragraph":  {body: "Base score: 9.8.\n\nAffected: all", want: store.SeverityCritical, score: 9.8},
		"score at the very end":            {body: "CVSS 6,5.", want: store.SeverityMedium, score: 6.5},
		"range in Vietnamese":              {body: "Các lỗ hổng có điểm CVSS từ 5,3 đến 9,8.", want: store.SeverityCritical, score: 9.8},
		"range in English":                 {body: "CVSS scores ranging from 5.3 to 9.8", want: store.SeverityCritical, score: 9.8},
		"out of ten":                       {body: "CVSS 7.5/10", want: store.SeverityHigh, score: 7.5},
		"score before điểm CVSS":           {body: "Lỗ hổng có 9,8 điểm CVSS.", want: store.SeverityCritical, score: 9.8},
		"điểm CVSS colon":                  {body: "điểm CVSS: 9,8", want: store.SeverityCritical, score: 9.8},
		"CVSSv3.1 score":                   {body: "CVSSv3.1 9.8", want: store.SeverityCritical, score: 9.8},
		"mức độ: cao":                      {body: "Mức độ: cao", want: store.SeverityHigh},
		"ảnh hưởng mức cao":                {body: "Lỗ hổng ảnh hưởng mức cao tới hệ thống.", want: store.SeverityHigh},
		"severity: high":                   {body: "severity: high", want: store.SeverityHigh},
		"ở mức cao in an unrelated clause": {body: "Số lượng người dùng dịch vụ công trực tuyến duy trì ở mức cao.", def: store.SeverityLow, want: store.SeverityLow},
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
		"strict names as words":              {"Patch Windows and Exchange Server", []string{"Microsoft", "Windows", "Exchange"}},
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
	if !alerts[0].Exploited || alerts[0].Severity != store.SeverityHigh || !slices.Equal(alerts[0].KEV, []string{"CVE-2025-53770"}) {
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

func TestOwnCVEs(t *testing.T) {
	tests := map[string]struct {
		title, body  string
		own, related []string
	}{
		"title names its own": {
			title: "Microsoft SharePoint Server Code Injection Vulnerability (CVE-2025-49704)",
			body:  "It could be chained with CVE-2025-49706. CVE-2025-53770 is a patch bypass for CVE-2025-49704.",
			own:   []string{"CVE-2025-49704"}, related: []string{"CVE-2025-49706", "CVE-2025-53770"},
		},
		"called unrelated": {
			title: "Confirmed remote code execution in Spring Core",
			body:  "This flaw has been assigned CVE-2022-22965. This is not related to CVE-2022-22963, Spring Cloud Function.",
			own:   []string{"CVE-2022-22965"}, related: []string{"CVE-2022-22963"},
		},
		"Vietnamese không liên quan": {
			body: "Lỗ hổng CVE-2026-1111 cho phép thực thi mã; lỗ hổng này không liên quan đến CVE-2025-2222.",
			own:  []string{"CVE-2026-1111"}, related: []string{"CVE-2025-2222"},
		},
		"all in the body": {
			body: "Fixes CVE-2026-1 0001 and CVE-2026-0002, CVE-2026-0003.",
			own:  []string{"CVE-2026-0002", "CVE-2026-0003"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := Classify(tc.title, tc.body)
			if !slices.Equal(c.CVEs, tc.own) || !slices.Equal(c.Related, tc.related) {
				t.Errorf("own %v related %v, want %v %v", c.CVEs, c.Related, tc.own, tc.related)
			}
		})
	}
}

func TestClassifyNews(t *testing.T) {
	tests := map[string]struct {
		title, body string
		news        bool
	}{
		"weekly bulletin":             {"Bulletin d'actualité CERTFR-2026-ACT-034 (10 août 2026)", "Ce bulletin d'actualité du CERT-FR revient sur les vulnérabilités significatives de la semaine passée.", true},
		"Vietnamese conference":       {"Hội thảo an toàn thông tin năm 2026 tại Hà Nội", "Hội thảo thu hút hơn 500 đại biểu.", true},
		"policy statement":            {"NCSC statement in response to recent incidents resulting from frontier AI evaluations", "A statement from the CTO on AI security.", true},
		"general news":                {"Giá vàng hôm nay tăng mạnh", "Giá vàng trong nước tăng 200.000 đồng.", true},
		"advisory without a score":    {"Vulnérabilité dans OpenSSL", "Une vulnérabilité a été découverte dans OpenSSL.", false},
		"report of an exploited flaw": {"Annual report: Ivanti flaw exploited in the wild", "", false},
		"phishing warning":            {"Chiến dịch lừa đảo giả mạo cơ quan nhà nước", "Tin tặc gửi thư điện tử giả mạo.", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if c := Classify(tc.title, tc.body); c.News != tc.news {
				t.Errorf("news = %v, want %v (%+v)", c.News, tc.news, c)
			}
		})
	}
}

func TestVendorsOfItems(t *testing.T) {
	tests := map[string]struct {
		title, body string
		want        []string
	}{
		"Japanese name":              {"マイクロソフト社製品の脆弱性対策について", "", []string{"Microsoft"}},
		"MS Office":                  {"Lỗ hổng trong MS Office", "", []string{"Microsoft", "Office"}},
		"product brings its vendor":  {"FortiGate SSL-VPN flaw", "", []string{"Fortinet", "FortiGate"}},
		"slashed spellings":          {"Lỗ hổng trong Fortinet/FortiOS/FortiGate", "", []string{"Fortinet", "FortiOS", "FortiGate"}},
		"MS for Microsoft":           {"Cảnh báo lỗ hổng MS Exchange và MS SQL", "", []string{"Microsoft", "Exchange", "SQL Server"}},
		"new vendors":                {"Vulnérabilités dans Ceph, SPIP, TYPO3 et Apereo CAS", "BIND 9 de l'ISC. React Server Components. Array Networks ArrayOS. FileZen. LANSCOPE. LG Electronics. Contiki-NG.", []string{"Ceph", "SPIP", "TYPO3", "Apereo", "CAS", "ISC", "BIND", "Meta", "React", "Array Networks", "ArrayOS", "Soliton", "FileZen", "MOTEX", "LANSCOPE", "LG Electronics", "Contiki-NG"}},
		"title first":                {"Cisco IOS XE flaw", "Unlike the Microsoft bug last week, Cisco …", []string{"Cisco", "IOS XE", "Microsoft"}},
		"bundled component":          {"Applied Systems Engineering ASE2000 V2 Communications Test Set", "ASE2000 versions 2.25 through 2.37 is vulnerable to Apache log4net versions before 2.0.10. In version 2.38 the bundled log4net library is upgraded.", []string{"Applied Systems Engineering"}},
		"no title vendor keeps body": {"Lỗ hổng thư viện", "Thư viện Apache log4net bị lỗi.", []string{"Apache"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Classify(tc.title, tc.body).Vendors; !slices.Equal(got, tc.want) {
				t.Errorf("vendors %v, want %v", got, tc.want)
			}
		})
	}
}

// No character before firstCJK is in the scripts written without spaces.
func TestFirstCJK(t *testing.T) {
	for r := rune(0); r < firstCJK; r++ {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			t.Fatalf("%U is before firstCJK", r)
		}
	}
	if !unicode.In(firstCJK, unicode.Hangul) {
		t.Errorf("%U is not Hangul", firstCJK)
	}
}

// caseless characters are their own lower case.
func TestCaseless(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if caseless(r) && (unicode.ToLower(r) != r || unicode.IsUpper(r)) {
			t.Fatalf("%U has a case", r)
		}
	}
}

// wordRune's shortcut for kana and ideographs gives what the script check
// gives.
func TestWordRune(t *testing.T) {
	for _, r := range [][2]rune{{0x3041, 0x3096}, {0x30a1, 0x30fa}, {0x4e00, 0x9fff}} {
		for c := r[0]; c <= r[1]; c++ {
			if !unicode.In(c, unicode.Han, unicode.Hiragana, unicode.Katakana) {
				t.Fatalf("%U is not kana or Han", c)
			}
		}
	}
}
