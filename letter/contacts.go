package letter

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Contact is one emergency contact point: a national centre or the
// department's own officer.
type Contact struct {
	// Name is how the contact is shown ("VNCERT/CC"). Empty for the
	// department's own contact point, which is shown in the user's
	// language.
	Name string
	// About says what the contact point is.
	About   string
	Person  string
	Phone   string
	Hotline string
	Email   string
	// Help marks the contact named in the one help line under critical
	// alerts and incident confirmations.
	Help bool
	// Department marks the department's own contact point.
	Department bool
}

// Contacts are the contact points in the order /contacts shows them.
type Contacts []Contact

// DefaultContacts are the contact points named in the department's 2023
// letter. National bodies and numbers changed after 2025: a department
// checks them and replaces them with CANHBAO_CONTACTS.
func DefaultContacts() Contacts {
	return Contacts{
		{Name: "VNCERT/CC", About: "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam", Phone: "024.3640.4421",
			Hotline: "086.9100.317", Email: "ir@vncert.vn", Help: true},
		{Name: "NCSC", About: "Trung tâm Giám sát an toàn không gian mạng quốc gia", Phone: "024.3209.1616",
			Hotline: "038.9942.878", Email: "ais@mic.gov.vn"},
		{Department: true},
	}
}

// contactKeys are the keys a block of the contacts file may set.
var contactKeys = []string{"about", "person", "phone", "hotline", "email", "help", "department"}

// ParseContacts reads the contacts file format:
//
//	# a comment
//	[VNCERT/CC]
//	about   = Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam
//	phone   = 024.3640.4421
//	hotline = 086.9100.317
//	email   = ir@vncert.vn
//	help    = yes
//
//	[Sở Khoa học và Công nghệ]
//	department = yes
//	person  = Nguyễn Văn A, Phòng Công nghệ thông tin
//	phone   = 0912.345.678
//	email   = attt@example.gov.vn
//
// One block per contact point, in the order shown. help = yes names the
// contact of the help line (else the first block with a hotline or phone);
// department = yes marks the department's own contact point. An error is
// a *ContactsError: which line and field is wrong, and how.
func ParseContacts(r io.Reader) (Contacts, error) {
	var out Contacts
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	n, help := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || strings.TrimSpace(line[1:len(line)-1]) == "" {
				return nil, &ContactsError{Line: n, Mistake: BadBlockName, Value: line}
			}
			out = append(out, Contact{Name: strings.TrimSpace(line[1 : len(line)-1])})
			seen = map[string]bool{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &ContactsError{Line: n, Mistake: NotKeyValue, Value: line}
		}
		if len(out) == 0 {
			return nil, &ContactsError{Line: n, Mistake: BeforeFirstBlock, Value: line}
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		c := &out[len(out)-1]
		wrong := &ContactsError{Line: n, Key: key, Value: value, Block: c.Name}
		if seen[key] {
			wrong.Mistake = KeyTwice
			return nil, wrong
		}
		seen[key] = true
		ok = true
		switch key {
		case "about":
			c.About = value
		case "person":
			c.Person = value
		case "phone":
			c.Phone, ok = phone(value)
			wrong.Mistake = NotPhone
		case "hotline":
			c.Hotline, ok = phone(value)
			wrong.Mistake = NotPhone
		case "email":
			ok = value == "" || strings.Contains(value, "@") && !strings.ContainsAny(value, " ,;")
			c.Email, wrong.Mistake = value, NotEmail
		case "help":
			c.Help, ok = yes(value)
			wrong.Mistake = NotYesNo
			if c.Help {
				help++
			}
			if help > 1 {
				ok, wrong.Mistake = false, HelpTwice
			}
		case "department":
			c.Department, ok = yes(value)
			wrong.Mistake = NotYesNo
		default:
			ok, wrong.Mistake = false, UnknownKey
		}
		if !ok {
			return nil, wrong
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ContactsError{Mistake: Unreadable, Err: err}
	}
	if len(out) == 0 {
		return nil, &ContactsError{Mistake: NoContact}
	}
	return out, nil
}

// LoadContacts reads the contacts file at path; an empty path gives the
// defaults. An error is a *ContactsError naming the path.
func LoadContacts(path string) (Contacts, error) {
	if path == "" {
		return DefaultContacts(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &ContactsError{Path: path, Mistake: Unreadable, Err: err}
	}
	defer f.Close()
	c, err := ParseContacts(f)
	if ce, ok := err.(*ContactsError); ok {
		ce.Path = path
	}
	return c, err
}

// ContactsMistake is the kind of mistake in a contacts file, so that the
// department can be told it in its own language.
type ContactsMistake int

// The mistakes a contacts file can hold.
const (
	Unreadable       ContactsMistake = iota // the file cannot be opened or read (Err)
	BadBlockName                            // a line starting with "[" that is not "[name]"
	NotKeyValue                             // a line that is not "key = value"
	BeforeFirstBlock                        // "key = value" before the first [name]
	KeyTwice                                // a key given twice in one block
	UnknownKey                              // a key the format does not have
	NotPhone                                // phone or hotline that is not a phone number
	NotEmail                                // email that is not an e-mail address
	NotYesNo                                // help or department that is not yes or no
	HelpTwice                               // help = yes on a second contact point
	NoContact                               // no [name] block at all
)

// ContactsError says where the contacts file is wrong and how. Error is
// the detail for the log, in English.
type ContactsError struct {
	Path    string
	Line    int    // 1-based; 0 when the mistake is not on one line
	Key     string // the field, when one is wrong
	Value   string // the field's value, or the whole line
	Block   string // the [name] the field belongs to
	Mistake ContactsMistake
	Err     error // why the file could not be read
}

// ContactKeys are the keys a block of the contacts file may set.
func ContactKeys() []string { return slices.Clone(contactKeys) }

func (e *ContactsError) Error() string {
	var detail string
	switch e.Mistake {
	case Unreadable:
		detail = e.Err.Error()
	case BadBlockName:
		detail = fmt.Sprintf("a block starts with [name], got %q", e.Value)
	case NotKeyValue:
		detail = fmt.Sprintf("expected key = value, got %q", e.Value)
	case BeforeFirstBlock:
		detail = fmt.Sprintf("%q comes before the first [name]", e.Value)
	case KeyTwice:
		detail = fmt.Sprintf("%s given twice in [%s]", e.Key, e.Block)
	case UnknownKey:
		detail = fmt.Sprintf("unknown key %q (known: %s)", e.Key, strings.Join(contactKeys, ", "))
	case NotPhone:
		detail = fmt.Sprintf("%s: %q is not a phone number", e.Key, e.Value)
	case NotEmail:
		detail = fmt.Sprintf("%s: %q is not an e-mail address", e.Key, e.Value)
	case NotYesNo:
		detail = fmt.Sprintf("%s: %q is not yes or no", e.Key, e.Value)
	case HelpTwice:
		detail = "help = yes is set on more than one contact point"
	case NoContact:
		detail = "no contact point: the file needs at least one [name] block"
	}
	if e.Line > 0 {
		detail = fmt.Sprintf("line %d: %s", e.Line, detail)
	}
	if e.Path != "" && e.Mistake != Unreadable {
		detail = e.Path + ": " + detail
	}
	return detail
}

func (e *ContactsError) Unwrap() error { return e.Err }

// phone accepts what people write for Vietnamese phone numbers: digits
// with dots, spaces, dashes, parentheses and a leading +.
func phone(v string) (string, bool) {
	digits, ok := phoneDigits(v)
	return v, ok && (v == "" || digits >= 3 && digits <= 15)
}

// phoneDigits counts the digits of a phone number as written; ok is false
// when it holds anything but digits, spaces, dots, dashes, parentheses
// and +.
func phoneDigits(v string) (digits int, ok bool) {
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" .-()+", r):
		default:
			return digits, false
		}
	}
	return digits, true
}

func yes(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "yes", "true", "1", "có", "co":
		return true, true
	case "no", "false", "0", "không", "khong", "":
		return false, true
	}
	return false, false
}

// HelpLine is the contact named under critical alerts and incident
// confirmations, "VNCERT/CC 086.9100.317 · ir@vncert.vn"; empty when no
// contact has a number or address.
func (cs Contacts) HelpLine() string {
	pick := -1
	for i, c := range cs {
		if c.Help {
			pick = i
			break
		}
		if pick < 0 && (c.Hotline != "" || c.Phone != "") {
			pick = i
		}
	}
	if pick < 0 {
		return ""
	}
	c := cs[pick]
	var parts []string
	number := c.Hotline
	if number == "" {
		number = c.Phone
	}
	head := strings.TrimSpace(c.Name + " " + number)
	if head != "" {
		parts = append(parts, head)
	}
	if c.Email != "" {
		parts = append(parts, c.Email)
	}
	return strings.Join(parts, " · ")
}
