package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"authd/api"
)

// The HTTP tests check every exchange they make through testApp.do against
// api/openapi.yaml, so the description cannot drift from the service:
//
//   - The request is validated first (path, parameters, body, security). A
//     request the description refuses — the tests send malformed JSON, unknown
//     fields, missing tokens and other invalid requests on purpose — must be
//     refused by the service too (a 4xx); its response is then validated like
//     any other. The request check is skipped only where the library cannot
//     parse the request at all (a body that does not decode); the response
//     check never is.
//   - A request that matches no operation (unknown path, wrong or unknown
//     method) must get the description's 404 or 405 error response (or the
//     preflight 204 for OPTIONS), validated as such.
//   - The response is validated with IncludeResponseStatus: a status the
//     operation does not list fails, as do undeclared content types, missing
//     required headers and bodies outside their schemas.

// contract is the description, loaded and validated once per test process.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func loadContract() (*openapi3.T, routers.Router, error) {
	contract.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
		if err != nil {
			contract.err = fmt.Errorf("load api/openapi.yaml: %w", err)
			return
		}
		doc.Servers = nil // route on the path alone: test instances listen on random ports
		for _, ct := range []string{"text/html", "text/javascript", "text/css", "application/yaml"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
		router, err := legacy.NewRouter(doc)
		if err != nil {
			contract.err = fmt.Errorf("api/openapi.yaml: %w", err)
			return
		}
		contract.doc, contract.router = doc, router
	})
	return contract.doc, contract.router, contract.err
}

// presentCredentials is the AuthenticationFunc of the request check: a scheme
// is satisfied when its credential is presented at all (whether the service
// accepts it is the response's business).
func presentCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearerAuth":
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			return nil
		}
	case "accessCookie", "refreshCookie":
		if c, err := r.Cookie(in.SecurityScheme.Name); err == nil && c.Value != "" {
			return nil
		}
	}
	return errors.New("credential not presented")
}

// checkExchange validates one request (with its body) and the response the
// service gave it against the description; it returns what is wrong, or nil.
func checkExchange(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	doc, router, err := loadContract()
	if err != nil {
		return err
	}
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.ContentLength = int64(len(reqBody))

	// Routing as the service does it: a trailing slash names the same route,
	// and HEAD is GET without the body (RFC 9110, section 9.3.2).
	vreq.URL.Path = trimSlash(vreq.URL.Path)
	head := vreq.Method == http.MethodHead
	if head {
		vreq.Method = http.MethodGet
	}
	opts := &openapi3filter.Options{AuthenticationFunc: presentCredentials, IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: head}

	route, params, rerr := router.FindRoute(vreq)
	if rerr != nil {
		allowed := documentedMethods(router, vreq)
		route, err = unroutedRoute(doc, vreq, len(allowed) > 0)
		if err != nil {
			return err
		}
		if want := fixedStatus(route); status != want {
			return fmt.Errorf("%s %s matches no operation (%v), so the description says %d, but the service answered %d", req.Method, req.URL.Path, rerr, want, status)
		}
		if status == http.StatusMethodNotAllowed {
			if got, want := header.Get("Allow"), strings.Join(allowed, ", "); got != want {
				return fmt.Errorf("%s %s: Allow is %q, the description's methods are %q", req.Method, req.URL.Path, got, want)
			}
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if rerr == nil {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil && !unparsable(err) && status < 400 {
			return fmt.Errorf("the service accepted (%d) a request the description refuses: %s %s: %v", status, req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("response %d to %s %s is not in the description: %v\nbody: %s", status, req.Method, req.URL.Path, err, respBody)
	}
	return nil
}

// unparsable tells a request the library could not even decode (its body is
// not JSON, so there is nothing to hold against the schema) from one that it
// read and found invalid.
func unparsable(err error) bool {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		for _, e := range me {
			if !unparsable(e) {
				return false
			}
		}
		return len(me) > 0
	}
	var pe *openapi3filter.ParseError
	return errors.As(err, &pe)
}

// methodOrder is the order in which the service lists methods in Allow.
var methodOrder = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// documentedMethods lists the methods the description gives req's path, as
// Allow spells them (HEAD with GET, OPTIONS last); nil for an unknown path.
func documentedMethods(router routers.Router, req *http.Request) []string {
	var out []string
	for _, m := range methodOrder {
		probe := req.Clone(context.Background())
		probe.Method = m
		if m == http.MethodHead {
			probe.Method = http.MethodGet
		}
		if _, _, err := router.FindRoute(probe); err == nil {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		out = append(out, http.MethodOptions)
	}
	return out
}

func trimSlash(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

// unroutedRoute is the operation that stands for a request the description
// has no operation for: the 404 of an unknown path, the 405 of a wrong method
// on a known one, or, for OPTIONS, the preflight answer.
func unroutedRoute(doc *openapi3.T, req *http.Request, knownPath bool) (*routers.Route, error) {
	name, code := "NotFound", "404"
	switch {
	case req.Method == http.MethodOptions:
		name, code = "Preflight", "204"
	case knownPath:
		name, code = "MethodNotAllowed", "405"
	}
	ref := doc.Components.Responses[name]
	if ref == nil {
		return nil, fmt.Errorf("api/openapi.yaml has no components.responses.%s", name)
	}
	op := openapi3.NewOperation()
	op.Responses = openapi3.NewResponses(openapi3.WithName(code, ref.Value))
	return &routers.Route{Spec: doc, Path: req.URL.Path, Method: req.Method, Operation: op}, nil
}

// fixedStatus is the one status an unrouted request may get.
func fixedStatus(r *routers.Route) int {
	for code := range r.Operation.Responses.Map() {
		var n int
		_, _ = fmt.Sscan(code, &n)
		return n
	}
	return 0
}

// TestContractCheckRefusesWhatTheDescriptionDoesNot proves the check bites: each
// of these exchanges breaks the description in one way and must be reported.
func TestContractCheckRefusesWhatTheDescriptionDoesNot(t *testing.T) {
	ok := http.Header{"X-Request-Id": {"abc"}, "Content-Type": {"application/json; charset=utf-8"}}
	noStore := ok.Clone()
	noStore.Set("Cache-Control", "no-store")
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		header http.Header
		resp   string
	}{
		{"an undocumented field in a response", "GET", "/healthz", "", 200, ok, `{"status":"ok","extra":1}`},
		{"an undocumented status", "GET", "/healthz", "", 418, ok, `{"status":"fail","statusCode":418,"code":"internal","message":"x"}`},
		{"an error code the status does not have", "GET", "/api/v1/users/me", "", 401, ok, `{"status":"fail","statusCode":401,"code":"email_taken","message":"x"}`},
		{"a missing X-Request-Id", "GET", "/healthz", "", 200, http.Header{"Content-Type": {"application/json"}}, `{"status":"ok"}`},
		{"a 2xx to a request with an unknown field", "POST", "/api/v1/auth/email/resend", `{"email":"a@b.c","x":1}`, 202, ok, `{"message":"m"}`},
		{"a 200 on an undocumented path", "GET", "/api/v1/nope", "", 200, ok, `{}`},
		{"a 405 whose Allow differs from the description", "DELETE", "/healthz", "", 405, func() http.Header {
			h := ok.Clone()
			h.Set("Allow", "GET, POST, OPTIONS")
			return h
		}(), `{"status":"fail","statusCode":405,"code":"method_not_allowed","message":"x"}`},
		{"a token response without Cache-Control", "GET", "/api/v1/users/me", "", 200, ok,
			`{"id":"0193a1b2-0000-7000-8000-000000000001","email":"a@b.c","firstName":null,"lastName":null,"phone":null,"gender":null,"profileImage":null,"role":"customer","emailVerified":true,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://127.0.0.1"+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer x")
			if err := checkExchange(req, []byte(c.body), c.status, c.header, []byte(c.resp)); err == nil {
				t.Fatal("the check let it pass")
			}
		})
	}
	t.Run("and a conforming exchange passes", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://127.0.0.1/api/v1/users/me", nil)
		req.Header.Set("Authorization", "Bearer x")
		body := `{"id":"0193a1b2-0000-7000-8000-000000000001","email":"a@b.c","firstName":null,"lastName":null,"phone":null,"gender":null,"profileImage":null,"role":"customer","emailVerified":true,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`
		if err := checkExchange(req, nil, 200, noStore, []byte(body)); err != nil {
			t.Fatal(err)
		}
	})
}
