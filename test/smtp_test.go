package test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"authd/adapters/smtp"
	"authd/adapters/sqlite"
	"authd/application"
	"authd/domain"
	"authd/internal/testkit"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testMessage(id string) domain.Message {
	return domain.Message{
		ID: id, To: domain.MustEmail("jane@example.com"), Subject: "Réinitialiser — your password",
		Text: "Open http://localhost:3000/reset-password?token=abc_DEF-123 within the hour.\nCode: 123456\n",
		HTML: "<p>Open <a href=\"http://localhost:3000/reset-password?token=abc_DEF-123\">the link</a></p>",
	}
}

// parsed is a received message taken apart.
type parsed struct {
	header mail.Header
	parts  map[string]string // content type → decoded body
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{header: m.Header, parts: map[string]string{}}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, _ := io.ReadAll(body)
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		p.parts[ct] = strings.ReplaceAll(string(b), "\r\n", "\n") // mail lines end in CRLF
	}
	return p
}

func newSMTPMailer(t *testing.T, srv *testkit.SMTPServer, cfg smtp.Config) *smtp.Mailer {
	t.Helper()
	cfg.Host, cfg.Port, cfg.From, cfg.MessageIDDomain, cfg.Timeout = srv.Host(), srv.Port(), "authd <no-reply@example.com>", "auth.example.com", 5*time.Second
	m, err := smtp.NewMailer(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPMailer(t *testing.T) {
	t.Parallel()
	serverTLS, pool := testkit.SelfSigned(t)
	clientTLS := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	modes := []struct {
		name     string
		tls      string
		implicit bool
		auth     bool
	}{
		{"plain SMTP to a local catcher", smtp.TLSNone, false, false},
		{"STARTTLS with authentication", smtp.TLSStartTLS, false, true},
		{"implicit TLS with authentication", smtp.TLSImplicit, true, true},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			opts := testkit.SMTPOptions{InsecureAuth: true}
			if mode.tls != smtp.TLSNone {
				opts.TLS, opts.Implicit = serverTLS, mode.implicit
			}
			cfg := smtp.Config{TLS: mode.tls}
			if mode.tls != smtp.TLSNone {
				cfg.TLSConfig = clientTLS
			}
			if mode.auth {
				opts.Mechs, opts.User, opts.Pass = []string{sasl.Plain}, "authd", "s3cret"
				cfg.Username, cfg.Password = "authd", "s3cret"
			}
			srv := testkit.StartSMTPServer(t, opts)
			m := newSMTPMailer(t, srv, cfg)
			msg := testMessage("0193-abc")
			for range 2 {
				if err := m.Send(context.Background(), msg); err != nil {
					t.Fatal(err)
				}
			}
			got := srv.Messages()
			if len(got) != 2 || got[0].From != "no-reply@example.com" || strings.Join(got[0].To, ",") != "jane@example.com" {
				t.Fatalf("envelope %+v", got)
			}
			a, b := parse(t, got[0].Data), parse(t, got[1].Data)
			if id := a.header.Get("Message-Id"); id != "<0193-abc@auth.example.com>" || b.header.Get("Message-Id") != id {
				t.Fatalf("Message-ID %q / %q", id, b.header.Get("Message-Id"))
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(a.header.Get("Subject"))
			if subject != msg.Subject || a.header.Get("Date") == "" || !strings.Contains(a.header.Get("To"), "jane@example.com") ||
				!strings.Contains(a.header.Get("From"), "no-reply@example.com") {
				t.Fatalf("headers %v (subject %q)", a.header, subject)
			}
			if a.parts["text/plain"] != msg.Text || !strings.Contains(a.parts["text/html"], "reset-password?token=abc_DEF-123") {
				t.Fatalf("parts %q", a.parts)
			}
		})
	}

	t.Run("a subject cannot inject headers", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
		msg := testMessage("inj")
		msg.Subject = "Hello\r\nBcc: evil@example.com\r\nX-Evil: 1"
		if err := newSMTPMailer(t, srv, smtp.Config{TLS: smtp.TLSNone}).Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		got := srv.Messages()
		p := parse(t, got[0].Data)
		if len(got[0].To) != 1 || p.header.Get("Bcc") != "" || p.header.Get("X-Evil") != "" {
			t.Fatalf("injected: rcpt %v, headers %v", got[0].To, p.header)
		}
	})

	t.Run("a server that is down or refuses the data is an error", func(t *testing.T) {
		srv := testkit.NewSMTPServer(t, testkit.SMTPOptions{DataErr: testkit.TryLater}) // down, then refusing
		m := newSMTPMailer(t, srv, smtp.Config{TLS: smtp.TLSNone})
		if err := m.Send(context.Background(), testMessage("down")); err == nil {
			t.Fatal("no error with the server down")
		}
		srv.Start()
		if err := m.Send(context.Background(), testMessage("refused")); err == nil || strings.Contains(err.Error(), "token=") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("STARTTLS is required when configured", func(t *testing.T) {
		srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{}) // offers no STARTTLS
		m := newSMTPMailer(t, srv, smtp.Config{TLS: smtp.TLSStartTLS, TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}})
		if err := m.Send(context.Background(), testMessage("no-tls")); err == nil || len(srv.Messages()) != 0 {
			t.Fatalf("sent in the clear: %v", err)
		}
	})

	t.Run("configuration is checked at start", func(t *testing.T) {
		for _, cfg := range []smtp.Config{{From: "a@example.com", TLS: "none"}, {Host: "h", From: "nope", TLS: "none"}, {Host: "h", From: "a@example.com", TLS: "ssl"}} {
			if _, err := smtp.NewMailer(cfg, quietLog()); err == nil {
				t.Errorf("accepted %+v", cfg)
			}
		}
	})
}

// TestMailSurvivesAnSMTPOutage: mail queued while the SMTP server is down is
// kept in the outbox across a restart, retried with backoff, and delivered once
// when the server is back.
func TestMailSurvivesAnSMTPOutage(t *testing.T) {
	t.Parallel()
	dsn := "file:" + filepath.Join(t.TempDir(), "auth.db")
	db, cleanup, err := sqlite.Open(t.Context(), sqlite.Config{DSN: dsn}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cleanup() }()
	clock := &manualClock{now: time.Now().UTC()}
	srv := testkit.NewSMTPServer(t, testkit.SMTPOptions{}) // not started: down
	outbox := db.Outbox
	d := application.NewOutboxDispatcher(outbox, newSMTPMailer(t, srv, smtp.Config{TLS: smtp.TLSNone}), clock,
		application.DispatcherConfig{BaseBackoff: time.Minute, MaxAge: time.Hour}, quietLog())

	if err := outbox.Enqueue(t.Context(), testMessage("m-outage"), clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.DispatchOnce(t.Context()); n != 1 {
		t.Fatalf("claimed %d", n)
	}
	if n, _ := d.DispatchOnce(t.Context()); n != 0 {
		t.Fatal("retried before its backoff")
	}
	// authd restarts meanwhile: the undelivered message waits in the database
	cleanup()
	db, cleanup, err = sqlite.Open(t.Context(), sqlite.Config{DSN: dsn}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	outbox = db.Outbox
	d = application.NewOutboxDispatcher(outbox, newSMTPMailer(t, srv, smtp.Config{TLS: smtp.TLSNone}), clock,
		application.DispatcherConfig{BaseBackoff: time.Minute, MaxAge: time.Hour}, quietLog())
	srv.Start()
	clock.Advance(time.Minute)
	if n, _ := d.DispatchOnce(t.Context()); n != 1 {
		t.Fatalf("claimed %d after the backoff", n)
	}
	clock.Advance(time.Hour)
	if n, _ := d.DispatchOnce(t.Context()); n != 0 {
		t.Fatal("a delivered message was claimed again")
	}
	if got := srv.Messages(); len(got) != 1 || parse(t, got[0].Data).header.Get("Message-Id") != "<m-outage@auth.example.com>" {
		t.Fatalf("delivered %d messages", len(got))
	}
}
