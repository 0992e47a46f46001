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

type clientKey struct{}

// WithClient tags ctx with where the request comes from, so that security
// events written anywhere below the transport name the client IP and agent.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client set by WithClient, or the zero Client.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
