package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/cluster"
	"github.com/canhbao/canhbao/feeds"
	"github.com/canhbao/canhbao/store"
)

// Config is every setting of the service, read once at start-up from the
// environment (and .env) and passed down as plain values.
type Config struct {
	Token            string
	APIEndpoint      string
	DB               string
	Feeds            []store.Source
	PollInterval     time.Duration
	AdminIDs         []int64
	AdminChat        int64
	Lang             bot.Lang
	Backfill         time.Duration
	SendRate         float64
	GiveUp           time.Duration
	RemindUrgent     time.Duration
	Remind           time.Duration
	Escalate         time.Duration
	DigestOver       int
	MaxNewPerPoll    int
	SourceAlertAfter time.Duration
	LogLevel         string
	DeptName         string
	MetricsAddr      string
	Retention        time.Duration
	HTTPAddr         string
	PublicURL        string
	// Pprof serves Go's profiles under /debug/pprof/ on the dashboard's
	// address, to signed-in department staff.
	Pprof bool
	// SummaryAt is the time of day (HH:MM, Vietnam time) of the Monday
	// summary; empty when it is off.
	SummaryAt      string
	ContactsFile   string
	IncidentWithin time.Duration
	IncidentStale  time.Duration
	// Store is "bbolt" (one machine) or "etcd" (active/standby on a
	// cluster, DB then being this node's local copy).
	Store string
	Etcd  cluster.Config

	// Knobs no variable sets; tests shorten them.
	editDelay      time.Duration // acknowledgements within it make one card edit
	remindEvery    time.Duration // how often reminder deadlines are checked
	letterEvery    time.Duration // how often incident and duty deadlines are checked
	dutyGap        time.Duration // least time between a duty request, its reminder and the escalation
	pollTimeout    time.Duration // getUpdates long-poll wait
	retentionEvery time.Duration // how often CANHBAO_RETENTION is applied
}

// variable is one environment variable: its name, default, what it means
// (for `canhbao config` and the README) and how it is parsed into Config.
type variable struct {
	name  string
	def   string
	doc   string
	parse func(c *Config, v string) error
}

// variables is the one table of settings. Names given by the issues are a
// contract: they do not change.
var variables = []variable{
	{"TELEGRAM_BOT_TOKEN", "", "bot token from @BotFather; required for `canhbao run`",
		func(c *Config, v string) error { c.Token = v; return nil }},
	{"TELEGRAM_API_ENDPOINT", "", "Bot API URL template with two %s (token, method), for a local Bot API server; empty means Telegram's own",
		func(c *Config, v string) error {
			if v != "" && strings.Count(v, "%s") != 2 {
				return errors.New("must contain %s twice, like https://api.telegram.org/bot%s/%s")
			}
			c.APIEndpoint = v
			return nil
		}},
	{"CANHBAO_DB", "data/canhbao.db", "bbolt database file (created with its folder)",
		func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.DB = v
			return nil
		}},
	{"CANHBAO_FEEDS", "", "sources as NAME=URL entries separated by spaces or new lines; empty means the built-in list",
		func(c *Config, v string) (err error) {
			if strings.TrimSpace(v) == "" {
				c.Feeds = feeds.Defaults()
				return nil
			}
			c.Feeds, err = feeds.ParseSources(v)
			return err
		}},
	{"CANHBAO_POLL_INTERVAL", "10m", "how often every source is fetched (Go duration)", positiveDuration(func(c *Config) *time.Duration { return &c.PollInterval })},
	{"CANHBAO_ADMIN_IDS", "", "Telegram user ids of department staff, comma separated",
		func(c *Config, v string) error {
			for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				id, err := strconv.ParseInt(f, 10, 64)
				if err != nil || id <= 0 {
					return fmt.Errorf("%q is not a user id", f)
				}
				c.AdminIDs = append(c.AdminIDs, id)
			}
			return nil
		}},
	{"CANHBAO_ADMIN_CHAT_ID", "", "the department's chat id, for subscription requests and notices",
		func(c *Config, v string) (err error) {
			if v == "" {
				return nil
			}
			c.AdminChat, err = strconv.ParseInt(v, 10, 64)
			if err != nil || c.AdminChat == 0 {
				return fmt.Errorf("%q is not a chat id", v)
			}
			return nil
		}},
	{"CANHBAO_LANG", "vi", "language of messages: vi or en",
		func(c *Config, v string) error {
			switch bot.Lang(v) {
			case bot.Vietnamese, bot.English:
				c.Lang = bot.Lang(v)
				return nil
			}
			return fmt.Errorf("%q is not vi or en", v)
		}},
	{"CANHBAO_BACKFILL", "72h", "on a source's first poll, older items (and undated ones) are stored but not pushed", nonNegativeDuration(func(c *Config) *time.Duration { return &c.Backfill })},
	{"CANHBAO_SEND_RATE", "25", "messages per second overall (Telegram allows about 30)",
		func(c *Config, v string) (err error) {
			c.SendRate, err = strconv.ParseFloat(v, 64)
			if err != nil || c.SendRate <= 0 || c.SendRate > 1000 {
				return fmt.Errorf("%q is not a rate between 0 and 1000", v)
			}
			return nil
		}},
	{"CANHBAO_GIVE_UP", "24h", "how long a message is retried after network faults before it is marked failed", positiveDuration(func(c *Config) *time.Duration { return &c.GiveUp })},
	{"CANHBAO_REMIND_URGENT_AFTER", "4h", "reminder after this long without acknowledgement, for critical and high alerts", positiveDuration(func(c *Config) *time.Duration { return &c.RemindUrgent })},
	{"CANHBAO_REMIND_AFTER", "24h", "reminder after this long without acknowledgement, for other alerts", positiveDuration(func(c *Config) *time.Duration { return &c.Remind })},
	{"CANHBAO_ESCALATE_AFTER", "72h", "the department chat is told of agencies that have not acknowledged after this long", positiveDuration(func(c *Config) *time.Duration { return &c.Escalate })},
	{"CANHBAO_DIGEST_OVER", "5", "more new alerts than this for one chat in one poll become one digest; 0 turns digests off",
		nonNegativeInt(func(c *Config) *int { return &c.DigestOver })},
	{"CANHBAO_MAX_NEW_PER_POLL", "200", "at most this many new alerts of one poll of one source are pushed (the most severe, then the newest); the rest are stored unpushed and the department chat is told; 0 means no cap",
		nonNegativeInt(func(c *Config) *int { return &c.MaxNewPerPoll })},
	{"CANHBAO_SOURCE_ALERT_AFTER", "6h", "a source failing for longer than this is reported to the department chat", positiveDuration(func(c *Config) *time.Duration { return &c.SourceAlertAfter })},
	{"CANHBAO_DEPT_NAME", "", "the department's name as messages name it and as the source of its own advisories; empty means Sở Khoa học và Công nghệ (Department of Science and Technology in English)",
		func(c *Config, v string) error { c.DeptName = v; return nil }},
	{"CANHBAO_METRICS_ADDR", "", "address for Prometheus metrics at /metrics, e.g. 127.0.0.1:9464; empty turns them off",
		listenAddr(func(c *Config) *string { return &c.MetricsAddr })},
	{"CANHBAO_HTTP_ADDR", "127.0.0.1:8080", "address of the web dashboard, /healthz, /readyz and /metrics; empty turns it off",
		listenAddr(func(c *Config) *string { return &c.HTTPAddr })},
	{"CANHBAO_PPROF", "0", "1 serves Go's profiles (pprof) at /debug/pprof/ on CANHBAO_HTTP_ADDR, to signed-in department staff only",
		func(c *Config, v string) (err error) {
			if c.Pprof, err = strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%q is not 0 or 1", v)
			}
			return nil
		}},
	{"CANHBAO_PUBLIC_URL", "http://127.0.0.1:8080", "the dashboard's address as people open it, put in sign-in links (https behind a reverse proxy)",
		func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q is not an http(s) address like https://canhbao.example.gov.vn", v)
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
	{"CANHBAO_SUMMARY_AT", "08:00", "time (HH:MM, Vietnam time) of the weekly summary chart sent to the department's chat every Monday; empty turns it off",
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if _, err := time.Parse("15:04", v); err != nil {
				return fmt.Errorf("%q is not a time like 08:00", v)
			}
			c.SummaryAt = v
			return nil
		}},
	{"CANHBAO_CONTACTS", "", "file of emergency contact points for /contacts and the help line (format in the README); empty means the contacts named in the department's 2023 letter, which must be checked",
		func(c *Config, v string) error { c.ContactsFile = v; return nil }},
	{"CANHBAO_INCIDENT_REPORT_WITHIN", "72h", "an incident reported later than this after its discovery is flagged late (the letter asks for 3 days)", positiveDuration(func(c *Config) *time.Duration { return &c.IncidentWithin })},
	{"CANHBAO_INCIDENT_STALE_AFTER", "24h", "an open incident without an update for this long reminds its agency, once per such period", positiveDuration(func(c *Config) *time.Duration { return &c.IncidentStale })},
	{"CANHBAO_RETENTION", "17520h", "acknowledgers' names, ids and notes of alerts older than this are erased (17520h is two years); 0 keeps everything", nonNegativeDuration(func(c *Config) *time.Duration { return &c.Retention })},
	{"CANHBAO_STORE", "bbolt", "bbolt (one machine, the file CANHBAO_DB) or etcd (active/standby nodes on an etcd cluster; CANHBAO_DB is then each node's local copy)",
		func(c *Config, v string) error {
			if v != "bbolt" && v != "etcd" {
				return fmt.Errorf("%q is not bbolt or etcd", v)
			}
			c.Store = v
			return nil
		}},
	{"CANHBAO_ETCD_ENDPOINTS", "", "etcd client URLs, comma separated (https://10.0.0.1:2379,…); required when CANHBAO_STORE=etcd",
		func(c *Config, v string) error {
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(e); e == "" {
					continue
				}
				if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("%q is not a URL like https://10.0.0.1:2379", e)
				}
				c.Etcd.Endpoints = append(c.Etcd.Endpoints, e)
			}
			return nil
		}},
	{"CANHBAO_ETCD_PREFIX", "/canhbao/", "where canhbao keeps its keys in etcd, so that several provinces may share one cluster",
		func(c *Config, v string) error {
			if !strings.HasPrefix(v, "/") || !strings.HasSuffix(v, "/") {
				return fmt.Errorf("%q must start and end with /", v)
			}
			c.Etcd.Prefix = v
			return nil
		}},
	{"CANHBAO_ETCD_CACERT", "", "file of the CA certificate that signed etcd's (PEM); empty uses the system's", func(c *Config, v string) error { c.Etcd.CACert = v; return nil }},
	{"CANHBAO_ETCD_CERT", "", "client certificate file for etcd (PEM), with CANHBAO_ETCD_KEY", func(c *Config, v string) error { c.Etcd.Cert = v; return nil }},
	{"CANHBAO_ETCD_KEY", "", "the client certificate's key file (PEM)", func(c *Config, v string) error { c.Etcd.Key = v; return nil }},
	{"CANHBAO_ETCD_USERNAME", "", "etcd user, when the cluster has authentication on", func(c *Config, v string) error { c.Etcd.Username = v; return nil }},
	{"CANHBAO_ETCD_PASSWORD", "", "that user's password", func(c *Config, v string) error { c.Etcd.Password = v; return nil }},
	{"CANHBAO_ETCD_LEASE_TTL", "5s", "how long the active node's election lease lasts without renewal: a standby takes over about this long after the active node dies (whole seconds, at least 2s)",
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 2*time.Second || d%time.Second != 0 {
				return fmt.Errorf("%q is not a whole number of seconds of at least 2s, like 5s", v)
			}
			c.Etcd.LeaseTTL = d
			return nil
		}},
	{"CANHBAO_NODE_NAME", "", "this node's name in the cluster, shown by /readyz and the logs; empty means the host name",
		func(c *Config, v string) error {
			if v == "" {
				v, _ = os.Hostname()
			}
			c.Etcd.NodeName = v
			return nil
		}},
	{"CANHBAO_LOG_LEVEL", "info", "debug, info, warn or error",
		func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return fmt.Errorf("%q is not debug, info, warn or error", v)
		}},
}

// listenAddr reads a host:port to listen on; empty is allowed (off).
func listenAddr(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v != "" {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("%q is not host:port", v)
			}
		}
		*field(c) = v
		return nil
	}
}

func positiveDuration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration like 90s, 10m or 24h", v)
		}
		*field(c) = d
		return nil
	}
}

func nonNegativeInt(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a whole number ≥ 0", v)
		}
		*field(c) = n
		return nil
	}
}

func nonNegativeDuration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration like 0s, 10m or 72h", v)
		}
		*field(c) = d
		return nil
	}
}

// emptyTurnsOff lists the variables whose default is on and which a
// variable set to nothing turns off (for the others, empty means the
// default).
var emptyTurnsOff = map[string]bool{"CANHBAO_HTTP_ADDR": true, "CANHBAO_SUMMARY_AT": true}

// LoadConfig reads every variable through getenv, where an empty value
// means the default; the first bad value stops it with an error that
// names the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	return LoadConfigFrom(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
}

// effective is the value v takes: what lookup gives, else its default
// (then fromDefault is true). Set to nothing, a variable listed in
// emptyTurnsOff stays empty.
func (v variable) effective(lookup func(string) (string, bool)) (val string, fromDefault bool) {
	val, set := lookup(v.name)
	val = strings.TrimSpace(val)
	if val == "" && !(set && emptyTurnsOff[v.name]) {
		return v.def, true
	}
	return val, false
}

// LoadConfigFrom is LoadConfig reading through lookup (os.LookupEnv), so
// that a variable set to nothing can turn a feature off.
func LoadConfigFrom(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	for _, v := range variables {
		val, _ := v.effective(lookup)
		if err := v.parse(&c, val); err != nil {
			return Config{}, fmt.Errorf("%s: %w", v.name, err)
		}
	}
	if c.Store == "etcd" && len(c.Etcd.Endpoints) == 0 {
		return Config{}, errors.New("CANHBAO_ETCD_ENDPOINTS: required when CANHBAO_STORE=etcd")
	}
	return c, nil
}
