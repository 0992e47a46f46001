package main

import (
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"authd/adapters/seal"
	"authd/application"
	"authd/domain"
	"authd/ports"
)

// Config is the whole configuration of one authd process, read from the
// environment variables named in the contract.
type Config struct {
	HTTPAddr         string
	MetricsAddr      string // AUTH_METRICS_ADDR: the Prometheus listener
	PublicURL        string
	DataDir          string
	DBDriver         string
	DBDSN            string
	Denylist         string
	MemcachedServers []string
	// LimiterServers hold the abuse counters (AUTH_LIMITER_MEMCACHED_SERVERS);
	// empty means in process.
	LimiterServers []string
	Abuse          application.AbuseLimits
	TrustedProxies []netip.Prefix
	Mailer         string
	SMTP           SMTPConfig

	JWTAlg            string
	JWTPrivateKeyFile string
	JWTSecret         domain.Secret
	JWTIssuer         string
	JWTAudience       string

	AccessTokenTTL    time.Duration
	RefreshTokenTTL   time.Duration
	RefreshReuseGrace time.Duration
	SessionMaxAge     time.Duration
	HMACSecret        domain.Secret // "": the key ring in the database
	// KeyEncryptionKey (AUTH_KEY_ENCRYPTION_KEY, base64 of at least 32 bytes)
	// encrypts the secrets kept in the store; "" keeps them in clear.
	KeyEncryptionKey domain.Secret
	MailMaxAge       time.Duration
	StartupTimeout   time.Duration
	RequestTimeout   time.Duration
	JWKSMaxAge       time.Duration // AUTH_JWKS_MAX_AGE: Cache-Control max-age of the JWKS

	RequireEmailVerification bool
	VerifyTokenTTL           time.Duration
	ResetTokenTTL            time.Duration
	OTPTTL                   time.Duration
	VerifyRedirectURL        string
	ResetPasswordURL         string

	Roles             []domain.Role
	SignupRoles       []domain.Role
	DefaultRole       domain.Role
	AdminRoles        []domain.Role
	EventRetention    time.Duration
	PasswordMinLength int
	// MFAIssuer is the issuer label of otpauth:// URIs (AUTH_MFA_ISSUER).
	MFAIssuer string

	CookieSecure bool
	CookieDomain string
	CORSOrigins  []string
	// CookieSameSite is AUTH_COOKIE_SAMESITE: lax, strict or none.
	CookieSameSite string
	// TokenDelivery is AUTH_TOKEN_DELIVERY: both, cookie or body.
	TokenDelivery string
	// Migrate is AUTH_MIGRATE: serve applies pending migrations (false: refuses to start while any is pending).
	Migrate bool
	// MailTemplatesDir is AUTH_MAIL_TEMPLATES_DIR: overrides of the embedded mail templates ("" none).
	MailTemplatesDir string

	// vars are the variables LoadConfig read, in order, with their effective
	// values, secrets redacted: the one list of known names (unknown-variable
	// warnings, config check).
	vars []configVar

	LogLevel  string
	LogFormat string

	// Knobs for tests, not read from the environment: a cheap password hash and a
	// fast mail poll on a small machine.
	PasswordHash    PasswordHashConfig
	MailPollEvery   time.Duration
	MailBaseBackoff time.Duration
	// ConsoleMailOutput receives the console mailer's messages (nil: standard error).
	ConsoleMailOutput io.Writer
	// Clock replaces the system clock (nil: the system clock), so tests can let
	// time pass without waiting for it.
	Clock ports.Clock
	// CounterPrefix namespaces the abuse counters in a memcached that several
	// test instances share ("" → the default namespace).
	CounterPrefix string
	// MFATokenTTL shortens the MFA login token's life so that a test sees it
	// expire (0: the contract's 5 minutes).
	MFATokenTTL time.Duration
}

// SMTPConfig is where mail goes with AUTH_MAILER=smtp.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password domain.Secret
	From     string
	TLS      string
}

// PasswordHashConfig overrides the argon2id parameters; zero means the
// production defaults.
type PasswordHashConfig struct {
	MemoryKiB  uint32
	Iterations uint32
}

// configError names the offending variable, so a bad deployment fails with one line.
type configError struct {
	name string
	msg  string
}

func (e *configError) Error() string { return "invalid configuration: " + e.name + ": " + e.msg }

// LoadConfig reads the configuration through getenv (os.Getenv in production).
func LoadConfig(getenv func(string) string) (Config, error) {
	r := envReader{getenv: getenv}
	var c Config
	c.HTTPAddr = r.str("AUTH_HTTP_ADDR", ":3000")
	c.MetricsAddr = r.strOrOff("AUTH_METRICS_ADDR", "127.0.0.1:9464")
	c.PublicURL = strings.TrimRight(r.url("AUTH_PUBLIC_URL", "http://localhost:3000"), "/")
	c.DataDir = r.str("AUTH_DATA_DIR", "./data")
	c.DBDriver = r.oneOf("AUTH_DB_DRIVER", "sqlite", "sqlite", "mysql", "postgres")
	c.DBDSN = r.str("AUTH_DB_DSN", "")
	switch {
	case c.DBDSN == "" && c.DBDriver == "mysql":
		r.fail("AUTH_DB_DSN", "is required with AUTH_DB_DRIVER=mysql, e.g. user:pass@tcp(host:3306)/auth?parseTime=true")
	case c.DBDSN == "" && c.DBDriver == "postgres":
		r.fail("AUTH_DB_DSN", "is required with AUTH_DB_DRIVER=postgres, e.g. postgres://user:pass@host:5432/auth?sslmode=disable")
	case c.DBDSN == "":
		c.DBDSN = "file:" + filepath.Join(c.DataDir, "auth.db")
	}
	c.Denylist = r.oneOf("AUTH_DENYLIST", "memory", "memory", "memcached")
	c.MemcachedServers = r.list("AUTH_MEMCACHED_SERVERS")
	if c.Denylist == "memcached" && len(c.MemcachedServers) == 0 {
		r.fail("AUTH_MEMCACHED_SERVERS", "is required with AUTH_DENYLIST=memcached (host:port, comma-separated)")
	}
	c.LimiterServers = r.list("AUTH_LIMITER_MEMCACHED_SERVERS")
	if len(c.LimiterServers) == 0 && c.Denylist == "memcached" {
		c.LimiterServers = c.MemcachedServers
	}
	c.Abuse = application.AbuseLimits{
		LoginMaxFailures: r.int("AUTH_LOGIN_MAX_FAILURES", application.DefaultAbuseLimits.LoginMaxFailures, 0, 1_000_000),
		FailureWindow:    r.duration("AUTH_LOGIN_FAILURE_WINDOW", application.DefaultAbuseLimits.FailureWindow, time.Second),
		IPMaxFailures:    r.int("AUTH_IP_MAX_FAILURES", application.DefaultAbuseLimits.IPMaxFailures, 0, 1_000_000),
		IPMailRate:       r.int("AUTH_IP_MAIL_RATE", application.DefaultAbuseLimits.IPMailRate, 0, 1_000_000),
	}
	for _, s := range r.list("AUTH_TRUSTED_PROXIES") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				r.fail("AUTH_TRUSTED_PROXIES", fmt.Sprintf("%q is not a CIDR like 10.0.0.0/8 or an address", s))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	c.Mailer = r.oneOf("AUTH_MAILER", "console", "console", "smtp")
	c.SMTP = SMTPConfig{
		Host:     r.str("AUTH_SMTP_HOST", ""),
		Port:     r.int("AUTH_SMTP_PORT", 587, 1, 65535),
		Username: r.str("AUTH_SMTP_USERNAME", ""),
		Password: domain.Secret(r.str("AUTH_SMTP_PASSWORD", "")),
		From:     r.str("AUTH_SMTP_FROM", "no-reply@localhost"),
		TLS:      r.oneOf("AUTH_SMTP_TLS", "starttls", "none", "starttls", "tls"),
	}
	if c.Mailer == "smtp" && c.SMTP.Host == "" {
		r.fail("AUTH_SMTP_HOST", "is required with AUTH_MAILER=smtp")
	}
	c.JWTAlg = r.oneOf("AUTH_JWT_ALG", "EdDSA", "EdDSA", "HS256")
	c.JWTPrivateKeyFile = r.str("AUTH_JWT_PRIVATE_KEY_FILE", "") // "": the key ring in the database
	c.JWTSecret = domain.Secret(r.str("AUTH_JWT_SECRET", ""))
	if c.JWTAlg == "HS256" && len(c.JWTSecret) < 32 && r.err == nil {
		r.fail("AUTH_JWT_SECRET", "HS256 needs a secret of at least 32 bytes")
	}
	c.JWTIssuer = r.str("AUTH_JWT_ISSUER", "authd")
	c.JWTAudience = r.str("AUTH_JWT_AUDIENCE", "authd")
	c.AccessTokenTTL = r.duration("AUTH_ACCESS_TOKEN_TTL", 15*time.Minute, time.Second)
	c.RefreshTokenTTL = r.duration("AUTH_REFRESH_TOKEN_TTL", 168*time.Hour, time.Second)
	c.RefreshReuseGrace = r.duration("AUTH_REFRESH_REUSE_GRACE", 10*time.Second, 0)
	c.SessionMaxAge = r.duration("AUTH_SESSION_MAX_AGE", 720*time.Hour, time.Second)
	if s := r.str("AUTH_HMAC_SECRET", ""); s != "" {
		if len(s) < 32 {
			r.fail("AUTH_HMAC_SECRET", "must be at least 32 bytes")
		}
		c.HMACSecret = domain.Secret(s)
	}
	c.KeyEncryptionKey = domain.Secret(r.str("AUTH_KEY_ENCRYPTION_KEY", ""))
	if c.KeyEncryptionKey != "" {
		if _, err := seal.New(c.KeyEncryptionKey.Reveal()); err != nil {
			r.fail("AUTH_KEY_ENCRYPTION_KEY", strings.TrimPrefix(err.Error(), "AUTH_KEY_ENCRYPTION_KEY "))
		}
	}
	c.MailMaxAge = r.duration("AUTH_MAIL_MAX_AGE", 24*time.Hour, time.Second)
	c.StartupTimeout = r.duration("AUTH_STARTUP_TIMEOUT", 30*time.Second, 0)
	c.RequestTimeout = r.duration("AUTH_REQUEST_TIMEOUT", 10*time.Second, 100*time.Millisecond)
	c.JWKSMaxAge = r.duration("AUTH_JWKS_MAX_AGE", 5*time.Minute, time.Second)
	c.RequireEmailVerification = r.bool("AUTH_REQUIRE_EMAIL_VERIFICATION", true)
	c.VerifyTokenTTL = r.duration("AUTH_VERIFY_TOKEN_TTL", 24*time.Hour, time.Second)
	c.ResetTokenTTL = r.duration("AUTH_RESET_TOKEN_TTL", time.Hour, time.Second)
	c.OTPTTL = r.duration("AUTH_OTP_TTL", 10*time.Minute, time.Second)
	c.VerifyRedirectURL = r.url("AUTH_VERIFY_REDIRECT_URL", "")
	c.ResetPasswordURL = r.str("AUTH_RESET_PASSWORD_URL", c.PublicURL+"/reset-password?token={token}")
	if !strings.Contains(c.ResetPasswordURL, "{token}") && r.err == nil {
		r.fail("AUTH_RESET_PASSWORD_URL", "must contain {token}")
	}
	c.Roles = r.roles("AUTH_ROLES", domain.DefaultRolePolicy.Roles)
	c.SignupRoles = r.roles("AUTH_SIGNUP_ROLES", domain.DefaultRolePolicy.SignupRoles)
	c.AdminRoles = r.roles("AUTH_ADMIN_ROLES", domain.DefaultRolePolicy.AdminRoles)
	c.DefaultRole = domain.Role(strings.ToLower(r.str("AUTH_DEFAULT_ROLE", string(domain.DefaultRolePolicy.Default))))
	for _, s := range c.SignupRoles {
		switch {
		case !slices.Contains(c.Roles, s):
			r.fail("AUTH_SIGNUP_ROLES", fmt.Sprintf("%q is not in AUTH_ROLES", s))
		case slices.Contains(c.AdminRoles, s):
			r.fail("AUTH_SIGNUP_ROLES", fmt.Sprintf("%q is an admin role (AUTH_ADMIN_ROLES) and can never be chosen at sign-up", s))
		}
	}
	for _, s := range c.AdminRoles {
		if !slices.Contains(c.Roles, s) {
			r.fail("AUTH_ADMIN_ROLES", fmt.Sprintf("%q is not in AUTH_ROLES", s))
		}
	}
	if !slices.Contains(c.SignupRoles, c.DefaultRole) {
		r.fail("AUTH_DEFAULT_ROLE", fmt.Sprintf("%q is not in AUTH_SIGNUP_ROLES", c.DefaultRole))
	}
	c.EventRetention = r.duration("AUTH_EVENT_RETENTION", 2160*time.Hour, time.Hour)
	c.MFAIssuer = r.str("AUTH_MFA_ISSUER", "authd")
	if strings.TrimSpace(c.MFAIssuer) == "" || strings.ContainsAny(c.MFAIssuer, ":\r\n") {
		r.fail("AUTH_MFA_ISSUER", "must be a non-empty label without a colon")
	}
	c.PasswordMinLength = r.int("AUTH_PASSWORD_MIN_LENGTH", 8, 1, domain.MaxPasswordLength)
	c.CookieSecure = r.bool("AUTH_COOKIE_SECURE", true)
	c.CookieDomain = r.str("AUTH_COOKIE_DOMAIN", "")
	c.CORSOrigins = r.list("AUTH_CORS_ORIGINS")
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			r.fail("AUTH_CORS_ORIGINS", fmt.Sprintf("%q is not an origin like https://app.example.com", o))
		}
	}
	c.LogLevel = r.oneOf("AUTH_LOG_LEVEL", "info", "debug", "info", "warn", "error")
	c.LogFormat = r.oneOf("AUTH_LOG_FORMAT", "text", "text", "json")
	loadOpsConfig(&r, &c)
	r.record("AUTH_DB_DSN", c.DBDSN)
	c.vars = r.vars
	return c, r.err
}

// envReader parses variables and keeps the first error, so LoadConfig reads
// straight through and reports one clear line.
type envReader struct {
	getenv func(string) string
	err    error
	vars   []configVar
}

// configVar is one variable LoadConfig read and the value it took effect
// with, as config check shows it (secrets already [redacted], so no print of
// a Config can show them).
type configVar struct{ name, value string }

// record notes that name was read and took effect as value (the last record wins).
func (r *envReader) record(name, value string) {
	value = displayValue(name, value)
	for i := range r.vars {
		if r.vars[i].name == name {
			r.vars[i].value = value
			return
		}
	}
	r.vars = append(r.vars, configVar{name, value})
}

func (r *envReader) fail(name, msg string) {
	if r.err == nil {
		r.err = &configError{name: name, msg: msg}
	}
}

func (r *envReader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" && v != setEmpty {
		r.record(name, v)
		return v
	}
	r.record(name, def)
	return def
}

// strOrOff is str for a variable that set to nothing (or "off") switches a
// part off: it returns "" then.
func (r *envReader) strOrOff(name, def string) string {
	switch v := strings.TrimSpace(r.getenv(name)); {
	case v == setEmpty || strings.EqualFold(v, "off"):
		r.record(name, "")
		return ""
	case v == "":
		r.record(name, def)
		return def
	default:
		r.record(name, v)
		return v
	}
}

func (r *envReader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			r.record(name, a)
			return a
		}
	}
	r.fail(name, fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", ")))
	return def
}

func (r *envReader) duration(name string, def, minimum time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		r.record(name, def.String())
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not a duration like 15m or 24h", v))
		return def
	}
	if d < minimum {
		r.fail(name, fmt.Sprintf("%s is below the minimum of %s", d, minimum))
	}
	return d
}

func (r *envReader) int(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		r.record(name, strconv.Itoa(def))
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("%q is not a whole number from %d to %d", v, lo, hi))
		return def
	}
	return n
}

func (r *envReader) bool(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		r.record(name, strconv.FormatBool(def))
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not true or false", v))
		return def
	}
	return b
}

func (r *envReader) url(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, fmt.Sprintf("%q is not an absolute http(s) URL", v))
	}
	return v
}

// roles reads a comma-separated list of roles, lower-cased; def when unset.
func (r *envReader) roles(name string, def []domain.Role) []domain.Role {
	var out []domain.Role
	for _, s := range r.list(name) {
		out = append(out, domain.Role(strings.ToLower(s)))
	}
	if out == nil {
		out = slices.Clone(def)
	}
	names := make([]string, len(out))
	for i, o := range out {
		names[i] = string(o)
	}
	r.record(name, strings.Join(names, ","))
	return out
}

func (r *envReader) list(name string) []string {
	var out []string
	for _, s := range strings.Split(r.getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	r.record(name, strings.Join(out, ","))
	return out
}
