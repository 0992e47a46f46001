package verifier

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Middleware passes a request on to next only with a token authd would accept,
// with its claims in the request context (ClaimsFrom); otherwise it answers in
// authd's error shape: 401 unauthenticated, invalid_token or token_revoked, or
// 503 dependency_unavailable. The token comes from "Authorization: Bearer"
// when that header is present (a bad one is 401, with no fallback), else from
// Config.Cookie if set.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cookie string
		if v.cookie != "" {
			if c, err := r.Cookie(v.cookie); err == nil {
				cookie = c.Value
			}
		}
		tok, err := TokenFrom(r.Header.Values("Authorization"), cookie)
		if err == nil {
			var c Claims
			if c, err = v.Verify(r.Context(), tok); err == nil {
				next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
				return
			}
		}
		status, body := ErrorResponse(err)
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		if status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Bearer realm="authd"`)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// ErrNoToken means the request carried no access token (HTTP 401 unauthenticated).
var ErrNoToken = errors.New("verifier: no access token")

// TokenFrom picks the presented token as authd does: the Authorization header
// when present (exactly one, "Bearer <token>", scheme in any case), else the
// cookie value; neither is ErrNoToken, a bad header is ErrInvalidToken.
func TokenFrom(authorization []string, cookie string) (string, error) {
	switch {
	case len(authorization) > 1:
		return "", invalid("several Authorization headers")
	case len(authorization) == 1:
		scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization[0]), " ")
		tok = strings.TrimLeft(tok, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return "", invalid("not a Bearer Authorization header")
		}
		return tok, nil
	case cookie != "":
		return cookie, nil
	}
	return "", ErrNoToken
}

// ErrorResponse maps an error of Verify or TokenFrom to authd's status and
// error body; anything unknown is 503, never a pass.
func ErrorResponse(err error) (status int, body []byte) {
	status, code, msg := http.StatusServiceUnavailable, "dependency_unavailable", "token verification is unavailable"
	switch {
	case errors.Is(err, ErrNoToken):
		status, code, msg = http.StatusUnauthorized, "unauthenticated", "no access token presented"
	case errors.Is(err, ErrRevoked):
		status, code, msg = http.StatusUnauthorized, "token_revoked", "the access token was revoked"
	case errors.Is(err, ErrInvalidToken):
		status, code, msg = http.StatusUnauthorized, "invalid_token", "the access token is invalid or expired"
	}
	kind := "fail"
	if status >= 500 {
		kind = "error"
	}
	body, _ = json.Marshal(struct {
		Status     string `json:"status"`
		StatusCode int    `json:"statusCode"`
		Code       string `json:"code"`
		Message    string `json:"message"`
	}{kind, status, code, msg})
	return status, body
}

// Cookie returns the name of the cookie the middlewares read (Config.Cookie).
func (v *Verifier) Cookie() string { return v.cookie }
