package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Telegram is the seam between canhbao and the Bot API: one call, one
// Chattable from the library, the raw result back. Tests point the real
// implementation at a fake server rather than replacing it.
type Telegram interface {
	Call(ctx context.Context, c tgbotapi.Chattable) (json.RawMessage, error)
}

// API calls the Bot API through the telegram-bot-api library, adding what
// it lacks: a context per request and errors that never carry the token.
type API struct {
	bot   *tgbotapi.BotAPI
	token string
	// timeout bounds a request whose context allows longer.
	timeout time.Duration
	// Self is the bot's own user, from getMe.
	Self tgbotapi.User
	// allow, when set, is asked right before each request leaves.
	allow func() error
}

// Gate makes every request ask allow right before it is sent; a refusal
// fails the request with allow's error and nothing reaches Telegram. In
// clustered mode a node that may no longer lead must not hand Telegram a
// message the new leader will send too.
func (a *API) Gate(allow func() error) { a.allow = allow }

// NewAPI prepares a client without calling Telegram. timeout bounds each
// request; long polls add their own wait to it.
func NewAPI(token, endpoint string, timeout time.Duration) *API {
	if endpoint == "" {
		endpoint = tgbotapi.APIEndpoint
	}
	// The default transport keeps two idle connections per host, so the
	// sender's workers would dial a new connection for most requests.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	// No http.Client.Timeout: it starts a goroutine and a timer for every
	// request, one more thread to wake per message at a thousand a second.
	// The timeout is applied through the request's context instead, and
	// only when the caller's own deadline is later.
	b := &tgbotapi.BotAPI{Token: token, Buffer: 100, Client: &http.Client{Transport: transportFor(endpoint, tr)}}
	b.SetAPIEndpoint(endpoint)
	return &API{bot: b, token: token, timeout: timeout}
}

// Connect asks Telegram who the bot is, retrying with backoff until it
// answers or ctx ends, so that Telegram being unreachable at start-up only
// delays the service. A rejected token (401) is final.
func (a *API) Connect(ctx context.Context, log *slog.Logger) error {
	wait := time.Second
	for {
		self, err := a.with(ctx).GetMe()
		err = redact(err, a.token)
		if err == nil {
			a.Self = self
			log.Info("connected to Telegram", slog.String("bot", a.Self.UserName), slog.Int64("id", a.Self.ID))
			return nil
		}
		var tgErr *tgbotapi.Error
		if errors.As(err, &tgErr) && (tgErr.Code == 401 || tgErr.Code == 404) {
			return fmt.Errorf("telegram: the bot token was rejected (%d %s)", tgErr.Code, tgErr.Message)
		}
		log.Warn("Telegram unreachable, retrying", slog.String("error", err.Error()), slog.Duration("in", wait))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// Call sends one request. The library's MakeRequest takes no context, so
// each call runs on a shallow copy of the client whose HTTP client carries
// ctx; cancelling ctx aborts the request, long polls included.
func (a *API) Call(ctx context.Context, c tgbotapi.Chattable) (json.RawMessage, error) {
	resp, err := a.with(ctx).Request(c)
	if err != nil {
		return nil, redact(err, a.token)
	}
	return resp.Result, nil
}

func (a *API) with(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.bot
	b.Client = &ctxClient{ctx: ctx, base: a.bot.Client, token: a.token, allow: a.allow, timeout: a.timeout}
	return &b
}

// ctxClient binds a context to every request and scrubs the token out of
// transport errors, which quote the request URL.
type ctxClient struct {
	ctx     context.Context
	base    tgbotapi.HTTPClient
	token   string
	allow   func() error
	timeout time.Duration
}

func (c *ctxClient) Do(req *http.Request) (*http.Response, error) {
	if c.allow != nil {
		if err := c.allow(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := c.ctx, context.CancelFunc(nil)
	if dl, ok := ctx.Deadline(); c.timeout > 0 && (!ok || time.Until(dl) > c.timeout) {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	resp, err := c.base.Do(req.WithContext(ctx))
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, redact(err, c.token)
	}
	if cancel != nil {
		// The timeout covers reading the answer too.
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	if resp.StatusCode == http.StatusOK && c.ctx.Value(messageIDOnly{}) != nil {
		resp.Body, err = shortAnswer(resp.Body)
		if err != nil {
			return nil, redact(err, c.token)
		}
	}
	return resp, nil
}

// cancelOnClose ends a request's own timeout once its answer is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// messageIDOnly marks the context of a request whose caller reads nothing
// of Telegram's answer but the message_id (see withMessageIDOnly).
type messageIDOnly struct{}

// withMessageIDOnly lets the answer to a send be cut to its message_id
// before the library decodes it. Telegram echoes the whole message (text,
// entities, buttons, the chat), and decoding that echo for every message
// of a fan-out only to read one number cost more than building the
// request.
func withMessageIDOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, messageIDOnly{}, true)
}

// okPrefix is how Telegram starts a successful answer.
const okPrefix = `{"ok":true,"result":`

// answerBuffers keeps the buffers answers are read into between requests.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// shortAnswer reads a successful answer and, when it is a message whose
// message_id comes first (as Telegram writes it), returns just that:
// {"ok":true,"result":{"message_id":N}}. Any other answer is returned
// whole, so nothing is lost when the layout differs.
func shortAnswer(body io.ReadCloser) (io.ReadCloser, error) {
	defer body.Close()
	buf := answerBuffers.Get().(*bytes.Buffer)
	defer answerBuffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, err
	}
	whole := buf.Bytes()
	if result, ok := bytes.CutPrefix(whole, []byte(okPrefix)); ok {
		if digits, ok := leadingMessageID(result); ok {
			short := fmt.Appendf(nil, `%s{"message_id":%s}}`, okPrefix, digits)
			return io.NopCloser(bytes.NewReader(short)), nil
		}
	}
	return io.NopCloser(bytes.NewReader(bytes.Clone(whole))), nil
}

// redactedError keeps the cause for errors.Is/As but prints without the
// token.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// redact removes token from err's text. Telegram's own errors never
// contain it and are returned as they are, so callers can inspect them.
func redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), token, "<token>")
	var cause error
	if u := errors.Unwrap(err); u != nil && !strings.Contains(u.Error(), token) {
		cause = u
	} else if errors.Is(err, context.Canceled) {
		cause = context.Canceled
	} else if errors.Is(err, context.DeadlineExceeded) {
		cause = context.DeadlineExceeded
	}
	return &redactedError{msg: msg, cause: cause}
}

// backoff returns the wait before attempt n (0-based) with ±20% jitter,
// so that many failing messages do not retry in lockstep.
func backoff(n int, base, ceiling time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}
