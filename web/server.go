package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"hash/fnv"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canhbao/canhbao/bot"
	"github.com/canhbao/canhbao/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// SessionTTL is how long a dashboard session lasts.
const SessionTTL = 12 * time.Hour

// cookieName is the session cookie.
const cookieName = "canhbao_session"

// Server serves the department's dashboard: read-only pages over the
// store, behind sign-in links the bot hands out. Every state change stays
// in Telegram.
type Server struct {
	Store  *store.Store
	Render *bot.Renderer
	// AdminIDs are the department staff; a session of anyone else ends at
	// their next request.
	AdminIDs []int64
	// PublicURL is the address people open (CANHBAO_PUBLIC_URL); an https
	// address makes the session cookie Secure.
	PublicURL string
	// Deadlines judge lateness as the reminders do.
	Deadlines store.Deadlines
	Log       *slog.Logger
	// Ready reports what /readyz checks beyond the database; nil means
	// nothing more.
	Ready func() error
	// Active reports whether this process is the one that sends (always,
	// on bbolt; the elected node on a cluster), for /activez: a reverse
	// proxy follows the active node with it even while Telegram is
	// unreachable, which /readyz reports too. nil means always.
	Active func() error
	// Metrics serves /metrics; nil leaves it out.
	Metrics http.Handler
	// Pprof serves /debug/pprof/ to signed-in department staff (see
	// PprofHandler); nil, the default, leaves it out.
	Pprof http.Handler
	// Now is the clock; tests set it.
	Now func() time.Time

	once   sync.Once
	pages  map[string]*template.Template
	mux    *http.ServeMux
	limits signInLimits // sign-in attempts per client address
	seen   sync.Map     // live block URL without its hash → seenBlock
	seenN  atomic.Int64
}

// seenBlock is what a live block last showed: its hash, the database
// version it was read at and the minute its ages were written in.
type seenBlock struct {
	hash    string
	version int
	minute  int64
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ServeHTTP routes a request, with the security headers every answer
// carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(s.init)
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) init() {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	s.pages = parseTemplates(s.Render)
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	files := http.FileServerFS(static)
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(files)))
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /activez", s.activez)
	if s.Metrics != nil {
		m.Handle("GET /metrics", s.Metrics)
	}
	if s.Pprof != nil {
		m.Handle("/debug/pprof/", s.staffOnly(s.Pprof))
	}
	m.HandleFunc("GET "+bot.SignInPath+"{token}", s.signInForm)
	m.HandleFunc("POST "+bot.SignInPath+"{token}", s.signIn)
	m.HandleFunc("GET /{$}", s.staff(s.overview))
	m.HandleFunc("GET /matrix", s.staff(s.matrix))
	m.HandleFunc("GET /matrix.csv", s.staff(s.matrixCSV))
	m.HandleFunc("GET /matrix.xlsx", s.staff(s.matrixXLSX))
	m.HandleFunc("GET /alerts/{id}", s.staff(s.alert))
	m.HandleFunc("GET /agencies", s.staff(s.agencies))
	m.HandleFunc("GET /agencies/{id}", s.staff(s.agency))
	m.HandleFunc("GET /sources", s.staff(s.sources))
	m.HandleFunc("GET /audit", s.staff(s.audit))
	m.HandleFunc("GET /incidents", s.staff(s.incidents))
	m.HandleFunc("GET /duty", s.staff(s.duty))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.page(w, r, http.StatusNotFound, "message", view{Title: s.t("web.notfound.title"), Message: s.t("web.notfound")})
	})
	s.mux = m
}

func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) t(key string, args ...any) string { return text(s.Render, key, args...) }

// IsStaff reports whether id is department staff now.
func (s *Server) IsStaff(id int64) bool { return slices.Contains(s.AdminIDs, id) }

func (s *Server) isStaff(id int64) bool { return s.IsStaff(id) }

// readyz answers 200 when the database answers and whatever Ready checks
// (Telegram reached lately, the sender moving) holds; 503 with the reason
// otherwise.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	err := s.Store.View(func(tx *store.Tx) error { tx.Version(); return nil })
	if err == nil && s.Ready != nil {
		err = s.Ready()
	}
	probe(w, err, "ready")
}

// activez answers 200 on the active node and 503 with the reason (a
// standby and who leads; etcd without quorum) elsewhere.
func (s *Server) activez(w http.ResponseWriter, _ *http.Request) {
	var err error
	if s.Active != nil {
		err = s.Active()
	}
	probe(w, err, "active")
}

// probe answers a health check: ok on one line, or 503 and why not.
func probe(w http.ResponseWriter, err error, ok string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(err.Error() + "\n"))
		return
	}
	w.Write([]byte(ok + "\n"))
}

// ctxKey carries the signed-in session through a request.
type ctxKey struct{}

// staff lets only signed-in department staff through. A session of
// someone removed from the staff list ends here, with every other session
// of theirs.
func (s *Server) staff(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c, err := r.Cookie(cookieName)
		if err != nil || c.Value == "" {
			s.page(w, r, http.StatusUnauthorized, "message", view{Title: s.t("web.signin.title"), Message: s.t("web.signin.needed")})
			return
		}
		now := s.now()
		sess, ok, err := s.Store.Session(c.Value, now)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ok && !s.isStaff(sess.UserID) {
			if _, err := s.Store.EndSessionsOf(s.isStaff, now); err != nil {
				s.fail(w, r, err)
				return
			}
			s.Log.Info("dashboard session ended: no longer department staff", slog.Int64("user", sess.UserID))
			ok = false
		}
		if !ok {
			http.SetCookie(w, s.cookie("", -1))
			s.page(w, r, http.StatusUnauthorized, "message", view{Title: s.t("web.signin.title"), Message: s.t("web.signin.ended")})
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	}
}

func (s *Server) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: strings.HasPrefix(strings.ToLower(s.PublicURL), "https:")}
}

// signInForm shows a button that redeems the link. Opening the link does
// not use it up: link scanners and previews fetch URLs, and only a person
// presses the button.
func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.page(w, r, http.StatusOK, "signin", view{Title: s.t("web.signin.title"), Token: r.PathValue("token")})
}

// signIn redeems a sign-in link: a session cookie and the overview, or a
// page saying to ask the bot again.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, s.origin()) {
		// Another site's form: it would sign the browser in to someone
		// else's session (login CSRF).
		s.page(w, r, http.StatusForbidden, "message", view{Title: s.t("web.signin.title"), Message: s.t("web.signin.stale")})
		return
	}
	if !s.limits.allow(clientAddr(r), s.now()) {
		s.page(w, r, http.StatusTooManyRequests, "message", view{Title: s.t("web.signin.title"), Message: s.t("web.signin.slow")})
		return
	}
	sid, _, err := s.Store.RedeemSignIn(r.PathValue("token"), s.now(), SessionTTL, s.isStaff)
	switch {
	case err == nil:
		http.SetCookie(w, s.cookie(sid, int(SessionTTL/time.Second)))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case errors.Is(err, store.ErrLinkUsed), errors.Is(err, store.ErrLinkExpired), errors.Is(err, store.ErrLinkUnknown):
		s.page(w, r, http.StatusGone, "message", view{Title: s.t("web.signin.title"), Message: s.t("web.signin.stale")})
	case errors.Is(err, store.ErrNotStaff):
		s.page(w, r, http.StatusForbidden, "message", view{Title: s.t("web.signin.title"), Message: s.t("web.signin.refused")})
	default:
		s.fail(w, r, err)
	}
}

// origin is the scheme and host of PublicURL, as browsers send it in
// Origin.
func (s *Server) origin() string {
	u, err := url.Parse(s.PublicURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// clientAddr is the client's IP address as the connection shows it.
// X-Forwarded-For is not trusted: behind a reverse proxy every client
// shares the proxy's limit, which only slows guessing further.
func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	Message string
	Token   string
	User    string
	Data    any
}

// page renders a full page; the layout adds the navigation.
func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if sess, ok := r.Context().Value(ctxKey{}).(store.Session); ok {
		v.User = sess.Name
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.Log.Error("render page", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fragment renders one named template alone (an htmx refresh).
func (s *Server) fragment(w http.ResponseWriter, page, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		s.Log.Error("render fragment", slog.String("fragment", name), slog.String("error", err.Error()))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// liveRef is the block of a page that refreshes itself: htmx asks for it
// again every few seconds with the hash of what it shows, and gets 204 (no
// change) or the new block.
type liveRef struct {
	URL  string
	Body template.HTML
}

// version is the database's version now.
func (s *Server) version() int {
	v := 0
	_ = s.Store.View(func(tx *store.Tx) error { v = tx.Version(); return nil })
	return v
}

// blockKey names a live block whatever hash its request carries.
func blockKey(r *http.Request) string {
	q := r.URL.Query()
	q.Del("v")
	q.Del("part")
	return r.URL.Path + "?" + q.Encode()
}

// unchanged answers an htmx refresh with 204 at once when the database has
// not changed since the block it holds was drawn, in the same minute, so
// that open pages cost little while nothing happens. It returns the
// database version to pass to liveBlock.
func (s *Server) unchanged(w http.ResponseWriter, r *http.Request) (version int, done bool) {
	version = s.version()
	q := r.URL.Query()
	if q.Get("part") == "" {
		return version, false
	}
	if e, ok := s.seen.Load(blockKey(r)); ok {
		e := e.(seenBlock)
		if e.version == version && e.minute == s.now().Unix()/60 && e.hash == q.Get("v") {
			w.WriteHeader(http.StatusNoContent)
			return version, true
		}
	}
	return version, false
}

// liveBlock renders page's "rows" template, read at database version.
// For an htmx refresh it answers the request itself (done is true); for a
// full page it returns the block to embed.
func (s *Server) liveBlock(w http.ResponseWriter, r *http.Request, page string, version int, data any) (ref liveRef, done bool) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "rows", data); err != nil {
		s.fail(w, r, err)
		return liveRef{}, true
	}
	h := fnv.New64a()
	h.Write(buf.Bytes())
	hash := strconv.FormatUint(h.Sum64(), 36)
	if s.seenN.Add(1)%4096 == 0 {
		s.seen.Clear() // bounded: one entry per filtered view recently open
	}
	s.seen.Store(blockKey(r), seenBlock{hash: hash, version: version, minute: s.now().Unix() / 60})
	q := r.URL.Query()
	part := q.Get("part") != ""
	if part && q.Get("v") == hash {
		w.WriteHeader(http.StatusNoContent)
		return liveRef{}, true
	}
	q.Set("part", "1")
	q.Set("v", hash)
	// The block is our own template's output, escaped there.
	ref = liveRef{URL: r.URL.Path + "?" + q.Encode(), Body: template.HTML(buf.String())}
	if part {
		s.fragment(w, page, "live", ref)
		return ref, true
	}
	return ref, false
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.Error("dashboard", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	s.page(w, r, http.StatusInternalServerError, "message", view{Title: s.t("web.error.title"), Message: s.t("web.error")})
}

// query keeps a page's filters when it links to itself with one changed.
func query(v url.Values, key, value string) string {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out.Encode()
}
