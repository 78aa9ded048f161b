package bot

import (
	"regexp"
	"strings"
	"testing"

	"github.com/canhbao/canhbao/bot/telegramtest"
)

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestCatalogIsComplete checks every sentence in both languages: present,
// with the same arguments in the same order, valid Telegram HTML, and
// Vietnamese text that is not left in English by mistake.
func TestCatalogIsComplete(t *testing.T) {
	for key, tx := range catalog {
		if tx.vi == "" || tx.en == "" {
			t.Errorf("%s: missing a language", key)
			continue
		}
		if v, e := verb.FindAllString(tx.vi, -1), verb.FindAllString(tx.en, -1); strings.Join(v, " ") != strings.Join(e, " ") {
			t.Errorf("%s: arguments differ: vi %v, en %v", key, v, e)
		}
		for _, s := range []string{tx.vi, tx.en} {
			filled := verb.ReplaceAllString(s, "1")
			if _, err := telegramtest.CheckHTML(filled); err != nil {
				t.Errorf("%s: %q is not valid Telegram HTML: %v", key, s, err)
			}
		}
	}
}

func TestUnknownKeyIsVisible(t *testing.T) {
	if got := NewRenderer(Vietnamese).T("no.such.key"); got != "no.such.key" {
		t.Fatalf("got %q", got)
	}
}

// TestMenuDescriptions: Telegram takes 1–256 characters of plain text for
// each command, and every menu command must exist.
func TestMenuDescriptions(t *testing.T) {
	b := &Bot{Render: NewRenderer(Vietnamese)}
	cmds := b.commands()
	for _, name := range append(append([]string{}, agencyMenu...), staffMenu...) {
		if _, ok := cmds[name]; !ok {
			t.Errorf("menu command /%s does not exist", name)
		}
		for _, lang := range []Lang{Vietnamese, English} {
			d := NewRenderer(lang).T("menu." + name)
			if d == "menu."+name || len([]rune(d)) > 256 || strings.ContainsAny(d, "<>&") {
				t.Errorf("%s description %q", name, d)
			}
		}
	}
}
