package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"
)

// Client sends requests to one server and reads the whole reply.
type Client struct {
	// Base is prepended to every path: "http://127.0.0.1:8080".
	Base string
	// HTTP sends the requests over the network; nil is a client that never
	// follows redirects (so tests see them) and has no timeout.
	HTTP *http.Client
	// Transport, when set, takes the requests instead of HTTP, as they are
	// (no redirects, no cookie jar): Fiber's app.Test through RoundTripFunc.
	Transport http.RoundTripper
	// Check, when set, judges every exchange (cmd/authd: against
	// api/openapi.yaml); sent is the request body. An error fails the test
	// without stopping it.
	Check func(req *http.Request, sent []byte, r *Reply) error
}

// RoundTripFunc is a function as an http.RoundTripper.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip implements http.RoundTripper.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// NoRedirects returns an HTTP client that never follows redirects; timeout 0
// is none.
func NoRedirects(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var defaultHTTP = NoRedirects(0)

// WithJar returns a copy of c whose requests carry and keep cookies, as a
// browser's do.
func (c *Client) WithJar() *Client {
	cp := *c
	h := NoRedirects(0)
	if c.HTTP != nil {
		hc := *c.HTTP
		h = &hc
	}
	h.Jar, _ = cookiejar.New(nil)
	cp.HTTP = h
	return &cp
}

// Opt changes a request before it is sent.
type Opt func(*http.Request)

// Bearer sends tok as the access token, even when it is empty.
func Bearer(tok string) Opt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// BearerIf is Bearer, but sends nothing when tok is empty.
func BearerIf(tok string) Opt {
	return func(r *http.Request) {
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
	}
}

// Header sets a request header.
func Header(k, v string) Opt { return func(r *http.Request) { r.Header.Set(k, v) } }

// Cookie adds a cookie to the request.
func Cookie(name, value string) Opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

// encode is a request body: nil or "" is none, a string or []byte is sent as
// it is, anything else as JSON.
func encode(body any) []byte {
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	default:
		out, err := json.Marshal(b)
		if err != nil {
			panic(fmt.Sprintf("testkit: encode request body: %v", err))
		}
		return out
	}
}

// prepare marks a body as JSON and applies opts.
func prepare(req *http.Request, sent []byte, opts []Opt) *http.Request {
	if len(sent) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	return req
}

// Request builds a request to c.Base+path; body as NewRequest's.
func (c *Client) Request(method, path string, body any, opts ...Opt) *http.Request {
	sent := encode(body)
	var rd io.Reader
	if len(sent) > 0 {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		panic(fmt.Sprintf("testkit: %s %s: %v", method, path, err))
	}
	return prepare(req, sent, opts)
}

// NewRequest builds a server-side request (httptest.NewRequest: target may be
// a bare path) for a Client with a Transport. body nil or "" is none, a string
// or []byte goes as it is, anything else as JSON; a body is marked JSON.
func NewRequest(method, target string, body any, opts ...Opt) *http.Request {
	sent := encode(body)
	var rd io.Reader
	if len(sent) > 0 {
		rd = bytes.NewReader(sent)
	}
	return prepare(httptest.NewRequest(method, target, rd), sent, opts)
}

// Do sends a request to c.Base+path and fails the test when no answer comes.
func (c *Client) Do(t testing.TB, method, path string, body any, opts ...Opt) *Reply {
	t.Helper()
	return c.Send(t, c.Request(method, path, body, opts...))
}

// Send sends req and fails the test when no answer comes; a failed Check
// fails it without stopping it.
func (c *Client) Send(t testing.TB, req *http.Request) *Reply {
	t.Helper()
	r, err := c.Try(req)
	if r == nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	if err != nil {
		t.Error(err)
	}
	return r
}

// Try sends req without a test to fail, for goroutines and callers that count
// failures themselves. The reply is nil when no answer came; the error is
// that, or the Check's verdict on the answer.
func (c *Client) Try(req *http.Request) (*Reply, error) {
	var sent []byte
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			sent, _ = io.ReadAll(b)
		}
	}
	var res *http.Response
	var err error
	switch {
	case c.Transport != nil:
		res, err = c.Transport.RoundTrip(req)
	case c.HTTP != nil:
		res, err = c.HTTP.Do(req)
	default:
		res, err = defaultHTTP.Do(req)
	}
	if err != nil {
		return nil, err
	}
	r, err := ReadReply(res)
	if err != nil {
		return nil, err
	}
	if c.Check != nil {
		if err := c.Check(req, sent, r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Reply is a response read whole.
type Reply struct {
	Status int
	Header http.Header
	Raw    string
	// Body is the answer as a JSON object; nil when it is not one.
	Body map[string]any
	// Cookies are the cookies the answer sets, by name.
	Cookies map[string]*http.Cookie
	// Response is the response itself; its Body reads Raw again.
	Response *http.Response
}

// ReadReply reads and closes res's body.
func ReadReply(res *http.Response) (*Reply, error) {
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	r := &Reply{Status: res.StatusCode, Header: res.Header, Raw: string(raw), Cookies: CookiesOf(res), Response: res}
	_ = json.Unmarshal(raw, &r.Body)
	return r, nil
}

// CookiesOf returns the cookies res sets, by name.
func CookiesOf(res *http.Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range res.Cookies() {
		out[c.Name] = c
	}
	return out
}

// Bytes is the body as it came.
func (r *Reply) Bytes() []byte { return []byte(r.Raw) }

// Str is the string member key of the body ("" if absent or not a string).
func (r *Reply) Str(key string) string { s, _ := r.Body[key].(string); return s }

// Code is the contract's error code of an error answer (docs/api.md, "Errors").
func (r *Reply) Code() string { return r.Str("code") }

// Decode decodes the body into v, failing the test if it does not fit.
func (r *Reply) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Raw), v); err != nil {
		t.Fatalf("decode %d %s: %v", r.Status, r.Raw, err)
	}
}

// Want fails the test unless r has the status and, if given, the error code.
func (r *Reply) Want(t testing.TB, status int, code ...string) *Reply {
	t.Helper()
	if r.Status != status || (len(code) > 0 && r.Code() != code[0]) {
		t.Fatalf("got %d %s, want %d %v", r.Status, r.Raw, status, code)
	}
	return r
}
