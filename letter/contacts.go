package letter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
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
// department = yes marks the department's own contact point. Errors name
// the line and what is wrong.
func ParseContacts(r io.Reader) (Contacts, error) {
	var out Contacts
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || strings.TrimSpace(line[1:len(line)-1]) == "" {
				return nil, fmt.Errorf("line %d: a block starts with [name], got %q", n, line)
			}
			out = append(out, Contact{Name: strings.TrimSpace(line[1 : len(line)-1])})
			seen = map[string]bool{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected key = value, got %q", n, line)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("line %d: %q comes before the first [name]", n, line)
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		if seen[key] {
			return nil, fmt.Errorf("line %d: %s given twice in [%s]", n, key, out[len(out)-1].Name)
		}
		seen[key] = true
		c := &out[len(out)-1]
		var err error
		switch key {
		case "about":
			c.About = value
		case "person":
			c.Person = value
		case "phone":
			c.Phone, err = phone(value)
		case "hotline":
			c.Hotline, err = phone(value)
		case "email":
			if value != "" && (!strings.Contains(value, "@") || strings.ContainsAny(value, " ,;")) {
				err = fmt.Errorf("%q is not an e-mail address", value)
			}
			c.Email = value
		case "help":
			c.Help, err = yes(value)
		case "department":
			c.Department, err = yes(value)
		default:
			return nil, fmt.Errorf("line %d: unknown key %q (known: %s)", n, key, strings.Join(contactKeys, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no contact point: the file needs at least one [name] block")
	}
	helps := 0
	for _, c := range out {
		if c.Help {
			helps++
		}
	}
	if helps > 1 {
		return nil, errors.New("help = yes is set on more than one contact point")
	}
	return out, nil
}

// LoadContacts reads the contacts file at path; an empty path gives the
// defaults.
func LoadContacts(path string) (Contacts, error) {
	if path == "" {
		return DefaultContacts(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ParseContacts(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// phone accepts what people write for Vietnamese phone numbers: digits
// with dots, spaces, dashes, parentheses and a leading +.
func phone(v string) (string, error) {
	digits, ok := phoneDigits(v)
	if !ok || v != "" && (digits < 3 || digits > 15) {
		return "", fmt.Errorf("%q is not a phone number", v)
	}
	return v, nil
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

func yes(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "1", "có", "co":
		return true, nil
	case "no", "false", "0", "không", "khong", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", v)
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
