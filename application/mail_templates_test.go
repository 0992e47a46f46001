package application

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"authd/domain"
)

func TestMailTemplateOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("verify_email.txt.tmpl", "Bonjour {{.Name}}: {{.Link}}")
	write("verify_email.subject.tmpl", "Acme: {{.Subject}}\n")
	tpl, err := LoadMailTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := mailData{Subject: "Confirm your email address", Name: "Jane", Link: "https://x.example/l"}
	msg, err := tpl.render("id", domain.MustEmail("j@example.com"), "verify_email", d)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Acme: Confirm your email address" || msg.Text != "Bonjour Jane: https://x.example/l" {
		t.Fatalf("override not used: %q / %q", msg.Subject, msg.Text)
	}
	if !strings.Contains(msg.HTML, "https://x.example/l") || !strings.Contains(msg.HTML, "<html") {
		t.Fatalf("a file the directory lacks must fall back to the embedded one: %q", msg.HTML)
	}
	other, err := tpl.render("id", domain.MustEmail("j@example.com"), "reset_link", mailData{Subject: "Reset your password", Link: "L"})
	if err != nil || other.Subject != "Reset your password" {
		t.Fatalf("embedded subject: %q %v", other.Subject, err)
	}

	for name, body := range map[string]string{
		"reset_otp.html.tmpl":       "<p>{{.Code}</p>",
		"reset_link.subject.tmpl":   "{{if .Link}}",
		"password_changed.txt.tmpl": "{{.NoSuchField}}",
	} {
		t.Run("a broken "+name+" is named", func(t *testing.T) {
			bad := t.TempDir()
			if err := os.WriteFile(filepath.Join(bad, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadMailTemplates(bad)
			if err == nil || !strings.Contains(err.Error(), filepath.Join(bad, name)) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("want one line naming the file, got %v", err)
			}
		})
	}
	if _, err := LoadMailTemplates(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "AUTH_MAIL_TEMPLATES_DIR") {
		t.Fatalf("a missing directory: %v", err)
	}
}
