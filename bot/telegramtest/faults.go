package telegramtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Fault is an injected answer. The zero Fault passes the request through; otherwise
// the first of these that is set decides:
//   - Hangup closes the connection without answering;
//   - RawBody is written as is with HTTPStatus (502 when 0), as a proxy in front of
//     Telegram answers (an nginx HTML page, a truncated body);
//   - Code (or Description) gives Telegram's JSON error {"ok":false,"error_code":Code,
//     "description":Description,"parameters":{…}}, with HTTP status HTTPStatus or Code.
//
// Delay, applied first, holds the answer back; a Fault with only Delay set slows the
// request down and then lets the fake answer normally.
type Fault struct {
	Code        int
	Description string
	RetryAfter  int
	MigrateTo   int64
	HTTPStatus  int
	RawBody     string
	Hangup      bool
	Delay       time.Duration
}

func (f *Fault) fails() bool {
	return f.Hangup || f.RawBody != "" || f.Code != 0 || f.Description != "" || f.HTTPStatus != 0
}

func (f *Fault) reply() reply {
	switch {
	case f.Hangup:
		return reply{hangup: true, desc: "connection closed"}
	case f.RawBody != "":
		status := f.HTTPStatus
		if status == 0 {
			status = http.StatusBadGateway
		}
		ct := "application/json"
		if strings.HasPrefix(strings.TrimSpace(f.RawBody), "<") {
			ct = "text/html"
		}
		return reply{status: status, contentType: ct, body: []byte(f.RawBody), desc: http.StatusText(status)}
	}
	code := f.Code
	if code == 0 {
		code = f.HTTPStatus
	}
	if code == 0 {
		code = http.StatusBadRequest
	}
	rep := errorReply(&apiError{code: code, desc: f.Description, retryAfter: f.RetryAfter, migrateTo: f.MigrateTo})
	if f.HTTPStatus != 0 {
		rep.status = f.HTTPStatus
	}
	return rep
}

// failure is a pending FailNext.
type failure struct {
	method string // lower case; "" for any
	left   int
	status int
}

// flood is a pending FloodWait.
type flood struct {
	chatID     int64 // 0 for any chat
	retryAfter int
	left       int
}

// OnRequest adds a hook called with every request for a known method (a copy of its
// parameters) before the fake serves it; the first hook that returns a Fault decides.
// Hooks run outside the server's lock, so they may call its methods.
func (s *Server) OnRequest(hook func(method string, params url.Values) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks[:len(s.hooks):len(s.hooks)], hook)
}

// FailNext makes the next n requests for method ("" for any) fail with HTTP status:
// 500 answers Telegram's JSON {"error_code":500,"description":"Internal Server Error"};
// other 5xx an nginx HTML page, as Telegram's front end gives when the Bot API server
// behind it is down; anything else a JSON error with the status text.
func (s *Server) FailNext(method string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method: strings.ToLower(method), left: n, status: status})
}

// FloodWait makes the next times requests addressed to chatID (any request with a
// chat_id when chatID is 0) answer 429 "Too Many Requests: retry after N" with
// parameters.retry_after = N, as Telegram's flood control does.
func (s *Server) FloodWait(chatID int64, retryAfter, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.floods = append(s.floods, flood{chatID: chatID, retryAfter: retryAfter, left: times})
}

// ClearFaults drops pending FailNext, FloodWait and OnRequest hooks.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.floods, s.hooks = nil, nil, nil
}

// takeFault consumes the pending FailNext or FloodWait matching the request, if any.
func (s *Server) takeFault(method string, p url.Values) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(method)
	for k := range s.failures {
		f := &s.failures[k]
		if f.method != "" && f.method != key {
			continue
		}
		status := f.status
		if f.left--; f.left <= 0 {
			s.failures = append(s.failures[:k], s.failures[k+1:]...)
		}
		return statusFault(status)
	}
	if p.Get("chat_id") == "" {
		return nil
	}
	chatID, _ := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	for k := range s.floods {
		f := &s.floods[k]
		if f.chatID != 0 && f.chatID != chatID {
			continue
		}
		after := f.retryAfter
		if f.left--; f.left <= 0 {
			s.floods = append(s.floods[:k], s.floods[k+1:]...)
		}
		return &Fault{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", after), RetryAfter: after}
	}
	return nil
}

// statusFault is the answer of a failing server with that status.
func statusFault(status int) *Fault {
	switch {
	case status == http.StatusInternalServerError:
		return &Fault{Code: 500, Description: "Internal Server Error"}
	case status >= 500:
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		return &Fault{HTTPStatus: status, RawBody: "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" +
			text + "</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"}
	default:
		return &Fault{Code: status, Description: http.StatusText(status)}
	}
}

// Kick makes the bot no longer a member of chatID without telling it (no update): sends
// then fail 403 "Forbidden: bot was kicked from the group chat" (supergroup chat,
// channel chat), or "Forbidden: bot was blocked by the user" in a private chat. AddBot
// undoes it.
func (s *Server) Kick(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	c.kicked = true
	c.members[s.bot.ID] = "kicked"
	s.notifyLocked()
}

// DeleteChat makes chatID vanish, as a deleted group or account does: every request
// naming it answers 400 "Bad Request: chat not found".
func (s *Server) DeleteChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(chatID).deleted = true
	s.notifyLocked()
}

// Down makes Telegram unreachable: the listening socket is closed, so new connections
// are refused, and open connections (long polls included) are cut.
func (s *Server) Down() {
	s.mu.Lock()
	s.down = true
	s.notifyLocked()
	s.mu.Unlock()
	s.gate.down()
	s.srv.CloseClientConnections()
}

// Up ends Down: the fake listens again on the same address.
func (s *Server) Up() {
	s.tb.Helper()
	if err := s.gate.raise(); err != nil {
		s.tb.Fatal(err)
	}
	s.mu.Lock()
	s.down = false
	s.notifyLocked()
	s.mu.Unlock()
}
