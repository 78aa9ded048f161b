package feeds

import (
	"regexp"
	"strings"
)

// userinfoRe finds the user information of URLs written anywhere in a text:
// a scheme, "//", then everything up to the last "@" before the host ends
// (a password may itself contain an unescaped "@").
var userinfoRe = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#<>"'` + "`" + `]*)@`)

// RedactText hides the credentials of every URL in s, for any message that
// may show one: configuration errors, source errors, chat answers, logs.
// "https://user:secret@host" becomes "https://user:xxxxx@host"; a user
// name alone ("https://TOKEN@host"), which is often a token, becomes
// "xxxxx".
func RedactText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfoRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfoRe.FindStringSubmatch(m)
		scheme, info := sub[1], sub[2]
		if user, _, ok := strings.Cut(info, ":"); ok {
			return scheme + user + ":xxxxx@"
		}
		return scheme + "xxxxx@"
	})
}

// RedactURL is a source URL as messages show it: credentials hidden
// (RedactText) and the options after "#" left out.
func RedactURL(raw string) string {
	raw, _, _ = strings.Cut(raw, "#")
	return RedactText(raw)
}
