package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"authd/domain"
	"authd/ports"
)

// The values of AUTH_SMTP_TLS, named so callers and tests cannot misspell them.
const (
	TLSNone     = "none"     // plain SMTP, for a catcher on localhost or a trusted network
	TLSStartTLS = "starttls" // STARTTLS is mandatory: a server that does not offer it gets nothing
	TLSImplicit = "tls"      // TLS from the first byte (port 465, "SMTPS")
)

// Defaults for settings left at their zero value, so a minimal Config works.
const (
	defaultPort       = 587 // submission, for none and starttls
	defaultTLSPort    = 465 // submissions, for implicit TLS
	defaultTimeout    = 15 * time.Second
	defaultTLSMinimum = tls.VersionTLS12
)

// atextSpecials are the non-alphanumeric characters RFC 5322 allows in an atom.
const atextSpecials = "!#$%&'*+-/=?^_`{|}~"

// Config says where and how to deliver, so one binary can talk to a local
// catcher, a relay on the network or a hosted provider.
type Config struct {
	Host string // AUTH_SMTP_HOST: a name or IP address, without a port
	Port int    // AUTH_SMTP_PORT; 0: 465 with TLS "tls", 587 otherwise
	// Username and Password (AUTH_SMTP_USERNAME/PASSWORD) turn on SMTP AUTH when
	// Username is set; the mechanism is negotiated, and PLAIN and LOGIN are only
	// ever used on an encrypted connection, so with TLS "none" a server that
	// offers nothing else is refused rather than sent the password in clear.
	Username string
	Password domain.Secret
	From     string // AUTH_SMTP_FROM: "addr@example.com" or "Name <addr@example.com>"
	TLS      string // AUTH_SMTP_TLS: TLSNone, TLSStartTLS or TLSImplicit
	// TLSConfig overrides the client TLS settings, to trust a private CA or a
	// test certificate; ServerName defaults to Host and MinVersion to TLS 1.2.
	TLSConfig *tls.Config
	// HeloName is the name sent in EHLO; "" sends the local hostname. Some relays
	// want a fully qualified name here.
	HeloName string
	// Timeout bounds each step of a conversation (connect, each command); 0 means
	// 15s. The context given to Send bounds the whole of it.
	Timeout time.Duration
	// MessageIDDomain is the right side of every Message-ID, e.g. the host of
	// AUTH_PUBLIC_URL; "" takes the domain of From.
	MessageIDDomain string
}

// Mailer delivers each message over its own SMTP connection, so a server that
// restarts between two messages costs nothing but that one attempt; it is safe
// for concurrent use.
type Mailer struct {
	cfg       Config
	addr      string // host:port to dial
	from      *mail.Address
	idDomain  string
	tlsConfig *tls.Config // nil with TLSNone
	log       *slog.Logger
}

var _ ports.Mailer = (*Mailer)(nil)

// NewMailer checks cfg and fails naming the setting at fault; it does not
// connect, so a mail server that is down at start only delays mail.
func NewMailer(cfg Config, log *slog.Logger) (*Mailer, error) {
	if log == nil {
		log = slog.Default()
	}
	host := strings.TrimSpace(cfg.Host)
	if host == "" {
		return nil, errors.New("smtp: AUTH_SMTP_HOST is required")
	}
	if strings.ContainsAny(host, " \t\r\n/") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return nil, fmt.Errorf("smtp: AUTH_SMTP_HOST %q must be a host name or IP address without a port (set AUTH_SMTP_PORT)", cfg.Host)
	}
	cfg.Host = host

	switch cfg.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return nil, fmt.Errorf("smtp: AUTH_SMTP_TLS %q must be one of none, starttls, tls", cfg.TLS)
	}

	switch {
	case cfg.Port == 0 && cfg.TLS == TLSImplicit:
		cfg.Port = defaultTLSPort
	case cfg.Port == 0:
		cfg.Port = defaultPort
	case cfg.Port < 1 || cfg.Port > 65535:
		return nil, fmt.Errorf("smtp: AUTH_SMTP_PORT %d is not a TCP port", cfg.Port)
	}

	if strings.ContainsAny(cfg.From, "\r\n") {
		return nil, errors.New("smtp: AUTH_SMTP_FROM must be on one line")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: AUTH_SMTP_FROM %q is not an email address: %w", cfg.From, err)
	}

	if strings.ContainsAny(cfg.Username, "\r\n") || strings.ContainsAny(cfg.Password.Reveal(), "\r\n") {
		return nil, errors.New("smtp: AUTH_SMTP_USERNAME and AUTH_SMTP_PASSWORD must not contain line breaks")
	}
	if cfg.HeloName != "" && strings.ContainsFunc(cfg.HeloName, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, fmt.Errorf("smtp: HeloName %q must be a host name", cfg.HeloName)
	}

	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = defaultTimeout
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("smtp: Timeout %s must be positive", cfg.Timeout)
	}

	idDomain, err := messageIDDomain(cfg.MessageIDDomain, from.Address)
	if err != nil {
		return nil, err
	}

	var tlsConfig *tls.Config
	if cfg.TLS != TLSNone {
		if cfg.TLSConfig != nil {
			tlsConfig = cfg.TLSConfig.Clone()
		} else {
			tlsConfig = &tls.Config{}
		}
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = host
		}
		if tlsConfig.MinVersion == 0 {
			tlsConfig.MinVersion = defaultTLSMinimum
		}
	}

	if cfg.Username != "" && cfg.TLS == TLSNone {
		log.Warn("smtp_auth_without_tls", "detail",
			"AUTH_SMTP_USERNAME is set with AUTH_SMTP_TLS=none: PLAIN and LOGIN are refused on an unencrypted connection, so sending fails unless the server offers CRAM-MD5 or SCRAM")
	}

	return &Mailer{
		cfg:       cfg,
		addr:      net.JoinHostPort(host, strconv.Itoa(cfg.Port)),
		from:      from,
		idDomain:  idDomain,
		tlsConfig: tlsConfig,
		log:       log,
	}, nil
}

// messageIDDomain picks and checks the right side of Message-IDs, so a bad
// value stops the start instead of producing headers receivers reject.
func messageIDDomain(configured, fromAddr string) (string, error) {
	d, setting := configured, "MessageIDDomain"
	if d == "" {
		d, setting = fromAddr[strings.LastIndexByte(fromAddr, '@')+1:], "the domain of AUTH_SMTP_FROM"
	}
	if ip := net.ParseIP(d); ip != nil && strings.Contains(d, ":") {
		d = "[" + d + "]" // an IPv6 host only fits as a domain literal
	}
	if !isDotAtom(d) && !isDomainLiteral(d) {
		return "", fmt.Errorf("smtp: %s %q cannot be the right side of a Message-ID (use an ASCII domain name)", setting, d)
	}
	return d, nil
}

// Send delivers msg on a new connection and returns once the server has
// accepted it, or with an error when it may not have: the outbox then retries,
// and the unchanged Message-ID lets receivers drop a duplicate.
func (m *Mailer) Send(ctx context.Context, msg domain.Message) (err error) {
	defer func() {
		if err != nil {
			id := msg.ID
			if !isDotAtom(id) {
				id = strconv.Quote(id) // keep a malformed id on one line
			}
			err = fmt.Errorf("smtp: send %s: %w", id, err)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	out, err := m.build(msg)
	if err != nil {
		return err
	}

	conn := &connection{mailer: m}
	client, err := gomail.NewClient(m.cfg.Host, m.options(conn.dial)...)
	if err != nil {
		return err
	}
	// go-mail uses the context only to connect; closing the socket when the
	// context ends is what makes a stalled server give up in time.
	stop := context.AfterFunc(ctx, conn.close)
	defer func() {
		stop()
		conn.close() // also on the paths where go-mail leaves it open
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
	}()

	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		if errors.Is(err, gomail.ErrNoSupportedAuthDiscovered) && m.cfg.TLS == TLSNone {
			err = fmt.Errorf("no AUTH mechanism the server offers is safe without TLS (set AUTH_SMTP_TLS to starttls or tls): %w", err)
		}
		return fmt.Errorf("connect to %s: %w", m.addr, err)
	}
	if err := client.SendWithSMTPClient(sc, out); err != nil && !out.IsDelivered() {
		return err
	}
	// The server has accepted the message: a failing QUIT changes nothing, and
	// reporting it would only make the outbox send the message again.
	_ = client.CloseWithSMTPClient(sc)
	m.log.DebugContext(ctx, "smtp_accepted", "message_id", msg.ID, "server_response", out.ServerResponse())
	return nil
}

// options configures go-mail for one Send, dialling through dial so the
// connection can be closed when the context ends.
func (m *Mailer) options(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(m.cfg.Port),
		gomail.WithTimeout(m.cfg.Timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithoutNoop(), // the connection is brand new
		gomail.WithoutRset(), // one message per connection, QUIT follows
	}
	switch m.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(m.tlsConfig))
	case TLSImplicit:
		// dial already speaks TLS; go-mail then sees a *tls.Conn and counts the
		// connection as encrypted (WithSSL is ignored with a custom dialer). A
		// server that also advertised STARTTLS here would be asked for it again
		// and fail the send: no real port-465 server does.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic), gomail.WithTLSConfig(m.tlsConfig))
	}
	if m.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(m.cfg.HeloName))
	}
	if m.cfg.Username != "" {
		// Auto-discovery picks the strongest offered mechanism and leaves PLAIN
		// and LOGIN out unless the connection is encrypted.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password.Reveal()))
	}
	return opts
}

// connection is the socket of one Send, kept so it can be closed from the
// context's AfterFunc and after go-mail returns, whichever comes first.
type connection struct {
	mailer *Mailer
	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// dial connects to the configured address (go-mail's does not bracket IPv6
// hosts) and does the TLS handshake itself in implicit-TLS mode.
func (c *connection) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", c.mailer.addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = raw.Close()
		return nil, net.ErrClosed
	}
	c.conn = raw
	c.mu.Unlock()
	if c.mailer.cfg.TLS != TLSImplicit {
		return raw, nil
	}
	tc := tls.Client(raw, c.mailer.tlsConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// close closes the socket, interrupting any read or write in progress.
func (c *connection) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// build renders msg: multipart/alternative when it has HTML, a single
// text/plain part otherwise, quoted-printable UTF-8 throughout. Line breaks in
// header values become spaces, so no value can start a header of its own.
func (m *Mailer) build(msg domain.Message) (*gomail.Msg, error) {
	if msg.To.IsZero() {
		return nil, errors.New("message has no recipient")
	}
	if !isDotAtom(msg.ID) {
		return nil, errors.New("message id is not usable in a Message-ID header")
	}
	out := gomail.NewMsg(gomail.WithEncoding(gomail.EncodingQP), gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithNoDefaultUserAgent())
	out.FromMailAddress(m.from)
	if err := out.To(msg.To.String()); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	out.Subject(oneLine(msg.Subject))
	out.SetDate()
	out.SetMessageIDWithValue(msg.ID + "@" + m.idDomain)
	out.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		out.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return out, nil
}

// oneLine turns every line break into a single space, so a subject keeps to
// its header whatever the template or user put in it.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// isDotAtom reports whether s is RFC 5322 dot-atom-text, the form the left
// side of a Message-ID (and a plain domain on its right) must take.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		ok := r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') ||
			strings.ContainsRune(atextSpecials, r)
		if !ok {
			return false
		}
	}
	return true
}

// isDomainLiteral reports whether s is "[" dtext "]", the other form the right
// side of a Message-ID may take (an IP address, say).
func isDomainLiteral(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	for _, r := range s[1 : len(s)-1] {
		if r < 33 || r > 126 || r == '[' || r == ']' || r == '\\' {
			return false
		}
	}
	return true
}
