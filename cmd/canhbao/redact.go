package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/canhbao/canhbao/feeds"
)

// redactingHandler is the last guard that keeps secrets out of the logs:
// the bot token and the credentials of URLs (a source configured as
// https://user:password@…). Every message and string attribute is scrubbed
// before it is written, whatever code produced it.
type redactingHandler struct {
	slog.Handler
	token string
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redact(r.Message, h.token), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.scrub(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h *redactingHandler) scrub(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redact(a.Value.String(), h.token))
	case slog.KindGroup:
		attrs := a.Value.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = h.scrub(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, redact(err.Error(), h.token))
		}
	}
	return a
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	for i := range attrs {
		attrs[i] = h.scrub(attrs[i])
	}
	return &redactingHandler{Handler: h.Handler.WithAttrs(attrs), token: h.token}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{Handler: h.Handler.WithGroup(name), token: h.token}
}

// redact hides the bot token and every URL's credentials in s.
func redact(s, token string) string {
	if token != "" {
		s = strings.ReplaceAll(s, token, "<token>")
	}
	return feeds.RedactText(s)
}
