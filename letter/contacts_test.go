package letter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseContactsErrors: each mistake names its line, field and kind
// (for the department's notice) and keeps the English detail (for the
// log).
func TestParseContactsErrors(t *testing.T) {
	tests := map[string]struct {
		file    string
		want    ContactsError
		logLine string
	}{
		"unknown key":   {"[A]\nfax = 1\n", ContactsError{Line: 2, Key: "fax", Value: "1", Block: "A", Mistake: UnknownKey}, `line 2: unknown key "fax"`},
		"before block":  {"phone = 0912345678\n", ContactsError{Line: 1, Value: "phone = 0912345678", Mistake: BeforeFirstBlock}, "line 1: \"phone = 0912345678\" comes before the first [name]"},
		"no equals":     {"[A]\nphone 0912\n", ContactsError{Line: 2, Value: "phone 0912", Mistake: NotKeyValue}, "line 2: expected key = value"},
		"bad phone":     {"[A]\nphone = call me\n", ContactsError{Line: 2, Key: "phone", Value: "call me", Block: "A", Mistake: NotPhone}, `line 2: phone: "call me" is not a phone number`},
		"bad hotline":   {"[A]\nhotline = 12\n", ContactsError{Line: 2, Key: "hotline", Value: "12", Block: "A", Mistake: NotPhone}, `line 2: hotline: "12" is not a phone number`},
		"bad email":     {"[A]\nemail = ir at vncert\n", ContactsError{Line: 2, Key: "email", Value: "ir at vncert", Block: "A", Mistake: NotEmail}, `line 2: email: "ir at vncert" is not an e-mail address`},
		"twice":         {"[A]\nphone = 1234\nphone = 5678\n", ContactsError{Line: 3, Key: "phone", Value: "5678", Block: "A", Mistake: KeyTwice}, "line 3: phone given twice in [A]"},
		"empty name":    {"[ ]\n", ContactsError{Line: 1, Value: "[ ]", Mistake: BadBlockName}, "line 1: a block starts with [name]"},
		"empty":         {"# nothing\n", ContactsError{Mistake: NoContact}, "no contact point"},
		"two helps":     {"[A]\nhelp = yes\n[B]\nhelp = có\n", ContactsError{Line: 4, Key: "help", Value: "có", Block: "B", Mistake: HelpTwice}, "line 4: help = yes is set on more than one"},
		"bad yes or no": {"[A]\nhelp = maybe\n", ContactsError{Line: 2, Key: "help", Value: "maybe", Block: "A", Mistake: NotYesNo}, `line 2: help: "maybe" is not yes or no`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseContacts(strings.NewReader(tc.file))
			var ce *ContactsError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *ContactsError", err)
			}
			if *ce != tc.want {
				t.Errorf("got %+v, want %+v", *ce, tc.want)
			}
			if !strings.Contains(err.Error(), tc.logLine) {
				t.Errorf("detail %q, want %q", err, tc.logLine)
			}
		})
	}
}

// TestLoadContactsNamesThePath: the detail for the log names the file.
func TestLoadContactsNamesThePath(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "contacts.txt")
	if err := os.WriteFile(bad, []byte("[A]\nfax = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "none.txt")
	tests := map[string]struct {
		path    string
		mistake ContactsMistake
		detail  string
	}{
		"a mistake": {bad, UnknownKey, bad + `: line 2: unknown key "fax"`},
		"no file":   {missing, Unreadable, "no such file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := LoadContacts(tc.path)
			var ce *ContactsError
			if !errors.As(err, &ce) || ce.Path != tc.path || ce.Mistake != tc.mistake || !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("error %v (%+v), want %q", err, ce, tc.detail)
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
