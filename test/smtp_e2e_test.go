package test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
)

// waitForSMTP polls the server for a message to `to` whose text matches re
// (newest first) and returns re's first group.
func waitForSMTP(t *testing.T, srv *testkit.SMTPServer, to string, re *regexp.Regexp) string {
	t.Helper()
	var got string
	found := testkit.Poll(60*time.Second, func() bool {
		msgs := srv.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if strings.Join(msgs[i].To, ",") != to {
				continue
			}
			if m := re.FindStringSubmatch(parse(t, msgs[i].Data).parts["text/plain"]); m != nil {
				got = m[1]
				return true
			}
		}
		return false
	})
	if !found {
		t.Fatalf("no mail to %s matching %s (%d received)", to, re, len(srv.Messages()))
	}
	return got
}

// TestRecoveryOverSMTP runs authd with AUTH_MAILER=smtp against a real SMTP
// server that is down at first: registration still succeeds, the mail arrives
// once the server is back, and the account is recovered by code and by link.
func TestRecoveryOverSMTP(t *testing.T) {
	t.Parallel()
	srv := testkit.NewSMTPServer(t, testkit.SMTPOptions{})
	port := strconv.Itoa(srv.Port())
	in := startInstance(t, map[string]string{
		"AUTH_MAILER": "smtp", "AUTH_SMTP_HOST": "127.0.0.1", "AUTH_SMTP_PORT": port, "AUTH_SMTP_TLS": "none",
		"AUTH_SMTP_FROM": "authd <no-reply@example.com>",
	})
	in.call("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 201)
	testkit.EventuallyOK(t, 20*time.Second, func() string {
		if !strings.Contains(in.out.String(), "mail_retry") {
			return "the dispatcher never tried the SMTP server while it was down"
		}
		return ""
	})
	srv.Start()
	token := waitForSMTP(t, srv, "jane@example.com", verifyLinkRe)
	in.call("GET", "/api/v1/auth/email/verify/"+token, nil, "").Want(t, 200)
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages delivered, want the verification mail once", n)
	}

	in.call("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com", "method": "otp"}, "").Want(t, 202)
	code := waitForSMTP(t, srv, "jane@example.com", regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`))
	in.call("POST", "/api/v1/auth/password/reset", map[string]any{"email": "jane@example.com", "otp": code, "newPassword": "by code 12345"}, "").Want(t, 200)
	in.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "by code 12345"}, "").Want(t, 200)

	in.call("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com"}, "").Want(t, 202)
	link := waitForSMTP(t, srv, "jane@example.com", regexp.MustCompile(`(http://\S+/reset-password\?token=[A-Za-z0-9_-]+)`))
	if !strings.HasPrefix(link, in.base+"/reset-password?token=") {
		t.Fatalf("link %s is not built from AUTH_PUBLIC_URL", link)
	}
	tok := link[strings.Index(link, "token=")+len("token="):]
	in.call("POST", "/api/v1/auth/password/reset", map[string]any{"token": tok, "newPassword": "by link 12345"}, "").Want(t, 200)
	in.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "by link 12345"}, "").Want(t, 200)

	// every password change is announced, with no secret in the notice
	testkit.EventuallyOK(t, 30*time.Second, func() string {
		notices := 0
		for _, m := range srv.Messages() {
			p := parse(t, m.Data)
			if strings.Contains(p.header.Get("Subject"), "password was changed") {
				notices++
				if strings.Contains(p.parts["text/plain"], code) || strings.Contains(p.parts["text/plain"], tok) {
					t.Fatal("a notice carries a secret")
				}
			}
		}
		if notices != 2 {
			return fmt.Sprintf("%d password notices, want 2", notices)
		}
		return ""
	})
}
