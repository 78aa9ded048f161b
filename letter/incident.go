package letter

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// The steps of a guided incident report, in the order they are asked.
const (
	StepDiscovered = "discovered"
	StepSystem     = "system"
	StepType       = "type"
	StepWhat       = "what"
	StepActions    = "actions"
	StepSupport    = "support"
	StepPhone      = "phone"
)

// Steps lists the questions of a guided report in order.
var Steps = []string{StepDiscovered, StepSystem, StepType, StepWhat, StepActions, StepSupport, StepPhone}

// StepNumber is a step's place in Steps, from 1; 0 for an unknown step.
func StepNumber(step string) int {
	for i, s := range Steps {
		if s == step {
			return i + 1
		}
	}
	return 0
}

// NextStep is the first question the report has no answer to, or "" when
// it is complete.
func NextStep(i *store.Incident) string {
	for _, s := range Steps {
		if !Answered(i, s) {
			return s
		}
	}
	return ""
}

// Answered reports whether the report has an answer for step.
func Answered(i *store.Incident, step string) bool {
	switch step {
	case StepDiscovered:
		return !i.DiscoveredAt.IsZero()
	case StepSystem:
		return i.System != ""
	case StepType:
		return i.Type != ""
	case StepWhat:
		return i.Description != ""
	case StepActions:
		return i.Actions != ""
	case StepSupport:
		return i.Support != ""
	case StepPhone:
		return i.Phone != ""
	}
	return true
}

// IncidentTypes are the kinds of incident an agency chooses from, as the
// ministry's reporting forms name them.
var IncidentTypes = []string{"malware", "ddos", "defacement", "intrusion", "data-leak", "phishing", "other"}

// incidentTypeWords are what people type for each type, without
// diacritics.
var incidentTypeWords = map[string][]string{
	"malware":    {"ma doc", "malware", "ransomware", "ma hoa du lieu", "virus", "trojan"},
	"ddos":       {"tu choi dich vu", "ddos", "dos"},
	"defacement": {"thay doi giao dien", "deface", "defacement"},
	"intrusion":  {"xam nhap", "intrusion", "chiem quyen", "truy cap trai phep"},
	"data-leak":  {"lo lot", "lo du lieu", "ro ri", "data leak", "leak"},
	"phishing":   {"lua dao", "phishing", "gia mao"},
	"other":      {"khac", "other"},
}

// IncidentType recognises an incident type in what a person typed
// ("mã độc", "DDoS", "lừa đảo/phishing"); ok is false when none fits.
func IncidentType(text string) (string, bool) {
	folded := " " + Fold(text) + " "
	for _, t := range IncidentTypes {
		if t == text {
			return t, true
		}
		for _, w := range incidentTypeWords[t] {
			if strings.Contains(folded, " "+w+" ") || strings.Contains(folded, " "+w+"/") || strings.Contains(folded, "/"+w+" ") {
				return t, true
			}
		}
	}
	return "", false
}

// Yes reads a yes or no answer in Vietnamese or English; ok is false for
// anything else.
func Yes(text string) (yes, ok bool) {
	switch Fold(strings.Trim(text, " .!")) {
	case "co", "yes", "can", "can ho tro", "co can", "y":
		return true, true
	case "khong", "no", "khong can", "n", "khong can ho tro":
		return false, true
	}
	return false, false
}

// Phone checks a contact phone as people write it: 8 to 15 digits with
// spaces, dots, dashes, parentheses or a leading +.
func Phone(text string) (string, bool) {
	text = strings.TrimSpace(text)
	p, ok := phone(text)
	digits, _ := phoneDigits(text)
	return p, ok && digits >= 8
}

// incidentRef finds "SC-7" in a message.
var incidentRef = regexp.MustCompile(`\bSC-(\d{1,9})\b`)

// IncidentRef reads the incident number a message names ("SC-7"), 0 when
// none.
func IncidentRef(text string) uint64 {
	m := incidentRef.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id
}

// promptRef finds "SC-7 · 3/7" at the head of a guided report's question.
var promptRef = regexp.MustCompile(`SC-(\d{1,9}) · (\d)/\d\b`)

// PromptStep reads the incident and step a question of a guided report
// asks ("📝 SC-7 · 3/7 …"); ok is false for other messages.
func PromptStep(text string) (id uint64, step string, ok bool) {
	m := promptRef.FindStringSubmatch(text)
	if m == nil {
		return 0, "", false
	}
	id, _ = strconv.ParseUint(m[1], 10, 64)
	n, _ := strconv.Atoi(m[2])
	if n < 1 || n > len(Steps) {
		return 0, "", false
	}
	return id, Steps[n-1], true
}

// Lateness is how far past the reporting deadline a report came: zero
// when it came in time.
func Lateness(discovered, reported time.Time, within time.Duration) time.Duration {
	if discovered.IsZero() || reported.IsZero() || within <= 0 {
		return 0
	}
	return max(reported.Sub(discovered)-within, 0)
}

// ParseIncidentNumber reads "7", "#7" or "SC-7"; ok is false otherwise.
func ParseIncidentNumber(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.EqualFold(s[:3], "SC-") {
		s = s[3:]
	}
	id, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 10, 64)
	return id, err == nil && id > 0
}
