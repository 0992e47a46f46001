package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/wire"

	"authd/ports"
)

const (
	defaultBodyLimit      = 64 << 10
	defaultRequestTimeout = 10 * time.Second

	// Connection-level limits of the underlying server. The write timeout starts
	// when the response is written, so it does not compete with the request deadline.
	readTimeout  = 15 * time.Second
	writeTimeout = 15 * time.Second
	idleTimeout  = 60 * time.Second
	// Room for request headers: bearer tokens and cookies make them longer than usual.
	readBufferSize = 16 << 10
	// The underlying server refuses bodies above this ceiling before any handler
	// runs; bodies between the configured limit and the ceiling are read and then
	// refused by the request middleware, which keeps the connection usable. Above
	// the ceiling the server answers at once and closes the connection, which then
	// lingers (linger.go) so that the 413 reaches the client instead of a reset.
	minBodyCeiling    = 1 << 20
	bodyCeilingFactor = 16
)

// Config holds the transport settings that come from the environment, so that
// cmd/authd can map AUTH_* variables onto them without this package reading any.
type Config struct {
	PublicURL         string        // the service's own origin, e.g. http://localhost:3000
	BodyLimit         int           // largest accepted request body in bytes; 0 means 64 KiB
	RequestTimeout    time.Duration // deadline put on every request's context; 0 means 10s
	CookieSecure      bool          // mark session cookies Secure (AUTH_COOKIE_SECURE)
	CookieDomain      string        // Domain attribute of session cookies (AUTH_COOKIE_DOMAIN), may be empty
	VerifyRedirectURL string        // where verification links redirect (AUTH_VERIFY_REDIRECT_URL), may be empty
	CORSOrigins       []string      // browser origins allowed with credentials (AUTH_CORS_ORIGINS)
	// TrustedProxies are the peers whose X-Forwarded-For is believed (AUTH_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// JWKSMaxAge is the JWKS's Cache-Control max-age (AUTH_JWKS_MAX_AGE); 0 means 5m.
	JWKSMaxAge time.Duration
	// CookieSameSite is AUTH_COOKIE_SAMESITE: "lax" ("" too: access Lax,
	// refresh Strict), "strict" (both Strict) or "none" (both None).
	CookieSameSite string
	// TokenDelivery is AUTH_TOKEN_DELIVERY: "both" ("" too: body and cookies),
	// "cookie" (no tokens in the JSON) or "body" (no cookies).
	TokenDelivery string
	// Version is the build's version, returned by /healthz.
	Version string
}

// Check names one dependency that /readyz pings, so the 503 can say which one failed.
type Check struct {
	Name   string
	Pinger ports.Pinger
}

// Services gathers the inbound ports the handlers call, so wire can inject them as
// one value and new endpoints only add a field.
type Services struct {
	Registration      ports.Registration      // POST /auth/register
	EmailVerification ports.EmailVerification // /auth/email/verify and /auth/email/resend
	Login             ports.Login             // POST /auth/login
	Authenticator     ports.Authenticator     // every protected route
	Profile           ports.Profile           // /users/me
	Refresh           ports.Refresh           // POST /auth/refresh
	Logout            ports.Logout            // POST /auth/logout
	PasswordChange    ports.PasswordChange    // POST /auth/password/change
	PasswordReset     ports.PasswordReset     // POST /auth/password/forgot and /reset
	Deactivation      ports.Deactivation      // DELETE /users/me
	Sessions          ports.Sessions          // /users/me/sessions
	EmailChange       ports.EmailChange       // /users/me/email and /auth/email/change
	History           ports.AccountHistory    // /users/me/events
	Admin             ports.Administration    // /admin/*
	MFA               ports.MFA               // /users/me/mfa/*
	MFALogin          ports.MFALogin          // POST /auth/login/mfa
	MFAAdmin          ports.MFAAdministration // DELETE /admin/users/:id/mfa
	Keys              ports.KeySet            // /.well-known/jwks.json
	KeyRotation       ports.KeyRotation       // POST /admin/keys/rotate
	Readiness         []Check                 // /readyz, pinged concurrently
	Metrics           ports.Metrics           // every answered request, by route pattern; nil reports nothing
}

// Server is the HTTP face of authd; it wraps a configured *fiber.App so callers
// need not know Fiber to run, test or stop it.
type Server struct {
	app            *fiber.App
	cfg            Config
	svc            Services
	log            *slog.Logger
	verifyRedirect *url.URL // nil: verification links answer JSON
	origins        origins
	probe          routeProbe // which methods a path accepts, for Allow
	linger         lingerer   // connections drained after their close
}

// ProviderSet lets wire build a Server from a Config, a logger and the inbound ports.
var ProviderSet = wire.NewSet(NewServer, wire.Struct(new(Services), "*"))

// NewServer builds the Fiber app with every route of the contract, so that the
// composition root only has to hand it a listener.
func NewServer(cfg Config, svc Services, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = defaultBodyLimit
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	s := &Server{cfg: cfg, svc: svc, log: logger, origins: newOrigins(cfg.PublicURL, cfg.CORSOrigins)}
	if cfg.VerifyRedirectURL != "" {
		u, err := url.Parse(cfg.VerifyRedirectURL)
		if err != nil || !u.IsAbs() || u.Host == "" {
			logger.Error("httpapi: verify redirect URL is not an absolute URL; verification links will answer JSON")
		} else {
			s.verifyRedirect = u
		}
	}
	s.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		BodyLimit:             max(cfg.BodyLimit*bodyCeilingFactor, minBodyCeiling, cfg.BodyLimit),
		ReadTimeout:           readTimeout,
		WriteTimeout:          writeTimeout,
		IdleTimeout:           idleTimeout,
		ReadBufferSize:        readBufferSize,
		CaseSensitive:         true,
	})
	s.guardMethods()
	s.finishResponses()
	s.routes()
	return s
}

// App exposes the Fiber app so tests can drive it with app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves requests on ln until Shutdown; the caller owns the listener's
// address. Closed connections are drained for a moment first (see linger.go), so
// that an early answer such as a 413 reaches a client that is still sending.
func (s *Server) Listen(ln net.Listener) error { return s.app.Listener(s.linger.listener(ln)) }

// Shutdown stops accepting connections and waits for in-flight requests to finish
// and closed connections to drain, or closes them when ctx ends first.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.app.ShutdownWithContext(ctx)
	s.linger.wait(ctx)
	return err
}

// routes registers every endpoint. Routes are grouped by prefix so that later
// endpoints (refresh, logout, password, sessions) slot into the same groups and
// inherit their middleware.
func (s *Server) routes() {
	app := s.app
	app.Use(s.requestScope, s.cors)

	system := router{app}
	system.get("/healthz", s.healthz)
	system.get("/readyz", s.readyz)
	system.get("/.well-known/jwks.json", s.jwks)
	system.get("/reset-password", staticFile("reset-password.html", "text/html; charset=utf-8"))
	system.get("/reset-password.js", staticFile("reset-password.js", "text/javascript; charset=utf-8"))
	system.get("/reset-password.css", staticFile("reset-password.css", "text/css; charset=utf-8"))
	system.get(openAPIPath, openAPI)

	v1 := app.Group("/api/v1")

	auth := router{v1.Group("/auth", noStore)}
	auth.post("/register", s.register)
	auth.post("/login", s.login)
	auth.post("/login/mfa", s.loginMFA)
	auth.get("/email/verify/:token", s.verifyEmailLink)
	auth.post("/email/verify", s.verifyEmail)
	auth.post("/email/resend", s.resendVerification)
	auth.post("/refresh", s.refresh)
	auth.post("/logout", s.logout)
	auth.post("/password/change", s.requireAuth, s.changePassword)
	auth.post("/password/forgot", s.forgotPassword)
	auth.post("/password/reset", s.resetPassword)

	users := router{v1.Group("/users", noStore)}
	users.get("/me", s.requireAuth, s.me)
	users.patch("/me", s.requireAuth, s.updateMe)
	users.delete("/me", s.requireAuth, s.deactivate)
	users.get("/me/sessions", s.requireAuth, s.listSessions)
	users.delete("/me/sessions/:id", s.requireAuth, s.revokeSession)
	users.post("/me/email", s.requireAuth, s.requestEmailChange)
	users.get("/me/events", s.requireAuth, s.myEvents)
	users.post("/me/mfa/totp", s.requireAuth, s.startTOTP)
	users.post("/me/mfa/totp/confirm", s.requireAuth, s.confirmTOTP)
	users.delete("/me/mfa/totp", s.requireAuth, s.disableTOTP)
	users.post("/me/mfa/recovery-codes", s.requireAuth, s.regenerateRecoveryCodes)

	auth.get("/email/change/:token", s.confirmEmailChangeLink)
	auth.post("/email/change", s.confirmEmailChange)

	// The admin role is read from the store by every call of the use case, not
	// from the token, so a demoted admin is refused at once.
	admin := router{v1.Group("/admin", noStore)}
	admin.get("/users", s.requireAuth, s.adminUsers)
	admin.get("/users/:id", s.requireAuth, s.adminUser)
	admin.patch("/users/:id", s.requireAuth, s.adminUpdateUser)
	admin.post("/users/:id/deactivate", s.requireAuth, s.adminDeactivate)
	admin.post("/users/:id/reactivate", s.requireAuth, s.adminReactivate)
	admin.delete("/users/:id/sessions", s.requireAuth, s.adminRevokeSessions)
	admin.get("/users/:id/events", s.requireAuth, s.adminUserEvents)
	admin.delete("/users/:id/mfa", s.requireAuth, s.adminResetMFA)
	admin.post("/keys/rotate", s.requireAuth, s.adminRotateKey)
}

// router registers endpoints with a first handler that records the matched route
// pattern for the request log (Fiber does not tell an endpoint from middleware).
type router struct{ r fiber.Router }

func (rt router) get(path string, h ...fiber.Handler)    { rt.r.Get(path, withRouteMark(h)...) }
func (rt router) post(path string, h ...fiber.Handler)   { rt.r.Post(path, withRouteMark(h)...) }
func (rt router) patch(path string, h ...fiber.Handler)  { rt.r.Patch(path, withRouteMark(h)...) }
func (rt router) delete(path string, h ...fiber.Handler) { rt.r.Delete(path, withRouteMark(h)...) }

func withRouteMark(h []fiber.Handler) []fiber.Handler {
	return append([]fiber.Handler{markRoute}, h...)
}
