package bot

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/canhbao/canhbao/letter"
)

// TestContactsProblemInTheReadersLanguage: a mistake in CANHBAO_CONTACTS
// is told to the department in its language, naming the line and the
// field; the parser's English detail goes to the log only.
func TestContactsProblemInTheReadersLanguage(t *testing.T) {
	tests := map[string]struct {
		file   string // "" for no file at all
		vi, en string
		log    string
	}{
		"unknown field": {
			file: "[VNCERT/CC]\nhotline = 086.9100.317\nfax = 024.1\n",
			vi:   "dòng 3: không có trường fax; các trường hợp lệ: about, person, phone, hotline, email, help, department. Đang dùng các đầu mối liên hệ mặc định; đề nghị sửa tệp và khởi động lại dịch vụ.",
			en:   "line 3: there is no field fax; the fields are: about, person, phone, hotline, email, help, department. The built-in contacts are used",
			log:  `line 3: unknown key "fax"`,
		},
		"not a phone number": {
			file: "[NCSC]\nphone = gọi tổng đài\n",
			vi:   "dòng 2: trường phone có giá trị “gọi tổng đài”, không phải số điện thoại.",
			en:   "line 2: field phone: “gọi tổng đài” is not a phone number.",
			log:  `line 2: phone: "gọi tổng đài" is not a phone number`,
		},
		"not an e-mail address": {
			file: "[NCSC]\nemail = ais at mic.gov.vn\n",
			vi:   "dòng 2: trường email có giá trị “ais at mic.gov.vn”, không phải địa chỉ thư điện tử.",
			en:   "line 2: field email: “ais at mic.gov.vn” is not an e-mail address.",
			log:  "is not an e-mail address",
		},
		"neither yes nor no": {
			file: "[Sở]\ndepartment = maybe\n",
			vi:   "dòng 2: trường department chỉ nhận giá trị có hoặc không, không nhận “maybe”.",
			en:   "line 2: field department takes yes or no, not “maybe”.",
			log:  `"maybe" is not yes or no`,
		},
		"a field given twice": {
			file: "[NCSC]\nphone = 024.3209.1616\nphone = 024.3209.1617\n",
			vi:   "dòng 3: trường phone được khai báo hai lần cho đầu mối [NCSC].",
			en:   "line 3: field phone is given twice for [NCSC].",
			log:  "phone given twice in [NCSC]",
		},
		"no [name] first": {
			file: "phone = 024.3209.1616\n",
			vi:   "dòng 1: thông tin đứng trước tên đầu mối đầu tiên; đề nghị đặt dưới một dòng [tên đầu mối].",
			en:   "line 1: this comes before the first contact point; put it under a [name] line.",
			log:  "comes before the first [name]",
		},
		"not field = value": {
			file: "[NCSC]\nphone 024\n",
			vi:   "dòng 2: cần viết theo dạng tên trường = giá trị",
			en:   "line 2: write it as field = value",
			log:  "expected key = value",
		},
		"a bad [name]": {
			file: "[NCSC\n",
			vi:   "dòng 1: tên đầu mối phải viết trong ngoặc vuông, ví dụ [VNCERT/CC].",
			en:   "line 1: a contact point's name is written in square brackets",
			log:  "a block starts with [name]",
		},
		"two help lines": {
			file: "[A]\nhelp = yes\n[B]\nhelp = yes\n",
			vi:   "dòng 4: help = có đã được đặt cho một đầu mối trước đó",
			en:   "line 4: help = yes is already set on an earlier contact point",
			log:  "more than one contact point",
		},
		"no contact point": {
			file: "# trống\n",
			vi:   "(CANHBAO_CONTACTS): tệp không có đầu mối nào; cần ít nhất một dòng [tên đầu mối].",
			en:   "(CANHBAO_CONTACTS): the file has no contact point",
			log:  "no contact point",
		},
		"no file": {
			vi:  "(CANHBAO_CONTACTS): không tìm thấy tệp. Đang dùng",
			en:  "(CANHBAO_CONTACTS): the file does not exist. The built-in",
			log: "no such file or directory",
		},
	}
	// What only the parser says, never the Vietnamese notice.
	english := []string{"unknown key", "is not a", "expected key", "given twice in", "comes before", "no such file", "block starts"}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "contacts.txt")
			if tc.file != "" {
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for lang, want := range map[Lang]string{Vietnamese: tc.vi, English: tc.en} {
				r := NewRenderer(lang)
				var logs bytes.Buffer
				problem := r.LoadContacts(path, slog.New(slog.NewTextHandler(&logs, nil)))
				if !strings.Contains(problem, want) || !strings.Contains(problem, path) {
					t.Errorf("%v notice %q, want %q and the path", lang, problem, want)
				}
				for _, e := range english {
					if lang == Vietnamese && strings.Contains(problem, e) {
						t.Errorf("%v notice carries the parser's %q: %q", lang, e, problem)
					}
				}
				if !strings.Contains(logs.String(), strings.ReplaceAll(tc.log, `"`, `\"`)) {
					t.Errorf("log lacks the parser's detail %q:\n%s", tc.log, logs.String())
				}
				if !reflect.DeepEqual(r.Contacts, letter.DefaultContacts()) {
					t.Errorf("a bad file replaced the built-in contacts: %+v", r.Contacts)
				}
			}
		})
	}
}

// TestContactsFileLoaded: a good file replaces the built-in contacts and
// raises no problem.
func TestContactsFileLoaded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "contacts.txt")
	if err := os.WriteFile(path, []byte("[NCSC]\nhotline = 038.9942.878\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := NewRenderer(Vietnamese)
	if problem := r.LoadContacts(path, slog.New(slog.DiscardHandler)); problem != "" || len(r.Contacts) != 1 || r.Contacts[0].Name != "NCSC" {
		t.Fatalf("problem %q, contacts %+v", problem, r.Contacts)
	}
}
