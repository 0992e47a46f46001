package main

import (
	"context"
	"log/slog"
	"net/url"
	"os"

	"authd/adapters/console"
	"authd/adapters/httpapi"
	"authd/adapters/jwt"
	"authd/adapters/memcached"
	"authd/adapters/memory"
	"authd/adapters/mysql"
	"authd/adapters/password"
	"authd/adapters/postgres"
	"authd/adapters/prometheus"
	"authd/adapters/seal"
	"authd/adapters/smtp"
	"authd/adapters/sqlite"
	"authd/adapters/system"
	"authd/application"
	"authd/domain"
	"authd/ports"
)

// App is one assembled authd process: the HTTP server and the mail dispatcher
// that runs beside it.
type App struct {
	Server      *httpapi.Server
	Dispatcher  ports.MailDispatcher
	Janitor     ports.Janitor
	Revocations ports.RevocationSeeder
	Operators   ports.Operators
	Metrics     *prometheus.Metrics  // served on AUTH_METRICS_ADDR
	Keys        *application.KeyRing // reloaded every AUTH_JWKS_MAX_AGE/2
}

// Small providers that turn Config into each part's own configuration, so no
// adapter knows about environment variables.

func settings(cfg Config, ring *application.KeyRing) (application.Settings, error) {
	key := hmacKey(cfg, ring)
	return application.Settings{
		AccessTokenTTL:           cfg.AccessTokenTTL,
		RefreshTokenTTL:          cfg.RefreshTokenTTL,
		SessionMaxAge:            cfg.SessionMaxAge,
		RefreshReuseGrace:        cfg.RefreshReuseGrace,
		VerifyTokenTTL:           cfg.VerifyTokenTTL,
		ResetTokenTTL:            cfg.ResetTokenTTL,
		OTPTTL:                   cfg.OTPTTL,
		RequireEmailVerification: cfg.RequireEmailVerification,
		PublicURL:                cfg.PublicURL,
		ResetPasswordURL:         cfg.ResetPasswordURL,
		HMACKey:                  key,
		PasswordPolicy:           domain.PasswordPolicy{MinLength: cfg.PasswordMinLength, Text: password.Text{}, Common: password.CommonPasswords()},
		RolePolicy:               domain.RolePolicy{Roles: cfg.Roles, SignupRoles: cfg.SignupRoles, Default: cfg.DefaultRole, AdminRoles: cfg.AdminRoles},
		EventRetention:           cfg.EventRetention,
		MFAIssuer:                cfg.MFAIssuer,
		MFATokenTTL:              cfg.MFATokenTTL,
		Abuse:                    cfg.Abuse,
	}, nil
}

func dispatcherConfig(cfg Config, m ports.Metrics) application.DispatcherConfig {
	return application.DispatcherConfig{PollInterval: cfg.MailPollEvery, BaseBackoff: cfg.MailBaseBackoff, MaxAge: cfg.MailMaxAge, Metrics: m}
}

// passwordConfig hashes in the process's low-priority worker (see
// password.Worker), so that a flood of logins leaves the cores to the other
// requests.
func passwordConfig(cfg Config, m ports.Metrics, log *slog.Logger) password.Config {
	p := password.DefaultParams
	if cfg.PasswordHash.MemoryKiB != 0 {
		p.Memory = cfg.PasswordHash.MemoryKiB
	}
	if cfg.PasswordHash.Iterations != 0 {
		p.Iterations = cfg.PasswordHash.Iterations
	}
	return password.Config{Params: p, Metrics: m, Worker: password.SharedWorker(log)}
}

func jwtConfig(cfg Config) jwt.Config {
	return jwt.Config{Alg: cfg.JWTAlg, PrivateKeyFile: cfg.JWTPrivateKeyFile, Secret: cfg.JWTSecret, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
}

func httpConfig(cfg Config) httpapi.Config {
	return httpapi.Config{
		PublicURL:         cfg.PublicURL,
		RequestTimeout:    cfg.RequestTimeout,
		CookieSecure:      cfg.CookieSecure,
		CookieDomain:      cfg.CookieDomain,
		VerifyRedirectURL: cfg.VerifyRedirectURL,
		CORSOrigins:       cfg.CORSOrigins,
		TrustedProxies:    cfg.TrustedProxies,
		JWKSMaxAge:        cfg.JWKSMaxAge,
		CookieSameSite:    cfg.CookieSameSite,
		TokenDelivery:     cfg.TokenDelivery,
		Version:           version,
	}
}

func sqliteConfig(cfg Config) sqlite.Config {
	return sqlite.Config{DSN: cfg.DBDSN, SkipMigrations: !cfg.Migrate}
}

func mysqlConfig(cfg Config) mysql.Config {
	return mysql.Config{DSN: cfg.DBDSN, StartupTimeout: cfg.StartupTimeout, SkipMigrations: !cfg.Migrate}
}

func postgresConfig(cfg Config) postgres.Config {
	return postgres.Config{DSN: cfg.DBDSN, StartupTimeout: cfg.StartupTimeout, SkipMigrations: !cfg.Migrate}
}

// readiness lists what /readyz asks: the database, the denylist and, when they
// live in memcached, the abuse counters.
func readiness(cfg Config, db ports.Pinger, denylist ports.TokenDenylist, counters ports.AbuseCounters) []httpapi.Check {
	checks := []httpapi.Check{{Name: "database", Pinger: db}, {Name: "denylist", Pinger: denylist}}
	if len(cfg.LimiterServers) > 0 {
		checks = append(checks, httpapi.Check{Name: "limiter", Pinger: counters})
	}
	return checks
}

// provideClock is the system clock, or the one a test handed in.
func provideClock(cfg Config) ports.Clock {
	if cfg.Clock != nil {
		return cfg.Clock
	}
	return system.NewClock()
}

// provideSealer encrypts stored secrets with AUTH_KEY_ENCRYPTION_KEY (checked
// by LoadConfig), or keeps them in clear without it.
func provideSealer(cfg Config) (ports.Sealer, error) { return seal.New(cfg.KeyEncryptionKey.Reveal()) }

// provideCounters puts the abuse counters in memcached when servers are named
// for them (by default the denylist's), else in process.
func provideCounters(cfg Config, clock ports.Clock) (ports.AbuseCounters, func(), error) {
	if len(cfg.LimiterServers) == 0 {
		return memory.NewCounters(clock, 0), func() {}, nil
	}
	c, err := memcached.NewCounters(memcached.Config{Servers: cfg.LimiterServers, Prefix: cfg.CounterPrefix}, clock)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { _ = c.Close() }, nil
}

// sharedState is what the store named by AUTH_DENYLIST keeps for every
// instance: the denylist and the account versions read with it.
type sharedState struct {
	Denylist ports.TokenDenylist
	Versions ports.AccountVersions
}

// provideDenylist picks the denylist named by AUTH_DENYLIST. Account versions
// live in memcached beside it; the process-local denylist keeps none (no
// other process would learn of them).
func provideDenylist(cfg Config, clock ports.Clock, log *slog.Logger, m ports.Metrics) (sharedState, func(), error) {
	if cfg.Denylist == "memcached" {
		d, err := memcached.NewDenylist(memcached.Config{Servers: cfg.MemcachedServers}, clock)
		if err != nil {
			return sharedState{}, nil, err
		}
		return sharedState{Denylist: prometheus.CountDenylistErrors(d, m), Versions: d}, func() { _ = d.Close() }, nil
	}
	if cfg.DBDriver != "sqlite" {
		log.Warn("AUTH_DENYLIST=memory with a shared database: revocations are not shared between instances; run one instance or use memcached")
	}
	return sharedState{Denylist: prometheus.CountDenylistErrors(memory.NewDenylist(clock), m), Versions: memory.NoAccountVersions{}}, func() {}, nil
}

// provideMailer picks the mailer named by AUTH_MAILER.
func provideMailer(cfg Config, log *slog.Logger) (ports.Mailer, error) {
	if cfg.Mailer == "smtp" {
		host := ""
		if u, err := url.Parse(cfg.PublicURL); err == nil {
			host = u.Hostname()
		}
		return smtp.NewMailer(smtp.Config{
			Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password,
			From: cfg.SMTP.From, TLS: cfg.SMTP.TLS, MessageIDDomain: host,
		}, log)
	}
	out := cfg.ConsoleMailOutput
	if out == nil {
		out = os.Stderr
	}
	return console.NewMailer(console.Config{Writer: out}, log), nil
}

// buildApp assembles the app for cfg with the injector of its storage driver.
func buildApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	if cfg.DBDriver == "mysql" {
		return initMySQL(ctx, cfg, log)
	}
	if cfg.DBDriver == "postgres" {
		return initPostgres(ctx, cfg, log)
	}
	return initSQLite(ctx, cfg, log)
}
