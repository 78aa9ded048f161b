package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// botID is the fake bot's user id; the token starts with it, as real tokens do.
const botID = 7000000001

// Server is a running fake Bot API. All its methods are safe for concurrent use, but
// those that can fail the test (Client, Reply, PressButton, ForgeCallback, Up) call
// Fatal on the t given to New and so belong to that test's goroutine; the Wait helpers
// take their own t.
type Server struct {
	tb          testing.TB
	srv         *httptest.Server
	gate        *gate
	token       string
	bot         tgbotapi.User
	latency     time.Duration
	lenient     bool
	strictChats bool
	done        chan struct{}

	mu sync.Mutex
	// changed is closed and replaced on every change of state: the one wake-up signal
	// for long polls and the Wait helpers.
	changed    chan struct{}
	down       bool
	chats      map[int64]*chat
	users      map[int64]tgbotapi.User
	allSent    []MessageRef
	updates    []tgbotapi.Update // not yet confirmed, oldest first
	nextUpdate int
	poll       int // generation of the newest getUpdates, for 409 Conflict
	requests   []Request
	byMethod   map[string][]int
	queries    map[string]*query
	nextQuery  int
	answers    []CallbackAnswer
	commands   []tgbotapi.BotCommand
	files      map[string]tgbotapi.Document
	nextFile   int
	hooks      []func(method string, params url.Values) *Fault
	failures   []failure
	floods     []flood
	flood      *floodControl
}

// Option changes how New sets up the fake.
type Option func(*Server)

// WithLatency delays every answer by d, as a slow network would; the delay ends early
// when the client gives up.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithLenientEntities makes parse_mode=HTML keep a '&' that starts no entity as a
// literal, which is what Telegram actually does. By default the fake is stricter and
// refuses it, as the Bot API reference says it must be written &amp;, so that tests catch
// text the service forgot to escape.
func WithLenientEntities() Option { return func(s *Server) { s.lenient = true } }

// WithKnownChatsOnly makes every chat unknown ("chat not found") until the test
// introduces it (AddChat, AddBot, SendText, …). By default any chat id is accepted.
func WithKnownChatsOnly() Option { return func(s *Server) { s.strictChats = true } }

// New starts a fake Bot API on a loopback port; it is closed when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		tb:    t,
		token: strconv.FormatInt(botID, 10) + ":TEST-token-canhbao-0123456789abcdef",
		bot: tgbotapi.User{
			ID: botID, IsBot: true, FirstName: "Canhbao Test", UserName: "canhbao_test_bot",
			CanJoinGroups: true,
		},
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		chats:      make(map[int64]*chat),
		users:      make(map[int64]tgbotapi.User),
		nextUpdate: 500000000,
		byMethod:   make(map[string][]int),
		queries:    make(map[string]*query),
		files:      make(map[string]tgbotapi.Document),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.gate = newGate(s.srv.Listener)
	s.srv.Listener = s.gate
	s.srv.Start()
	t.Cleanup(func() {
		s.mu.Lock()
		close(s.done) // long polls return before Close waits for them
		s.notifyLocked()
		s.mu.Unlock()
		s.srv.Close()
	})
	return s
}

// Token is the bot token the fake accepts; any other answers 401.
func (s *Server) Token() string { return s.token }

// Endpoint is the API endpoint template for tgbotapi.NewBotAPIWithAPIEndpoint and
// BotAPI.SetAPIEndpoint: "<url>/bot%s/%s".
func (s *Server) Endpoint() string { return s.srv.URL + "/bot%s/%s" }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Bot is the bot's own user, as getMe returns it.
func (s *Server) Bot() tgbotapi.User { return s.bot }

// Client returns a tgbotapi client for the fake, already past its getMe.
func (s *Server) Client() *tgbotapi.BotAPI {
	s.tb.Helper()
	b, err := tgbotapi.NewBotAPIWithAPIEndpoint(s.token, s.Endpoint())
	if err != nil {
		s.tb.Fatalf("telegramtest: connect a client: %v", err)
	}
	return b
}

// notifyLocked wakes everything waiting for a change.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// apiError is an error answer in Telegram's shape.
type apiError struct {
	code       int
	desc       string
	retryAfter int
	migrateTo  int64
	hangup     bool // close the connection without answering
	gone       bool // the client left; nothing to answer
}

func badRequest(msg string) *apiError { return &apiError{code: 400, desc: "Bad Request: " + msg} }

var (
	errChatIDEmpty  = badRequest("chat_id is empty")
	errChatNotFound = badRequest("chat not found")
	errTextEmpty    = badRequest("message text is empty")
	errTooLong      = badRequest("message is too long")
	errCaptionLong  = badRequest("message caption is too long")
	errNotModified  = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	errEditNotFound = badRequest("message to edit not found")
	errQueryInvalid = badRequest("query is too old and response timeout expired or query ID is invalid")
)

// reply is the answer to one request, ready to write.
type reply struct {
	status      int
	contentType string
	body        []byte
	desc        string
	hangup      bool
	gone        bool
}

// envelope is every Bot API answer: {"ok":true,"result":…} or the error fields.
type envelope struct {
	Ok          bool                         `json:"ok"`
	Result      any                          `json:"result,omitempty"`
	ErrorCode   int                          `json:"error_code,omitempty"`
	Description string                       `json:"description,omitempty"`
	Parameters  *tgbotapi.ResponseParameters `json:"parameters,omitempty"`
}

func okReply(result any) reply {
	body, err := json.Marshal(envelope{Ok: true, Result: result})
	if err != nil {
		return errorReply(&apiError{code: 500, desc: "Internal Server Error: " + err.Error()})
	}
	return reply{status: http.StatusOK, contentType: "application/json", body: body}
}

func errorReply(e *apiError) reply {
	if e.hangup {
		return reply{hangup: true, desc: "connection closed"}
	}
	if e.gone {
		return reply{gone: true, status: 499, desc: "client went away"}
	}
	env := envelope{ErrorCode: e.code, Description: e.desc}
	if e.retryAfter != 0 || e.migrateTo != 0 {
		env.Parameters = &tgbotapi.ResponseParameters{RetryAfter: e.retryAfter, MigrateToChatID: e.migrateTo}
	}
	body, _ := json.Marshal(env)
	return reply{status: e.code, contentType: "application/json", body: body, desc: e.desc}
}

func (r reply) write(w http.ResponseWriter) {
	if r.gone {
		return
	}
	if r.hangup {
		hangup(w)
		return
	}
	w.Header().Set("Content-Type", r.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	w.Write(r.body)
}

// hangup closes the connection under the request, as a dying proxy does.
func hangup(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// upload is one file part of a multipart request.
type upload struct {
	name string
	mime string
	data []byte
}

// ServeHTTP answers one Bot API request: /bot<token>/<method>, GET or POST, with the
// parameters in the query, a form, a multipart body or a JSON object.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.isDown() {
		hangup(w)
		return
	}
	if s.latency > 0 && !s.sleep(r.Context(), s.latency) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, name, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || strings.Contains(name, "/") {
		errorReply(&apiError{code: 404, desc: "Not Found"}).write(w)
		return
	}
	params, files, perr := readParams(r)
	m, known := methods[strings.ToLower(name)]
	if known {
		name = m.name
	}
	idx := s.record(name, params)
	var rep reply
	switch {
	case token != s.token:
		rep = errorReply(&apiError{code: 401, desc: "Unauthorized"})
	case !known:
		rep = errorReply(&apiError{code: 404, desc: "Not Found"})
	case perr != nil:
		rep = errorReply(badRequest(perr.Error()))
	default:
		rep = s.serve(r.Context(), m, params, files)
	}
	s.finish(idx, rep)
	rep.write(w)
}

func (s *Server) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// sleep waits d unless the client or the server goes first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) record(method string, params url.Values) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: method, Params: params, Time: time.Now()})
	idx := len(s.requests) - 1
	key := strings.ToLower(method)
	s.byMethod[key] = append(s.byMethod[key], idx)
	s.notifyLocked()
	return idx
}

func (s *Server) finish(idx int, rep reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &s.requests[idx]
	r.Status, r.Description = rep.status, rep.desc
	if rep.hangup {
		r.Status = -1
	}
	s.notifyLocked()
}

// serve applies the injected faults, then the method.
func (s *Server) serve(ctx context.Context, m method, p url.Values, files map[string]upload) reply {
	s.mu.Lock()
	hooks := s.hooks
	s.mu.Unlock()
	for _, hook := range hooks {
		f := hook(m.name, cloneValues(p))
		if f == nil {
			continue
		}
		if f.Delay > 0 && !s.sleep(ctx, f.Delay) {
			return errorReply(&apiError{gone: true})
		}
		if f.fails() {
			return f.reply()
		}
	}
	if f := s.takeFault(m.name, p); f != nil {
		return f.reply()
	}
	s.mu.Lock()
	f := s.floodLocked(m.name, p.Get("chat_id"), time.Now())
	s.mu.Unlock()
	if f != nil {
		return f.reply()
	}
	result, err := m.fn(s, ctx, p, files)
	if err != nil {
		return errorReply(err)
	}
	return okReply(result)
}

// readParams collects the parameters of any encoding the Bot API accepts. Values of a
// JSON body that are objects or arrays become their JSON text, as in a form.
func readParams(r *http.Request) (url.Values, map[string]upload, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		params := r.URL.Query()
		var body map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			return params, nil, errors.New("can't parse JSON object")
		}
		for k, raw := range body {
			if string(raw) == "null" {
				continue
			}
			var str string
			if json.Unmarshal(raw, &str) == nil {
				params.Set(k, str)
				continue
			}
			params.Set(k, string(raw))
		}
		return params, nil, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			return r.URL.Query(), nil, errors.New("can't parse multipart request")
		}
		params := r.URL.Query()
		for k, vs := range r.MultipartForm.Value {
			params[k] = append(params[k], vs...)
		}
		files := make(map[string]upload)
		for field, hs := range r.MultipartForm.File {
			if len(hs) == 0 {
				continue
			}
			f, err := hs[0].Open()
			if err != nil {
				return params, nil, errors.New("can't read file " + field)
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return params, nil, errors.New("can't read file " + field)
			}
			files[field] = upload{name: hs[0].Filename, mime: hs[0].Header.Get("Content-Type"), data: data}
		}
		return params, files, nil
	default:
		if err := r.ParseForm(); err != nil {
			return r.URL.Query(), nil, errors.New("can't parse request parameters")
		}
		return r.Form, nil, nil
	}
}
