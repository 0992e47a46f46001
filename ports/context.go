package ports

import "context"

type requestIDKey struct{}

// WithRequestID tags ctx with the id of the request being served, so that log
// lines written anywhere below the transport can name it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id set by WithRequestID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
