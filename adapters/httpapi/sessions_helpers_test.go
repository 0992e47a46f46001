package httpapi

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"authd/domain"
	"authd/internal/testkit"
	"authd/ports"
)

// Stubs of the session ports. Each records what the transport handed it, so tests
// can tell which token was used and that a refused request never reached the core.

// calls records the arguments of every call; handlers run on the server's
// goroutine, tests read on theirs.
type calls[T any] struct {
	mu   sync.Mutex
	args []T
}

func (r *calls[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.args = append(r.args, v)
}

func (r *calls[T]) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.args)
}

func (r *calls[T]) last() T {
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero T
	if len(r.args) == 0 {
		return zero
	}
	return r.args[len(r.args)-1]
}

// Access tokens the recording authenticator knows besides goodToken, which stands
// for a live token; any other token is invalid (malformed, expired, ...).
const (
	expiredToken = "expired-token"
	revokedToken = "revoked-token"
	downToken    = "denylist-down-token" // the denylist cannot be asked
)

type recordingAuthenticator struct{ calls[string] }

func (a *recordingAuthenticator) Authenticate(ctx context.Context, token string) (ports.Principal, error) {
	a.add(token)
	switch token {
	case revokedToken:
		return ports.Principal{}, domain.ErrTokenRevoked
	case downToken:
		return ports.Principal{}, domain.WrapUnavailable(errSecretDriverText)
	}
	return stubAuthenticator{}.Authenticate(ctx, token)
}

// newTokens is a session as the core hands it out.
func newTokens(sid domain.SessionID, access, refresh string) ports.SessionTokens {
	now := time.Now()
	return ports.SessionTokens{
		IssuedAt:         now,
		SessionID:        sid,
		AccessToken:      access,
		AccessExpiresAt:  now.Add(15 * time.Minute),
		RefreshToken:     domain.Secret(refresh),
		RefreshExpiresAt: now.Add(168 * time.Hour),
		User:             testUser,
	}
}

type stubRefresh struct{ calls[domain.Secret] }

func (r *stubRefresh) Refresh(_ context.Context, token domain.Secret, _ ports.Client) (ports.SessionTokens, error) {
	r.add(token)
	switch token.Reveal() {
	case "reused-token":
		return ports.SessionTokens{}, domain.ErrRefreshTokenReused
	case "rotated-token":
		return ports.SessionTokens{}, domain.ErrRefreshTokenRotated
	case "unknown-token":
		return ports.SessionTokens{}, domain.ErrInvalidRefreshToken
	}
	return newTokens("sid-1", "rotated.access-token", "rotated-refresh"), nil
}

type stubLogout struct{ calls[ports.LogoutInput] }

func (l *stubLogout) Logout(_ context.Context, in ports.LogoutInput) error {
	l.add(in)
	switch {
	case in.Principal != nil:
		return nil
	case in.RefreshToken == "":
		return domain.ErrUnauthenticated
	case in.RefreshToken.Reveal() == "unknown-token":
		return domain.ErrInvalidRefreshToken
	}
	return nil
}

type passwordChangeCall struct {
	p  ports.Principal
	in ports.ChangePasswordInput
}

type stubPasswordChange struct{ calls[passwordChangeCall] }

func (s *stubPasswordChange) ChangePassword(_ context.Context, p ports.Principal, in ports.ChangePasswordInput) (ports.SessionTokens, error) {
	s.add(passwordChangeCall{p, in})
	if in.CurrentPassword != "correct horse" {
		return ports.SessionTokens{}, domain.ErrInvalidCurrentPassword
	}
	return newTokens("sid-2", "changed.access-token", "changed-refresh"), nil
}

type deactivateCall struct {
	p        ports.Principal
	password string
}

type stubDeactivation struct{ calls[deactivateCall] }

func (d *stubDeactivation) Deactivate(_ context.Context, p ports.Principal, password domain.Secret) error {
	d.add(deactivateCall{p, password.Reveal()})
	if password != "correct horse" {
		return domain.ErrInvalidCurrentPassword
	}
	return nil
}

type revokeCall struct {
	p  ports.Principal
	id domain.SessionID
}

type stubSessions struct {
	list []ports.SessionInfo
	calls[revokeCall]
}

func (s *stubSessions) List(context.Context, ports.Principal) ([]ports.SessionInfo, error) {
	return s.list, nil
}

func (s *stubSessions) Revoke(_ context.Context, p ports.Principal, id domain.SessionID) error {
	s.add(revokeCall{p, id})
	for _, si := range s.list {
		if si.ID == id {
			return nil
		}
	}
	return domain.ErrSessionNotFound
}

// sessionStubs are the recording services behind one test server.
type sessionStubs struct {
	auth         *recordingAuthenticator
	profile      *stubProfile
	refresh      *stubRefresh
	logout       *stubLogout
	change       *stubPasswordChange
	deactivation *stubDeactivation
	sessions     *stubSessions
}

func newSessionServer(t *testing.T, cfg Config) (*Server, *sessionStubs, *logBuffer) {
	t.Helper()
	st := &sessionStubs{
		auth:         &recordingAuthenticator{},
		profile:      &stubProfile{},
		refresh:      &stubRefresh{},
		logout:       &stubLogout{},
		change:       &stubPasswordChange{},
		deactivation: &stubDeactivation{},
		sessions:     &stubSessions{},
	}
	svc := testServices()
	svc.Authenticator = st.auth
	svc.Profile = st.profile
	svc.Refresh = st.refresh
	svc.Logout = st.logout
	svc.PasswordChange = st.change
	svc.Deactivation = st.deactivation
	svc.Sessions = st.sessions
	s, logs := newTestServer(t, cfg, svc)
	return s, st, logs
}

func accessCookieOf(token string) testkit.Opt  { return testkit.Cookie("access_token", token) }
func refreshCookieOf(token string) testkit.Opt { return testkit.Cookie("refresh_token", token) }
func origin(o string) testkit.Opt              { return testkit.Header("Origin", o) }

// assertSessionCookiesSet checks that both session cookies carry the new tokens.
func assertSessionCookiesSet(t *testing.T, resp *http.Response, access, refresh string) {
	t.Helper()
	got := testkit.CookiesOf(resp)
	if a := got["access_token"]; a == nil || a.Value != access || a.Path != "/" || a.MaxAge != 900 || !a.HttpOnly {
		t.Errorf("access cookie %+v", a)
	}
	if r := got["refresh_token"]; r == nil || r.Value != refresh || r.Path != "/api/v1/auth" || r.MaxAge != 604800 || !r.HttpOnly {
		t.Errorf("refresh cookie %+v", r)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}

// assertSessionCookiesCleared checks that both session cookies are deleted with the
// Path and Domain they were set with.
func assertSessionCookiesCleared(t *testing.T, resp *http.Response, domain string) {
	t.Helper()
	got := testkit.CookiesOf(resp)
	if len(resp.Header.Values("Set-Cookie")) != 2 {
		t.Fatalf("Set-Cookie = %q", resp.Header.Values("Set-Cookie"))
	}
	for name, path := range map[string]string{"access_token": "/", "refresh_token": "/api/v1/auth"} {
		c := got[name]
		if c == nil || c.Value != "" || c.Path != path || c.Domain != domain || !c.HttpOnly ||
			(c.MaxAge >= 0 && (c.Expires.IsZero() || !c.Expires.Before(time.Now()))) {
			t.Errorf("%s not cleared with Path=%s Domain=%s: %+v", name, path, domain, c)
		}
	}
}

func assertNoCookies(t *testing.T, resp *http.Response) {
	t.Helper()
	if v := resp.Header.Values("Set-Cookie"); len(v) != 0 {
		t.Errorf("Set-Cookie = %q, want none", v)
	}
}
