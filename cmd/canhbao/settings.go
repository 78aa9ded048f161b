package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/canhbao/canhbao/store"
	"github.com/joho/godotenv"
)

// setVariables notes which settings the real environment sets, before
// .env is read into it, so that `canhbao config` can tell them apart.
func setVariables() map[string]bool {
	set := make(map[string]bool)
	for _, v := range variables {
		if _, ok := os.LookupEnv(v.name); ok {
			set[v.name] = true
		}
	}
	return set
}

// printConfig shows every setting's effective value, secrets hidden, and
// where it came from: the environment, .env, or the default. A value that
// does not parse is marked, and the exit code is then 2, as for `run`.
func printConfig(w io.Writer, fromEnv map[string]bool) int {
	dotenv, _ := godotenv.Read()
	token, _ := os.LookupEnv("TELEGRAM_BOT_TOKEN")
	token = strings.TrimSpace(token)
	code := 0
	fmt.Fprintf(w, "%-30s %-10s %s\n", "SETTING", "FROM", "VALUE")
	for _, v := range variables {
		val, fromDefault := v.effective(os.LookupEnv)
		from := "default"
		switch _, inFile := dotenv[v.name]; {
		case fromDefault:
		case fromEnv[v.name]:
			from = "environment"
		case inFile:
			from = ".env"
		}
		shown := redact(redactSetting(v.name, strings.Join(strings.Fields(val), " ")), token)
		if shown == "" {
			shown = "(none)"
		}
		fmt.Fprintf(w, "%-30s %-10s %s\n", v.name, from, shown)
		if err := v.parse(&Config{}, val); err != nil {
			fmt.Fprintf(w, "%-30s %-10s invalid: %s\n", "", "", redact(redactSetting(v.name, err.Error()), token))
			code = exitUsage
		}
	}
	return code
}

var (
	secretName = regexp.MustCompile(`TOKEN|SECRET|PASSWORD|KEY`)
	// userinfo matches the user:password@ part of a URL.
	userinfo = regexp.MustCompile(`(://[^/@\s:]*):[^/@\s]*@`)
)

// redactSetting hides secrets in a setting's value: the whole value of a
// token, password or key (a bot token keeps its public bot id before the
// colon), and passwords inside URLs.
func redactSetting(name, val string) string {
	if val != "" && secretName.MatchString(name) {
		if id, _, ok := strings.Cut(val, ":"); ok && name == "TELEGRAM_BOT_TOKEN" {
			return id + ":<redacted>"
		}
		return "<redacted>"
	}
	return userinfo.ReplaceAllString(val, "$1:<redacted>@")
}

// reportUnlisted logs, at start-up, every stored source that
// CANHBAO_FEEDS (or the built-in list) does not name. Such a source was
// added with /source add, or taken out of CANHBAO_FEEDS: it stays in the
// database and is still polled unless paused, so that an edit of the
// settings never silently drops a source; /source remove deletes it.
func reportUnlisted(st *store.Store, configured []store.Source, log *slog.Logger) error {
	stored, err := st.ListSources()
	if err != nil {
		return err
	}
	for _, s := range stored {
		if slices.ContainsFunc(configured, func(c store.Source) bool { return c.Name == s.Name }) {
			continue
		}
		state := "kept and still polled"
		if s.Paused {
			state = "paused (kept)"
		}
		log.Warn(fmt.Sprintf("stored source %s is not in CANHBAO_FEEDS: %s; /source remove %s deletes it", s.Name, state, s.Name))
	}
	return nil
}
