package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canhbao/canhbao/bot/telegramtest"
	"github.com/canhbao/canhbao/store"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "data/canhbao.db" || c.PollInterval != 10*time.Minute || c.Lang != "vi" || c.Backfill != 72*time.Hour ||
		c.SendRate != 25 || c.GiveUp != 24*time.Hour || c.DigestOver != 5 || len(c.Feeds) == 0 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadConfigValues(t *testing.T) {
	c, err := LoadConfig(env(map[string]string{
		"CANHBAO_POLL_INTERVAL": "1s",
		"CANHBAO_ADMIN_IDS":     "11, 22",
		"CANHBAO_ADMIN_CHAT_ID": "-1001234567890",
		"CANHBAO_FEEDS":         "a=https://example.org/a.xml\n  b=https://example.org/b.xml",
		"CANHBAO_LANG":          "en",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PollInterval != time.Second || len(c.AdminIDs) != 2 || c.AdminIDs[1] != 22 || c.AdminChat != -1001234567890 ||
		len(c.Feeds) != 2 || c.Feeds[1].Name != "b" || c.Lang != "en" {
		t.Fatalf("%+v", c)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := map[string]string{
		"CANHBAO_POLL_INTERVAL":       "abc",
		"CANHBAO_FEEDS":               "no-equals-sign",
		"CANHBAO_ADMIN_IDS":           "12,abc",
		"CANHBAO_ADMIN_CHAT_ID":       "group",
		"CANHBAO_LANG":                "fr",
		"CANHBAO_BACKFILL":            "-1h",
		"CANHBAO_SEND_RATE":           "0",
		"CANHBAO_GIVE_UP":             "soon",
		"CANHBAO_REMIND_URGENT_AFTER": "0s",
		"CANHBAO_DIGEST_OVER":         "-2",
		"TELEGRAM_API_ENDPOINT":       "https://example.org/bot",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(env(map[string]string{name: value}))
			if err == nil || !strings.HasPrefix(err.Error(), name+": ") {
				t.Fatalf("error %v does not start with %s", err, name)
			}
		})
	}
}

// TestEveryVariableIsDocumented keeps .env.example and the README in step
// with the one table of settings.
func TestEveryVariableIsDocumented(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variables {
		if !bytes.Contains(example, []byte("\n"+v.name+"="+v.def+"\n")) {
			t.Errorf(".env.example lacks %s=%s", v.name, v.def)
		}
		def := v.def
		if def == "" {
			def = "—"
		}
		if !bytes.Contains(readme, []byte("| `"+v.name+"` | `"+def+"` |")) && !bytes.Contains(readme, []byte("| `"+v.name+"` | "+def+" |")) {
			t.Errorf("README lacks the row for %s with default %s", v.name, def)
		}
	}
}

// TestBadSettingExitsWithOneLine checks start-up failures: exit code 2
// and one clear line naming the variable.
func TestBadSettingExitsWithOneLine(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("CANHBAO_POLL_INTERVAL", "abc")
	var out, errOut bytes.Buffer
	if code := run([]string{"run"}, &out, &errOut); code != exitUsage {
		t.Fatalf("exit code %d, want %d", code, exitUsage)
	}
	if got := errOut.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "CANHBAO_POLL_INTERVAL") {
		t.Fatalf("stderr %q", got)
	}
}

// TestCredentialsStayOutOfStderrAndLogs: a bad CANHBAO_FEEDS entry with
// user:password in its URL is reported without them, and so is any log
// line that quotes such a URL.
func TestCredentialsStayOutOfStderrAndLogs(t *testing.T) {
	t.Chdir(t.TempDir())
	const secret = "s3cret-Passw0rd"
	t.Setenv("CANHBAO_FEEDS", "ok=https://x.example/feed private https://admin:"+secret+"@feeds.example.gov.vn/rss")
	var out, errOut bytes.Buffer
	if code := run([]string{"run"}, &out, &errOut); code != exitUsage {
		t.Fatalf("exit code %d, stderr %q", code, errOut.String())
	}
	if got := errOut.String(); strings.Contains(got, secret) || !strings.Contains(got, "CANHBAO_FEEDS") || !strings.Contains(got, "admin:xxxxx@") {
		t.Fatalf("stderr %q", got)
	}

	var logs bytes.Buffer
	log := newLogger(&logs, Config{LogLevel: "info", Token: "123:TOKEN"})
	log.Info("polled https://admin:"+secret+"@feeds.example.gov.vn/rss", "url", "https://admin:"+secret+"@x/", "err", errors.New("Get https://admin:"+secret+"@x/: EOF with 123:TOKEN"))
	if got := logs.String(); strings.Contains(got, secret) || strings.Contains(got, "123:TOKEN") || strings.Count(got, "admin:xxxxx@") != 3 {
		t.Fatalf("log %q", got)
	}
}

// TestDotEnvLosesToEnvironment: .env is read, but a real variable wins.
func TestDotEnvLosesToEnvironment(t *testing.T) {
	t.Chdir(t.TempDir())
	os.WriteFile(".env", []byte("CANHBAO_LANG=fr\nCANHBAO_DIGEST_OVER=abc\n"), 0o600)
	t.Setenv("CANHBAO_LANG", "en")
	var out, errOut bytes.Buffer
	code := run([]string{"run"}, &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "CANHBAO_DIGEST_OVER") {
		t.Fatalf("exit %d, stderr %q: the .env value was not read", code, errOut.String())
	}
	os.Unsetenv("CANHBAO_DIGEST_OVER")
	os.WriteFile(".env", []byte("CANHBAO_LANG=fr\n"), 0o600)
	errOut.Reset()
	code = run([]string{"run"}, &out, &errOut)
	if strings.Contains(errOut.String(), "CANHBAO_LANG") {
		t.Fatalf("the .env value won over the environment: %q", errOut.String())
	}
	if code != exitUsage || !strings.Contains(errOut.String(), "TELEGRAM_BOT_TOKEN") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "canhbao ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown: %d %q", code, errOut.String())
	}
}

// TestConfigShowsValuesAndSources: `canhbao config` shows each setting's
// effective value and whether it came from the environment, .env or the
// default, with the token and URL passwords hidden; a bad value is marked
// and makes the exit code 2.
func TestConfigShowsValuesAndSources(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, v := range variables {
		t.Setenv(v.name, "")
		os.Unsetenv(v.name)
	}
	token := "7000000001:AAH-secret-part-of-the-token"
	t.Setenv("TELEGRAM_BOT_TOKEN", token)
	t.Setenv("CANHBAO_LANG", "en")
	os.WriteFile(".env", []byte("CANHBAO_SEND_RATE=12\nCANHBAO_LANG=vi\n"+
		"CANHBAO_FEEDS=\"cisa=https://reader:hunter2@example.gov.vn/feed.xml\"\n"), 0o600)
	var out, errOut bytes.Buffer
	if code := run([]string{"config"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"TELEGRAM_BOT_TOKEN             environment 7000000001:<redacted>\n",
		"CANHBAO_LANG                   environment en\n",
		"CANHBAO_SEND_RATE              .env       12\n",
		"CANHBAO_FEEDS                  .env       cisa=https://reader:<redacted>@example.gov.vn/feed.xml\n",
		"CANHBAO_DB                     default    data/canhbao.db\n",
		"CANHBAO_ADMIN_IDS              default    (none)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, secret := range []string{"secret-part", "hunter2"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q shown:\n%s", secret, got)
		}
	}
	if n := strings.Count(got, "\n"); n != len(variables)+1 {
		t.Errorf("%d lines for %d settings", n, len(variables))
	}

	t.Setenv("CANHBAO_POLL_INTERVAL", "abc")
	out.Reset()
	if code := run([]string{"config"}, &out, &errOut); code != exitUsage || !strings.Contains(out.String(), "invalid: \"abc\" is not a positive duration") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}

// TestUnlistedSourcesReported: sources stored earlier that CANHBAO_FEEDS
// no longer names are reported at start-up, with what happens to them.
func TestUnlistedSourcesReported(t *testing.T) {
	tg := telegramtest.New(t)
	feed := newFeedServer(t, rssItems(1, 1))
	cfg := testConfig(t, tg, store.Source{Name: "test", URL: feed.URL, Kind: store.KindFeed, Severity: store.SeverityHigh})
	seedStore(t, cfg.DB, func(st *store.Store) error {
		return st.Update(func(tx *store.Tx) error {
			for _, s := range []store.Source{
				{Name: "old", URL: feed.URL + "?old", Kind: store.KindFeed},
				{Name: "quiet", URL: feed.URL + "?quiet", Kind: store.KindFeed, Paused: true},
				{Name: "test", URL: feed.URL, Kind: store.KindFeed},
			} {
				if err := tx.PutSource(s); err != nil {
					return err
				}
			}
			return nil
		})
	})
	s := start(t, tg, cfg)
	// The active node's work reports them, after "canhbao started".
	tg.WaitFor(t, 5*time.Second, func() bool { return strings.Contains(s.logs.String(), "stored source quiet") }, "the report")
	logs := s.logs.String()
	for _, want := range []string{
		"stored source old is not in CANHBAO_FEEDS: kept and still polled; /source remove old deletes it",
		"stored source quiet is not in CANHBAO_FEEDS: paused (kept); /source remove quiet deletes it",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("missing %q in\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "stored source test") {
		t.Errorf("a configured source was reported:\n%s", logs)
	}
}
