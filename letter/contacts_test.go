package letter

import (
	"strings"
	"testing"
)

func TestParseContactsErrors(t *testing.T) {
	tests := map[string]struct{ file, want string }{
		"unknown key":   {"[A]\nfax = 1\n", `line 2: unknown key "fax"`},
		"before block":  {"phone = 0912345678\n", "line 1: \"phone = 0912345678\" comes before the first [name]"},
		"no equals":     {"[A]\nphone 0912\n", "line 2: expected key = value"},
		"bad phone":     {"[A]\nphone = call me\n", `line 2: phone: "call me" is not a phone number`},
		"bad email":     {"[A]\nemail = ir at vncert\n", `line 2: email: "ir at vncert" is not an e-mail address`},
		"twice":         {"[A]\nphone = 1234\nphone = 5678\n", "line 3: phone given twice in [A]"},
		"empty name":    {"[ ]\n", "line 1: a block starts with [name]"},
		"empty":         {"# nothing\n", "no contact point"},
		"two helps":     {"[A]\nhelp = yes\n[B]\nhelp = yes\n", "more than one"},
		"bad yes or no": {"[A]\nhelp = maybe\n", `"maybe" is not yes or no`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseContacts(strings.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestHelpLine(t *testing.T) {
	if got := DefaultContacts().HelpLine(); got != "VNCERT/CC 086.9100.317 · ir@vncert.vn" {
		t.Errorf("default help line %q", got)
	}
	cs, err := ParseContacts(strings.NewReader("\uFEFF[Sở]\ndepartment = yes\n[NCSC]\nphone = 024.3209.1616\nemail = ais@mic.gov.vn\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cs.HelpLine(); got != "NCSC 024.3209.1616 · ais@mic.gov.vn" {
		t.Errorf("help line falls back to the first contact with a number: %q", got)
	}
	if !cs[0].Department || cs[0].Name != "Sở" {
		t.Errorf("%+v", cs[0])
	}
	if got := (Contacts{{Name: "X"}}).HelpLine(); got != "" {
		t.Errorf("no number, no line: %q", got)
	}
}

func TestTag(t *testing.T) {
	tests := map[string]string{
		"so-ban-nganh": "so-ban-nganh", "@UBND-huyện": "ubnd-huyen", "#Đoàn_thể": "doan-the",
		"Sở ban ngành": "so-ban-nganh", "báo.chí": "bao-chi", "sở/ngành": "", "@": "", "---": "",
		strings.Repeat("a", 33): "",
	}
	for in, want := range tests {
		got, ok := Tag(in)
		if got != want && ok || ok != (want != "") {
			t.Errorf("Tag(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	tags, bad, rest := LeadingTags("@ubnd-huyen @so/nganh  @bao-chi [cao] Tiêu đề @khong-phai")
	if strings.Join(tags, ",") != "ubnd-huyen,bao-chi" || len(bad) != 1 || rest != "[cao] Tiêu đề @khong-phai" {
		t.Errorf("LeadingTags: %v %v %q", tags, bad, rest)
	}
}
