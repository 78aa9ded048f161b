package feeds

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/canhbao/canhbao/store"
)

// Defaults are the built-in public advisory sources, used when
// CANHBAO_FEEDS is not set (or names "defaults"). Each needs no key or
// account. Default severities apply only to items whose own text gives no
// CVSS score, severity word or sign of exploitation.
//
// CISA's ICS feed (…/cybersecurity-advisories/ics-advisories.xml) is not
// among them: CISA's all-advisories feed already carries every ICS
// advisory, and both would send each one twice. MSRC's feed has one item per CVE and no severity, so its default
// is low: the ones that matter are raised by the KEV catalogue or by their
// text ("Exploitation Detected").
func Defaults() []store.Source {
	return []store.Source{
		{Name: "cisa", Title: "CISA", URL: "https://www.cisa.gov/cybersecurity-advisories/all.xml", Kind: store.KindFeed, Severity: store.SeverityMedium},
		{Name: "cisa-kev", Title: "CISA KEV", URL: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", Kind: store.KindKEV, Severity: store.SeverityHigh},
		{Name: "msrc", Title: "Microsoft MSRC", URL: "https://api.msrc.microsoft.com/update-guide/rss", Kind: store.KindFeed, Severity: store.SeverityLow},
		{Name: "certfr-alerte", Title: "CERT-FR", URL: "https://www.cert.ssi.gouv.fr/alerte/feed/", Kind: store.KindFeed, Severity: store.SeverityHigh},
		{Name: "certfr-avis", Title: "CERT-FR", URL: "https://www.cert.ssi.gouv.fr/avis/feed/", Kind: store.KindFeed, Severity: store.SeverityMedium},
		{Name: "jpcert", Title: "JPCERT/CC", URL: "https://www.jpcert.or.jp/english/rss/jpcert-en.rdf", Kind: store.KindFeed, Severity: store.SeverityMedium},
		{Name: "ncsc-uk", Title: "NCSC UK", URL: "https://www.ncsc.gov.uk/api/1/services/v1/all-rss-feed.xml", Kind: store.KindFeed, Severity: store.SeverityLow},
		{Name: "cisco", Title: "Cisco PSIRT", URL: "https://sec.cloudapps.cisco.com/security/center/psirtrss20/CiscoSecurityAdvisory.xml", Kind: store.KindFeed, Severity: store.SeverityMedium},
		{Name: "fortinet", Title: "FortiGuard PSIRT", URL: "https://www.fortiguard.com/rss/ir.xml", Kind: store.KindFeed, Severity: store.SeverityMedium},
	}
}

// defaultsWord in CANHBAO_FEEDS stands for the built-in list, so that a
// department can add its national sources and keep the defaults.
const defaultsWord = "defaults"

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

// ParseSources reads CANHBAO_FEEDS: entries NAME=URL separated by any white
// space (spaces or new lines). Options go in the URL's fragment, which is
// never sent to the server, query-encoded:
//
//	vncert=https://vncert.vn/canh-bao#kind=page&item=.news%20li&title=a&date=.date&severity=high
//
// Options are kind (feed, kev, page), severity (the default severity, in
// English or Vietnamese), display (the name people see, e.g.
// display=NCSC+Vi%E1%BB%87t+Nam; built-in documents have one), news
// (send or skip items that are not advisories), and for pages item,
// title, link, date (CSS
// selectors; spaces as %20 or +) and layout (a Go time layout for dates).
// The kind defaults to feed, or kev for a URL ending in
// known_exploited_vulnerabilities.json. The bare word "defaults" includes
// Defaults(); an entry with a default's name replaces it. Errors name the
// entry and say what is wrong.
func ParseSources(spec string) ([]store.Source, error) {
	var (
		out       []store.Source
		explicit  = map[string]int{} // lower-case name → entry number
		defaults  bool
		errs      []error
		entryNums int
	)
	fields := strings.Fields(spec)
	for i := 0; i < len(fields); i++ {
		entry := fields[i]
		entryNums++
		if strings.EqualFold(entry, defaultsWord) {
			defaults = true
			continue
		}
		name, rawURL, ok := strings.Cut(entry, "=")
		if !ok {
			hint := "want NAME=URL"
			if i+1 < len(fields) && strings.Contains(fields[i+1], "://") && !strings.Contains(fields[i+1], "=") {
				// "cisa https://…": one mistake, not two.
				hint = fmt.Sprintf("write %s=%s, with no space around '='", short(entry), short(fields[i+1]))
				i++
			}
			errs = append(errs, fmt.Errorf("feeds: source entry %d %q: no '=' between name and URL (%s)", entryNums, short(entry), hint))
			continue
		}
		src, err := parseSource(name, rawURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("feeds: source entry %d %q: %w", entryNums, short(entry), err))
			continue
		}
		key := strings.ToLower(src.Name)
		if n, dup := explicit[key]; dup {
			errs = append(errs, fmt.Errorf("feeds: source entry %d %q: name %q is already used by entry %d", entryNums, short(entry), src.Name, n))
			continue
		}
		explicit[key] = entryNums
		out = append(out, src)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if defaults {
		var merged []store.Source
		for _, d := range Defaults() {
			if _, replaced := explicit[strings.ToLower(d.Name)]; !replaced {
				merged = append(merged, d)
			}
		}
		out = append(merged, out...)
	}
	return out, nil
}

// ParseSource reads one source as given to "/source add NAME URL", with the
// same rules and URL options as ParseSources.
func ParseSource(name, rawURL string) (store.Source, error) {
	src, err := parseSource(name, rawURL)
	if err != nil {
		return store.Source{}, fmt.Errorf("feeds: source %q: %w", strings.TrimSpace(name), err)
	}
	return src, nil
}

func parseSource(name, rawURL string) (store.Source, error) {
	name = strings.TrimSpace(name)
	rawURL = strings.TrimSpace(rawURL)
	switch {
	case name == "":
		return store.Source{}, errors.New("empty name (want NAME=URL)")
	case !nameRe.MatchString(name):
		return store.Source{}, errors.New("a name is 1 to 32 letters a-z, digits, '.', '_' or '-', starting with a letter or digit")
	case strings.EqualFold(name, store.DepartmentSource) || strings.EqualFold(name, defaultsWord):
		return store.Source{}, errors.New("the name is reserved")
	}
	fail := func(format string, a ...any) (store.Source, error) {
		return store.Source{}, fmt.Errorf(format, a...)
	}
	base, frag, _ := strings.Cut(rawURL, "#")
	if base == "" {
		return fail("empty URL")
	}
	u, err := url.Parse(base)
	if err != nil {
		return fail("bad URL: %v", RedactText(errors.Unwrap(err).Error()))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fail("URL %q must start with https:// or http://", short(base))
	}
	if u.Host == "" {
		return fail("URL %q has no host", short(base))
	}
	src := store.Source{Name: name, URL: u.String(), Kind: store.KindFeed, Severity: store.SeverityUnknown}
	if strings.HasSuffix(u.Path, "known_exploited_vulnerabilities.json") {
		src.Kind = store.KindKEV
	}
	opts, err := url.ParseQuery(frag)
	if err != nil {
		return fail("bad options after '#': %v", err)
	}
	var sel store.PageSelectors
	hasSel := false
	for _, key := range slices.Sorted(maps.Keys(opts)) {
		vals := opts[key]
		if len(vals) > 1 {
			return fail("option %q given %d times", key, len(vals))
		}
		val := strings.TrimSpace(vals[0])
		switch key {
		case "kind":
			switch k := store.SourceKind(strings.ToLower(val)); k {
			case store.KindFeed, store.KindKEV, store.KindPage:
				src.Kind = k
			default:
				return fail("unknown kind %q (want feed, kev or page)", val)
			}
		case "severity":
			s, ok := store.ParseSeverity(val)
			if !ok {
				return fail("bad severity %q (want critical, high, medium, low or unknown; or nghiêm trọng, cao, trung bình, thấp)", val)
			}
			src.Severity = s
		case "display":
			if val == "" || len([]rune(val)) > 64 {
				return fail("display name %q must be 1 to 64 characters", val)
			}
			src.Title = val
		case "news":
			switch strings.ToLower(val) {
			case "send":
				src.SkipNews = false
			case "skip":
				src.SkipNews = true
			default:
				return fail("bad news option %q (want send or skip)", val)
			}
		case "item":
			sel.Item, hasSel = val, true
		case "title":
			sel.Title, hasSel = val, true
		case "link":
			sel.Link, hasSel = val, true
		case "date":
			sel.Date, hasSel = val, true
		case "layout", "date_layout":
			if !layoutRoundTrips(val) {
				return fail("date layout %q is not a Go time layout (for example 02/01/2006 15:04)", val)
			}
			sel.DateLayout, hasSel = val, true
		default:
			return fail("unknown option %q (want kind, severity, display, news, item, title, link, date or layout)", key)
		}
	}
	switch {
	case src.Kind == store.KindPage && sel.Item == "":
		return fail("kind page needs an item selector (#kind=page&item=…)")
	case src.Kind != store.KindPage && hasSel:
		return fail("selectors only apply to kind page (add kind=page)")
	}
	if src.Title == "" {
		src.Title = builtinTitle(src)
	}
	if src.Kind == store.KindPage {
		if err := checkSelectors(sel); err != nil {
			return fail("%v", err)
		}
		src.Selectors = &sel
	}
	return src, nil
}

// layoutRoundTrips is a sanity check of a Go time layout: a date formatted
// with it parses back.
func layoutRoundTrips(layout string) bool {
	t := time.Date(2026, 11, 26, 9, 15, 0, 0, time.UTC)
	s := t.Format(layout)
	if s == layout {
		return false // no layout element at all
	}
	_, err := time.Parse(layout, s)
	return err == nil
}

// FormatSource gives a source back in the NAME=URL#options form that
// ParseSource and CANHBAO_FEEDS read, for /source list and logs.
func FormatSource(src store.Source) string {
	var opts []string
	add := func(k, v string) {
		if v != "" {
			opts = append(opts, k+"="+url.QueryEscape(v))
		}
	}
	inferred := store.KindFeed
	if u, err := url.Parse(src.URL); err == nil && strings.HasSuffix(u.Path, "known_exploited_vulnerabilities.json") {
		inferred = store.KindKEV
	}
	if src.Kind != "" && src.Kind != inferred {
		add("kind", string(src.Kind))
	}
	if s := src.Selectors; s != nil && src.Kind == store.KindPage {
		add("item", s.Item)
		add("title", s.Title)
		add("link", s.Link)
		add("date", s.Date)
		add("layout", s.DateLayout)
	}
	if sev := src.Severity.Normal(); sev != store.SeverityUnknown {
		add("severity", string(sev))
	}
	if src.Title != "" && src.Title != builtinTitle(src) {
		add("display", src.Title)
	}
	if src.SkipNews {
		add("news", "skip")
	}
	out := src.Name + "=" + src.URL
	if len(opts) > 0 {
		out += "#" + strings.Join(opts, "&")
	}
	return out
}

// short keeps an echoed entry readable in an error message, and its
// credentials out of it (hidden before cutting, so that a cut cannot leave
// half a password).
func short(s string) string { return Shorten(RedactText(s), 80) }

// builtinTitle is the display name of a built-in source's document (same
// URL), whatever the entry calls it, so that "kev=…known_exploited…json"
// still shows as "CISA KEV"; empty for other documents.
func builtinTitle(src store.Source) string {
	for _, d := range Defaults() {
		if d.URL == src.URL {
			return d.Title
		}
	}
	return ""
}
