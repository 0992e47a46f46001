//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"authd/adapters/httpapi"
	"authd/adapters/jwt"
	"authd/adapters/mysql"
	"authd/adapters/password"
	"authd/adapters/postgres"
	"authd/adapters/prometheus"
	"authd/adapters/sqlite"
	"authd/adapters/system"
	"authd/adapters/totp"
	"authd/application"
	"authd/ports"
)

// useCases lists the application's constructors and binds each to the inbound
// port the HTTP adapter calls.
var useCases = wire.NewSet(
	wire.Struct(new(application.Stores), "*"),
	wire.Struct(new(application.Env), "*"),
	application.NewSessionIssuer,
	application.NewAbuseGuard,
	application.NewRevocations,
	application.NewEmailVerification,
	application.NewRegistration,
	application.NewLogin,
	application.NewAuthenticator,
	application.NewProfile,
	application.NewRefresh,
	application.NewLogout,
	application.NewPasswordChange,
	application.NewDeactivation,
	application.NewSessions,
	application.NewOutboxDispatcher,
	application.NewJanitor,
	application.NewPasswordReset,
	application.NewEmailChange,
	application.NewAccountHistory,
	application.NewAdministration,
	application.NewMFA,
	application.NewMFALogin,
	application.NewMFAAdministration,
	wire.Bind(new(ports.MFA), new(*application.MFA)),
	wire.Bind(new(ports.MFALogin), new(*application.MFALogin)),
	wire.Bind(new(ports.MFAAdministration), new(*application.MFAAdministration)),
	application.NewKeyRing,
	application.NewKeyAdministration,
	wire.Bind(new(ports.SigningKeys), new(*application.KeyRing)),
	wire.Bind(new(ports.KeyOperators), new(*application.KeyRing)),
	wire.Bind(new(ports.KeyRotation), new(*application.KeyAdministration)),
	wire.Bind(new(ports.EmailChange), new(*application.EmailChange)),
	wire.Bind(new(ports.AccountHistory), new(*application.AccountHistory)),
	wire.Bind(new(ports.Administration), new(*application.Administration)),
	wire.Bind(new(ports.Operators), new(*application.Administration)),
	wire.Bind(new(ports.Registration), new(*application.Registration)),
	wire.Bind(new(ports.EmailVerification), new(*application.EmailVerification)),
	wire.Bind(new(ports.Login), new(*application.Login)),
	wire.Bind(new(ports.Authenticator), new(*application.Authenticator)),
	wire.Bind(new(ports.Profile), new(*application.Profile)),
	wire.Bind(new(ports.Refresh), new(*application.Refresh)),
	wire.Bind(new(ports.Logout), new(*application.Logout)),
	wire.Bind(new(ports.PasswordChange), new(*application.PasswordChange)),
	wire.Bind(new(ports.Deactivation), new(*application.Deactivation)),
	wire.Bind(new(ports.Sessions), new(*application.Sessions)),
	wire.Bind(new(ports.PasswordReset), new(*application.PasswordReset)),
	wire.Bind(new(ports.MailDispatcher), new(*application.OutboxDispatcher)),
	wire.Bind(new(ports.Janitor), new(*application.Janitor)),
	wire.Bind(new(ports.RevocationSeeder), new(*application.Revocations)),
)

// coreSet is everything that does not depend on the storage choice.
var coreSet = wire.NewSet(
	useCases,
	password.ProviderSet,
	jwt.ProviderSet,
	system.ProviderSet,
	totp.ProviderSet,
	httpapi.ProviderSet,
	prometheus.ProviderSet,
	metricsConfig,
	settings,
	dispatcherConfig,
	passwordConfig,
	jwtConfig,
	httpConfig,
	provideMailer,
	provideSealer,
	keyRingConfig,
	provideDenylist,
	wire.FieldsOf(new(sharedState), "Denylist", "Versions"),
	provideCounters,
	provideClock,
	readiness,
	wire.Struct(new(App), "*"),
)

// initSQLite assembles authd on the embedded SQLite store.
func initSQLite(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(coreSet, sqlite.ProviderSet, sqliteConfig)
	return nil, nil, nil
}

// initMySQL assembles authd on MySQL (or MariaDB), the scaled-out store.
func initMySQL(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(coreSet, mysql.ProviderSet, mysqlConfig)
	return nil, nil, nil
}

// initPostgres assembles authd on PostgreSQL, the other scaled-out store.
func initPostgres(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(coreSet, postgres.ProviderSet, postgresConfig)
	return nil, nil, nil
}
