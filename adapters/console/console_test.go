package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"authd/domain"
)

func message() domain.Message {
	return domain.Message{
		ID:      "m1",
		To:      domain.MustEmail("jane@example.com"),
		Subject: "Confirm your email",
		Text:    "Hello,\n\nopen http://localhost:3000/api/v1/auth/verify-email/tok123 to confirm.\n",
		HTML:    "<p>secret-html</p>",
	}
}

// jsonLogs collects the mailer's log records as decoded JSON objects.
func jsonLogs(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

func TestSend(t *testing.T) {
	var out, logs bytes.Buffer
	m := NewMailer(Config{Writer: &out}, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err := m.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	printed := out.String()

	t.Run("prints one block from its header line to its closing delimiter", func(t *testing.T) {
		want := "----- mail m1 -----\nTo: jane@example.com\nSubject: Confirm your email\n"
		if !strings.HasPrefix(printed, want) || !strings.HasSuffix(printed, "\n----- end of mail -----\n") {
			t.Fatalf("printed:\n%s", printed)
		}
	})
	t.Run("prints the text body verbatim, link included", func(t *testing.T) {
		if !strings.Contains(printed, "\n\n"+message().Text+"----- end of mail -----\n") {
			t.Fatalf("printed:\n%s", printed)
		}
	})
	t.Run("logs one mail_sent event with the message id and the recipient's domain", func(t *testing.T) {
		recs := jsonLogs(t, &logs)
		if len(recs) != 1 {
			t.Fatalf("%d log records: %s", len(recs), logs.String())
		}
		r := recs[0]
		if r["msg"] != "mail_sent" || r["level"] != "INFO" || r["message_id"] != "m1" || r["recipient_domain"] != "example.com" {
			t.Fatalf("record %v", r)
		}
	})
	leaks := []struct{ name, secret string }{
		{"the full address", "jane@"},
		{"the subject", "Confirm your email"},
		{"the text body", "tok123"},
		{"the HTML body", "secret-html"},
	}
	for _, tt := range leaks {
		t.Run("does not log "+tt.name, func(t *testing.T) {
			if strings.Contains(logs.String(), tt.secret) {
				t.Fatalf("log contains %q: %s", tt.secret, logs.String())
			}
		})
	}
}

func TestSendKeepsHeadersOnTheirLines(t *testing.T) {
	tests := []struct {
		name string
		msg  domain.Message
	}{
		{"a body without a final newline", domain.Message{ID: "m2", To: domain.MustEmail("a@b.example"), Subject: "s", Text: "no newline"}},
		{"a subject with a newline", domain.Message{ID: "m3", To: domain.MustEmail("a@b.example"), Subject: "s\n----- end of mail -----", Text: "body\n"}},
		{"an empty body", domain.Message{ID: "m4", To: domain.MustEmail("a@b.example"), Subject: "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" still ends with the delimiter on its own line, once", func(t *testing.T) {
			var out bytes.Buffer
			m := NewMailer(Config{Writer: &out}, slog.New(slog.DiscardHandler))
			if err := m.Send(context.Background(), tt.msg); err != nil {
				t.Fatal(err)
			}
			if strings.Count(out.String(), "\n----- end of mail -----\n") != 1 || !strings.HasSuffix(out.String(), "\n----- end of mail -----\n") {
				t.Fatalf("printed:\n%s", out.String())
			}
		})
	}
}

func TestSendConcurrently(t *testing.T) {
	t.Run("concurrent sends never interleave their blocks", func(t *testing.T) {
		var out bytes.Buffer
		m := NewMailer(Config{Writer: &out}, slog.New(slog.DiscardHandler))
		const n = 50
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				msg := message()
				msg.ID = fmt.Sprintf("m%d", i)
				msg.Text = strings.Repeat(fmt.Sprintf("line of message %d\n", i), 20)
				if err := m.Send(context.Background(), msg); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		blocks := strings.SplitAfter(out.String(), "----- end of mail -----\n")
		if len(blocks) != n+1 || blocks[n] != "" {
			t.Fatalf("%d blocks", len(blocks)-1)
		}
		for _, b := range blocks[:n] {
			var id int
			if _, err := fmt.Sscanf(b, "----- mail m%d -----", &id); err != nil {
				t.Fatalf("block without header:\n%s", b)
			}
			if strings.Count(b, "----- mail ") != 1 || strings.Count(b, fmt.Sprintf("line of message %d\n", id)) != 20 {
				t.Fatalf("interleaved block:\n%s", b)
			}
		}
	})
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSendFails(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		w    io.Writer
		ctx  context.Context
	}{
		{"a failing writer", failingWriter{}, context.Background()},
		{"a cancelled context", io.Discard, cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error so the outbox retries", func(t *testing.T) {
			var logs bytes.Buffer
			m := NewMailer(Config{Writer: tt.w}, slog.New(slog.NewJSONHandler(&logs, nil)))
			err := m.Send(tt.ctx, message())
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "tok123") || strings.Contains(logs.String(), "mail_sent") {
				t.Fatalf("err %v, logs %s", err, logs.String())
			}
		})
	}
	t.Run("a nil writer and logger fall back to standard error and the default logger", func(t *testing.T) {
		m := NewMailer(Config{}, nil)
		if m.w == nil || m.log == nil {
			t.Fatal("nil writer or logger kept")
		}
	})
}
