package broker

import (
	"context"
	"log/slog"
)

// quietHandler tidies mochi's logs: mochi logs every client connection that
// ends without DISCONNECT (a gate losing power or network, which is exactly
// when its last will fires) as a warning with an empty message. That is
// routine for a fleet, so it is logged at info with a message that says
// what happened.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "" {
		nr := slog.NewRecord(r.Time, slog.LevelInfo, "client connection ended", r.PC)
		r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
		r = nr
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	// Let warnings through to Handle, which may lower them.
	return h.Handler.Enabled(ctx, l) || l == slog.LevelWarn
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}
