package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"

	"authd/domain"
	"authd/internal/testkit"
)

const (
	testPassword = "s3cret-Pa55"
	// resetLink is longer than a quoted-printable line and full of '=', so it
	// only survives if the receiver decodes soft line breaks and =3D.
	resetLink = "https://auth.example.com/reset-password?token=abc_DEF-123456789012345678901234567890-xyz&lang=fr&next=%2Faccount%2Fsecurity"
)

func message(id string) domain.Message {
	return domain.Message{
		ID:      id,
		To:      domain.MustEmail("jane@example.com"),
		Subject: "Reset your password",
		Text: "Hello,\n\nopen " + resetLink + " within the hour,\nor enter the code 042917.\n" +
			".\n.a line that starts with a dot\nFrom the authd team — merci, à bientôt\n",
		HTML: `<p>Open <a href="` + resetLink + `">this link</a> or enter <b>042917</b>.</p>`,
	}
}

// newMailer builds a mailer for srv with the test defaults filled in.
func newMailer(t *testing.T, host string, port int, cfg Config) *Mailer {
	t.Helper()
	cfg.Host, cfg.Port = host, port
	if cfg.From == "" {
		cfg.From = "authd <no-reply@example.org>"
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSNone
	}
	if cfg.MessageIDDomain == "" {
		cfg.MessageIDDomain = "auth.example.com"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute // only a context may end a stalled conversation in these tests
	}
	m, err := NewMailer(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parsedMail is a received message taken apart the way a mail client would.
type parsedMail struct {
	header      mail.Header
	contentType string
	parts       map[string]string // media type → decoded body, CRLF turned into LF
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, raw)
	}
	p := parsedMail{header: msg.Header, parts: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	p.contentType = mt
	if !strings.HasPrefix(mt, "multipart/") {
		p.parts[mt] = decodeBody(t, msg.Header, params, msg.Body)
		return p
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextRawPart() // raw: the test decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pmt, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type %q: %v", part.Header.Get("Content-Type"), err)
		}
		p.parts[pmt] = decodeBody(t, part.Header, pparams, part)
	}
	return p
}

// header is a message's or a part's header.
type header interface{ Get(string) string }

// decodeBody checks that a body is UTF-8 quoted-printable and decodes it.
func decodeBody(t *testing.T, h header, params map[string]string, body io.Reader) string {
	t.Helper()
	if cs := params["charset"]; !strings.EqualFold(cs, "utf-8") {
		t.Errorf("charset %q, want UTF-8", cs)
	}
	if cte := h.Get("Content-Transfer-Encoding"); !strings.EqualFold(cte, "quoted-printable") {
		t.Errorf("Content-Transfer-Encoding %q, want quoted-printable", cte)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(body))
	if err != nil {
		t.Fatalf("quoted-printable: %v", err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func decodeSubject(t *testing.T, h mail.Header) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject %q: %v", h.Get("Subject"), err)
	}
	return s
}

// rawHeader is the header block of a received message as sent on the wire.
func rawHeader(raw []byte) string {
	h, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return string(h)
}

func TestSendDeliversAWellFormedMessage(t *testing.T) {
	t.Parallel()
	srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
	m := newMailer(t, srv.Host(), srv.Port(), Config{HeloName: "mailer.authd.test"})
	msg := message("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	for range 2 { // the outbox retried it: same message, same Message-ID
		if err := m.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("%d messages received", len(got))
	}
	first, second := parseMail(t, got[0].Data), parseMail(t, got[1].Data)

	t.Run("the envelope goes from the From address to the recipient only", func(t *testing.T) {
		for _, r := range got {
			if r.From != "no-reply@example.org" || len(r.To) != 1 || r.To[0] != "jane@example.com" {
				t.Fatalf("envelope from %q to %q", r.From, r.To)
			}
		}
	})
	t.Run("EHLO uses the configured name", func(t *testing.T) {
		if got[0].Helo != "mailer.authd.test" {
			t.Fatalf("EHLO %q", got[0].Helo)
		}
	})
	t.Run("From, To and Subject headers are those of the message", func(t *testing.T) {
		from, err := first.header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != "no-reply@example.org" || from[0].Name != "authd" {
			t.Fatalf("From %q: %v", first.header.Get("From"), err)
		}
		to, err := first.header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != "jane@example.com" {
			t.Fatalf("To %q: %v", first.header.Get("To"), err)
		}
		if s := decodeSubject(t, first.header); s != msg.Subject {
			t.Fatalf("Subject %q", s)
		}
	})
	t.Run("the Message-ID is the message id at the configured domain, the same on every send", func(t *testing.T) {
		want := "<" + msg.ID + "@auth.example.com>"
		if id := first.header.Get("Message-Id"); id != want {
			t.Fatalf("Message-ID %q, want %q", id, want)
		}
		if id := second.header.Get("Message-Id"); id != want {
			t.Fatalf("second Message-ID %q, want %q", id, want)
		}
	})
	t.Run("a Date header is present and parses", func(t *testing.T) {
		d, err := first.header.Date()
		if err != nil || d.IsZero() {
			t.Fatalf("Date %q: %v", first.header.Get("Date"), err)
		}
	})
	t.Run("the body is multipart/alternative with the exact text and the HTML", func(t *testing.T) {
		if first.contentType != "multipart/alternative" || first.header.Get("Mime-Version") != "1.0" {
			t.Fatalf("Content-Type %q, MIME-Version %q", first.contentType, first.header.Get("Mime-Version"))
		}
		if len(first.parts) != 2 {
			t.Fatalf("parts %q", first.parts)
		}
		if first.parts["text/plain"] != msg.Text {
			t.Fatalf("text/plain\n%q\nwant\n%q", first.parts["text/plain"], msg.Text)
		}
		if first.parts["text/html"] != msg.HTML {
			t.Fatalf("text/html\n%q\nwant\n%q", first.parts["text/html"], msg.HTML)
		}
	})
	t.Run("the long link is only readable after quoted-printable decoding", func(t *testing.T) {
		if bytes.Contains(got[0].Data, []byte(resetLink)) {
			t.Fatal("the link went out unencoded; the test would not prove decoding")
		}
	})
	t.Run("no header names the mail library", func(t *testing.T) {
		if first.header.Get("User-Agent") != "" || first.header.Get("X-Mailer") != "" {
			t.Fatalf("headers %v", first.header)
		}
	})
}

func TestSendWithoutHTMLIsPlainText(t *testing.T) {
	t.Parallel()
	srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
	msg := message("text-only")
	msg.HTML = ""
	if err := newMailer(t, srv.Host(), srv.Port(), Config{}).Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, srv.Messages()[0].Data)
	t.Run("a message without HTML is a single text/plain part with the exact text", func(t *testing.T) {
		if p.contentType != "text/plain" || p.parts["text/plain"] != msg.Text {
			t.Fatalf("Content-Type %q, parts %q", p.contentType, p.parts)
		}
	})
}

func TestMessageIDDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, configured, want string
	}{
		{"an empty domain takes the domain of From", "authd <no-reply@mail.example.org>", "", "mail.example.org"},
		{"a configured domain wins", "no-reply@example.org", "auth.example.com", "auth.example.com"},
		{"an IPv6 host becomes a domain literal", "no-reply@example.org", "::1", "[::1]"},
		{"an IPv4 host is kept as it is", "no-reply@example.org", "127.0.0.1", "127.0.0.1"},
	}
	srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMailer(Config{Host: srv.Host(), Port: srv.Port(), TLS: TLSNone, From: tt.from, MessageIDDomain: tt.configured}, nil)
			if err != nil {
				t.Fatal(err)
			}
			id := strings.ReplaceAll(tt.name, " ", "-")
			if err := m.Send(t.Context(), message(id)); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			p := parseMail(t, msgs[len(msgs)-1].Data)
			if got := p.header.Get("Message-Id"); got != "<"+id+"@"+tt.want+">" {
				t.Fatalf("Message-ID %q", got)
			}
		})
	}
}

func TestSendKeepsHeadersOnTheirLines(t *testing.T) {
	t.Parallel()
	srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
	m := newMailer(t, srv.Host(), srv.Port(), Config{})
	subjects := []struct{ name, subject, want string }{
		{"CRLF", "Hello\r\nBcc: evil@example.com\r\nX-Evil: 1", "Hello Bcc: evil@example.com X-Evil: 1"},
		{"a bare LF", "Hello\nBcc: evil@example.com", "Hello Bcc: evil@example.com"},
		{"a bare CR", "Hello\rBcc: evil@example.com", "Hello Bcc: evil@example.com"},
		{"a line break and then a body", "Hello\r\n\r\nfake body", "Hello fake body"},
	}
	for i, tt := range subjects {
		t.Run("a subject with "+tt.name+" adds no header and no recipient", func(t *testing.T) {
			msg := message(fmt.Sprintf("inj-%d", i))
			msg.Subject = tt.subject
			if err := m.Send(t.Context(), msg); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			r := msgs[len(msgs)-1]
			if len(r.To) != 1 || r.To[0] != "jane@example.com" {
				t.Fatalf("envelope recipients %q", r.To)
			}
			p := parseMail(t, r.Data)
			if p.header.Get("Bcc") != "" || p.header.Get("X-Evil") != "" || len(p.header["Subject"]) != 1 {
				t.Fatalf("headers %v", p.header)
			}
			for line := range strings.Lines(rawHeader(r.Data)) {
				if strings.HasPrefix(strings.ToLower(line), "bcc:") || strings.HasPrefix(line, "X-Evil") {
					t.Fatalf("injected line %q", line)
				}
			}
			if s := decodeSubject(t, p.header); s != tt.want {
				t.Fatalf("Subject %q, want %q", s, tt.want)
			}
			if p.parts["text/plain"] != msg.Text {
				t.Fatalf("body changed: %q", p.parts["text/plain"])
			}
		})
	}
}

func TestSendEncodesNonASCIISubjects(t *testing.T) {
	t.Parallel()
	srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
	m := newMailer(t, srv.Host(), srv.Port(), Config{})
	subjects := []struct{ name, subject string }{
		{"a short accented subject", "Réinitialiser votre mot de passe ✓"},
		{"a subject longer than a header line", strings.Repeat("Vérifiez votre adresse — ", 6) + "日本語のテキスト"},
	}
	for i, tt := range subjects {
		t.Run(tt.name+" round-trips", func(t *testing.T) {
			msg := message(fmt.Sprintf("utf8-%d", i))
			msg.Subject = tt.subject
			if err := m.Send(t.Context(), msg); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			raw := msgs[len(msgs)-1].Data
			h := rawHeader(raw)
			for _, r := range h {
				if r > 0x7e || (r < ' ' && r != '\r' && r != '\n' && r != '\t') {
					t.Fatalf("header block is not 7-bit ASCII:\n%s", h)
				}
			}
			if s := decodeSubject(t, parseMail(t, raw).header); s != tt.subject {
				t.Fatalf("Subject %q, want %q", s, tt.subject)
			}
		})
	}
}

func TestSendAuthenticates(t *testing.T) {
	t.Parallel()
	serverTLS, pool := testkit.SelfSigned(t)
	trust := &tls.Config{RootCAs: pool}
	modes := []struct {
		name     string
		tls      string
		implicit bool
		mechs    []string
	}{
		{"PLAIN over STARTTLS", TLSStartTLS, false, []string{"PLAIN"}},
		{"LOGIN over STARTTLS when the server offers only LOGIN", TLSStartTLS, false, []string{"LOGIN"}},
		{"PLAIN over implicit TLS", TLSImplicit, true, []string{"PLAIN", "LOGIN"}},
	}
	for _, mode := range modes {
		t.Run(mode.name+" delivers", func(t *testing.T) {
			srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{TLS: serverTLS, Implicit: mode.implicit, Mechs: mode.mechs, User: "authd", Pass: testPassword})
			m := newMailer(t, srv.Host(), srv.Port(), Config{TLS: mode.tls, TLSConfig: trust, Username: "authd", Password: testPassword})
			if err := m.Send(t.Context(), message("auth")); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.Messages()); n != 1 || srv.AuthAttempts() != 1 {
				t.Fatalf("%d messages after %d auth attempts", n, srv.AuthAttempts())
			}
		})
	}

	t.Run("a wrong password is an error that does not contain the password", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{TLS: serverTLS, Mechs: []string{"PLAIN"}, User: "authd", Pass: testPassword})
		m := newMailer(t, srv.Host(), srv.Port(), Config{TLS: TLSStartTLS, TLSConfig: trust, Username: "authd", Password: "wrong-" + testPassword})
		err := m.Send(t.Context(), message("bad-pass"))
		if err == nil || strings.Contains(err.Error(), testPassword) || len(srv.Messages()) != 0 {
			t.Fatalf("err %v, %d messages", err, len(srv.Messages()))
		}
	})

	t.Run("with TLS none, PLAIN is refused rather than sent in clear", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{InsecureAuth: true, Mechs: []string{"PLAIN", "LOGIN"}, User: "authd", Pass: testPassword})
		m := newMailer(t, srv.Host(), srv.Port(), Config{TLS: TLSNone, Username: "authd", Password: testPassword})
		err := m.Send(t.Context(), message("cleartext"))
		if !errors.Is(err, gomail.ErrNoSupportedAuthDiscovered) || !strings.Contains(err.Error(), "AUTH_SMTP_TLS") ||
			strings.Contains(err.Error(), testPassword) {
			t.Fatalf("got %v", err)
		}
		if srv.AuthAttempts() != 0 || len(srv.Messages()) != 0 {
			t.Fatalf("%d auth attempts, %d messages", srv.AuthAttempts(), len(srv.Messages()))
		}
	})

	t.Run("with TLS none, a username draws a warning at start that does not show the password", func(t *testing.T) {
		var logs bytes.Buffer
		_, err := NewMailer(Config{Host: "localhost", From: "a@example.com", TLS: TLSNone, Username: "authd", Password: testPassword},
			slog.New(slog.NewJSONHandler(&logs, nil)))
		if err != nil || !strings.Contains(logs.String(), `"level":"WARN","msg":"smtp_auth_without_tls"`) || strings.Contains(logs.String(), testPassword) {
			t.Fatalf("err %v, logs %s", err, logs.String())
		}
	})

	t.Run("without a username no AUTH is attempted", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{TLS: serverTLS})
		m := newMailer(t, srv.Host(), srv.Port(), Config{TLS: TLSStartTLS, TLSConfig: trust})
		if err := m.Send(t.Context(), message("anon")); err != nil {
			t.Fatal(err)
		}
		if srv.AuthAttempts() != 0 || len(srv.Messages()) != 1 {
			t.Fatalf("%d auth attempts, %d messages", srv.AuthAttempts(), len(srv.Messages()))
		}
	})
}

func TestSendTLSModes(t *testing.T) {
	t.Parallel()
	serverTLS, pool := testkit.SelfSigned(t)
	trust := &tls.Config{RootCAs: pool}
	t.Run("STARTTLS with a trusted certificate delivers", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{TLS: serverTLS})
		if err := newMailer(t, srv.Host(), srv.Port(), Config{TLS: TLSStartTLS, TLSConfig: trust}).Send(t.Context(), message("starttls")); err != nil {
			t.Fatal(err)
		}
		if len(srv.Messages()) != 1 {
			t.Fatal("not delivered")
		}
	})
	t.Run("implicit TLS with a trusted certificate delivers", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{TLS: serverTLS, Implicit: true})
		if err := newMailer(t, srv.Host(), srv.Port(), Config{TLS: TLSImplicit, TLSConfig: trust}).Send(t.Context(), message("tls")); err != nil {
			t.Fatal(err)
		}
		if len(srv.Messages()) != 1 {
			t.Fatal("not delivered")
		}
	})

	failures := []struct {
		name string
		srv  testkit.SMTPOptions
		cfg  Config
		is   func(error) bool
	}{
		{
			"STARTTLS required but not offered", testkit.SMTPOptions{},
			Config{TLS: TLSStartTLS, TLSConfig: trust},
			func(err error) bool { return strings.Contains(err.Error(), "STARTTLS") },
		},
		{
			"STARTTLS with a certificate nobody vouches for", testkit.SMTPOptions{TLS: serverTLS},
			Config{TLS: TLSStartTLS},
			func(err error) bool { var u x509.UnknownAuthorityError; return errors.As(err, &u) },
		},
		{
			"implicit TLS with a certificate nobody vouches for", testkit.SMTPOptions{TLS: serverTLS, Implicit: true},
			Config{TLS: TLSImplicit},
			func(err error) bool { var u x509.UnknownAuthorityError; return errors.As(err, &u) },
		},
		{
			"a certificate for another name", testkit.SMTPOptions{TLS: serverTLS},
			Config{TLS: TLSStartTLS, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "smtp.example.net"}},
			func(err error) bool { var h x509.HostnameError; return errors.As(err, &h) },
		},
		{
			"implicit TLS to a plain server", testkit.SMTPOptions{},
			Config{TLS: TLSImplicit, TLSConfig: trust},
			func(err error) bool { return strings.Contains(err.Error(), "TLS handshake") },
		},
	}
	for _, tt := range failures {
		t.Run(tt.name+" fails before any mail is sent", func(t *testing.T) {
			srv := testkit.StartSMTPServer(t, tt.srv)
			err := newMailer(t, srv.Host(), srv.Port(), tt.cfg).Send(t.Context(), message("refused"))
			if err == nil || !tt.is(err) {
				t.Fatalf("got %v", err)
			}
			if len(srv.Messages()) != 0 || srv.DataAttempts() != 0 {
				t.Fatal("mail went out")
			}
		})
	}
}

func TestSendFails(t *testing.T) {
	t.Parallel()
	t.Run("a server that is down is a connection error", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		host, port := testkit.SplitAddr(t, ln.Addr().String())
		_ = ln.Close() // nobody listens there any more
		err = newMailer(t, host, port, Config{}).Send(t.Context(), message("down"))
		if !errors.Is(err, syscall.ECONNREFUSED) || !strings.HasPrefix(err.Error(), "smtp: send down: ") {
			t.Fatalf("got %v", err)
		}
	})

	answers := []struct {
		name string
		err  *gosmtp.SMTPError
		temp bool
	}{
		{"a temporary failure (451)", &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, true},
		{"a permanent failure (554)", &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 6, 0}, Message: "content rejected"}, false},
	}
	for _, tt := range answers {
		t.Run(tt.name+" after DATA is an error without the body", func(t *testing.T) {
			srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{DataErr: tt.err})
			msg := message("rejected")
			err := newMailer(t, srv.Host(), srv.Port(), Config{}).Send(t.Context(), msg)
			if err == nil || !strings.HasPrefix(err.Error(), "smtp: send rejected: ") {
				t.Fatalf("got %v", err)
			}
			for _, secret := range []string{"042917", "abc_DEF", resetLink, "Hello,"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error contains %q: %v", secret, err)
				}
			}
			var se *gomail.SendError
			if !errors.As(err, &se) || se.IsTemp() != tt.temp || !strings.Contains(err.Error(), fmt.Sprint(tt.err.Code)) {
				t.Fatalf("got %v (SendError %v)", err, se)
			}
		})
	}

	t.Run("a server that stalls before its greeting is left when the context's deadline passes", func(t *testing.T) {
		host, port := testkit.SplitAddr(t, testkit.SilentListener(t))
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := newMailer(t, host, port, Config{}).Send(ctx, message("stalled"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("a server that stalls in DATA is left when the context's deadline passes", func(t *testing.T) {
		stall := make(chan struct{})
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{Stall: stall})
		t.Cleanup(func() { close(stall) }) // runs before the server closes
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		err := newMailer(t, srv.Host(), srv.Port(), Config{}).Send(ctx, message("stalled-data"))
		if !errors.Is(err, context.DeadlineExceeded) || srv.DataAttempts() != 1 {
			t.Fatalf("got %v after %d DATA", err, srv.DataAttempts())
		}
	})

	t.Run("cancelling the context mid-conversation ends the send", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		stall := make(chan struct{})
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{Stall: stall, OnData: cancel})
		t.Cleanup(func() { close(stall) })
		err := newMailer(t, srv.Host(), srv.Port(), Config{}).Send(ctx, message("cancelled"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("an already cancelled context does not connect", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := newMailer(t, srv.Host(), srv.Port(), Config{}).Send(ctx, message("early"))
		if !errors.Is(err, context.Canceled) || len(srv.Messages()) != 0 {
			t.Fatalf("got %v", err)
		}
	})

	invalid := []struct {
		name string
		edit func(*domain.Message)
	}{
		{"a message without a recipient", func(m *domain.Message) { m.To = domain.Email{} }},
		{"a message id that cannot be a Message-ID", func(m *domain.Message) { m.ID = "a b>\r\nBcc: x@y" }},
		{"an empty message id", func(m *domain.Message) { m.ID = "" }},
	}
	for _, tt := range invalid {
		t.Run(tt.name+" is refused without connecting", func(t *testing.T) {
			srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
			msg := message("invalid")
			tt.edit(&msg)
			if err := newMailer(t, srv.Host(), srv.Port(), Config{}).Send(t.Context(), msg); err == nil {
				t.Fatal("no error")
			}
			if srv.DataAttempts() != 0 {
				t.Fatal("mail went out")
			}
		})
	}
}

func TestSendConcurrently(t *testing.T) {
	t.Parallel()
	t.Run("concurrent sends each deliver their own message", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
		m := newMailer(t, srv.Host(), srv.Port(), Config{})
		const n = 8
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := m.Send(t.Context(), message(fmt.Sprintf("c%d", i))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, r := range srv.Messages() {
			seen[parseMail(t, r.Data).header.Get("Message-Id")] = true
		}
		if len(seen) != n {
			t.Fatalf("%d distinct Message-IDs: %v", len(seen), seen)
		}
	})
}

func TestNewMailer(t *testing.T) {
	t.Parallel()
	valid := Config{Host: "smtp.example.com", From: "no-reply@example.com", TLS: TLSStartTLS}
	invalid := []struct {
		name    string
		edit    func(*Config)
		setting string
	}{
		{"a missing host", func(c *Config) { c.Host = " " }, "AUTH_SMTP_HOST is required"},
		{"a host with a port", func(c *Config) { c.Host = "smtp.example.com:25" }, "AUTH_SMTP_HOST"},
		{"an unknown TLS mode", func(c *Config) { c.TLS = "ssl" }, "AUTH_SMTP_TLS"},
		{"an empty TLS mode", func(c *Config) { c.TLS = "" }, "AUTH_SMTP_TLS"},
		{"a port out of range", func(c *Config) { c.Port = 70000 }, "AUTH_SMTP_PORT"},
		{"a From that is not an address", func(c *Config) { c.From = "no-reply" }, "AUTH_SMTP_FROM"},
		{"an empty From", func(c *Config) { c.From = "" }, "AUTH_SMTP_FROM"},
		{"a From with a line break", func(c *Config) { c.From = "a@example.com\r\nBcc: x@example.com" }, "AUTH_SMTP_FROM"},
		{"a From whose domain cannot be a Message-ID domain", func(c *Config) { c.From = "no-reply@bücher.example" }, "AUTH_SMTP_FROM"},
		{"a Message-ID domain with a space", func(c *Config) { c.MessageIDDomain = "auth example.com" }, "MessageIDDomain"},
		{"a Message-ID domain with a line break", func(c *Config) { c.MessageIDDomain = "x\r\nBcc: y" }, "MessageIDDomain"},
		{"a username with a line break", func(c *Config) { c.Username = "u\r\nRCPT TO:<x@y>" }, "AUTH_SMTP_USERNAME"},
		{"a HELO name with a space", func(c *Config) { c.HeloName = "my host" }, "HeloName"},
		{"a negative timeout", func(c *Config) { c.Timeout = -time.Second }, "Timeout"},
	}
	for _, tt := range invalid {
		t.Run(tt.name+" is refused naming "+tt.setting, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			_, err := NewMailer(cfg, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "smtp: ") || !strings.Contains(err.Error(), tt.setting) {
				t.Fatalf("got %v", err)
			}
		})
	}

	defaults := []struct {
		name      string
		edit      func(*Config)
		port      int
		timeout   time.Duration
		idDomain  string
		tlsServer string
	}{
		{"starttls defaults to port 587 and a 15s step timeout", func(*Config) {}, 587, 15 * time.Second, "example.com", "smtp.example.com"},
		{"implicit TLS defaults to port 465", func(c *Config) { c.TLS = TLSImplicit }, 465, 15 * time.Second, "example.com", "smtp.example.com"},
		{"explicit values are kept", func(c *Config) {
			c.Port, c.Timeout, c.MessageIDDomain = 2525, time.Second, "auth.example.com"
			c.TLSConfig = &tls.Config{ServerName: "relay.example.com"}
		}, 2525, time.Second, "auth.example.com", "relay.example.com"},
	}
	for _, tt := range defaults {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			m, err := NewMailer(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.cfg.Port != tt.port || m.cfg.Timeout != tt.timeout || m.idDomain != tt.idDomain ||
				m.tlsConfig.ServerName != tt.tlsServer || m.tlsConfig.MinVersion < tls.VersionTLS12 || m.log == nil {
				t.Fatalf("mailer %+v, TLS server name %q", m.cfg, m.tlsConfig.ServerName)
			}
		})
	}
	t.Run("the caller's TLS config is not modified", func(t *testing.T) {
		cfg := valid
		cfg.TLSConfig = &tls.Config{}
		if _, err := NewMailer(cfg, nil); err != nil {
			t.Fatal(err)
		}
		if cfg.TLSConfig.ServerName != "" || cfg.TLSConfig.MinVersion != 0 {
			t.Fatalf("modified: %+v", cfg.TLSConfig)
		}
	})
}
