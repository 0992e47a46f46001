package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/google/wire"
	gomail "github.com/wneessen/go-mail"

	"authd/domain"
	"authd/ports"
)

// ProviderSet binds the SMTP mailer to the Mailer port.
var ProviderSet = wire.NewSet(NewMailer, wire.Bind(new(ports.Mailer), new(*Mailer)))

// The transport security modes of AUTH_SMTP_TLS.
const (
	TLSNone     = "none"     // plain SMTP (a local catcher)
	TLSStartTLS = "starttls" // STARTTLS is required; the send fails without it
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// Config says where and how to deliver.
type Config struct {
	Host     string
	Port     int
	Username string // auth only when set
	Password string
	From     string
	TLS      string
	// TLSConfig overrides the TLS client settings (a private CA, for example).
	TLSConfig *tls.Config
	// MessageIDDomain is the right side of Message-IDs; "" takes From's domain.
	MessageIDDomain string
	Timeout         time.Duration // per connection step; 0: 15s
}

// Mailer implements ports.Mailer over SMTP.
type Mailer struct {
	cfg   Config
	from  string
	msgID string
	log   *slog.Logger
}

var _ ports.Mailer = (*Mailer)(nil)

// NewMailer checks cfg; it does not connect, so a mail server that is down at
// start only delays mail.
func NewMailer(cfg Config, log *slog.Logger) (*Mailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: AUTH_SMTP_HOST is required")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil || strings.ContainsAny(cfg.From, "\r\n") {
		return nil, fmt.Errorf("smtp: AUTH_SMTP_FROM %q is not an email address", cfg.From)
	}
	switch cfg.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return nil, fmt.Errorf("smtp: AUTH_SMTP_TLS %q is not one of none, starttls, tls", cfg.TLS)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	domain := cfg.MessageIDDomain
	if domain == "" {
		domain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	return &Mailer{cfg: cfg, from: from.String(), msgID: domain, log: log}, nil
}

// Send delivers m on a new connection, within ctx's deadline.
func (m *Mailer) Send(ctx context.Context, msg domain.Message) error {
	built, err := m.build(msg)
	if err != nil {
		return fmt.Errorf("smtp: build %s: %w", msg.ID, err)
	}
	client, err := gomail.NewClient(m.cfg.Host, m.options()...)
	if err != nil {
		return fmt.Errorf("smtp: client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, built); err != nil {
		return fmt.Errorf("smtp: send %s: %w", msg.ID, err)
	}
	return nil
}

func (m *Mailer) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(m.cfg.Timeout)}
	switch m.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if m.cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(m.cfg.TLSConfig))
	} else if m.cfg.TLS != TLSNone {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	return opts
}

// build renders msg as multipart/alternative. Header values go through
// go-mail's encoders; CR and LF are removed first so no value can start a header.
func (m *Mailer) build(msg domain.Message) (*gomail.Msg, error) {
	out := gomail.NewMsg(gomail.WithEncoding(gomail.EncodingQP), gomail.WithCharset(gomail.CharsetUTF8))
	if err := out.From(m.from); err != nil {
		return nil, err
	}
	if err := out.To(msg.To.String()); err != nil {
		return nil, err
	}
	out.Subject(oneLine(msg.Subject))
	out.SetDate()
	out.SetMessageIDWithValue(oneLine(msg.ID) + "@" + m.msgID)
	out.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		out.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return out, nil
}

// oneLine folds any line break into a space.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}
