package console

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"authd/domain"
)

func TestMailer(t *testing.T) {
	var out, logs bytes.Buffer
	m := NewMailer(Config{Writer: &out}, slog.New(slog.NewTextHandler(&logs, nil)))
	msg := domain.Message{ID: "m1", To: domain.MustEmail("jane@example.com"), Subject: "Confirm", Text: "open https://x/verify/tok123"}

	t.Run("prints the whole message in one block", func(t *testing.T) {
		if err := m.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{"----- mail m1 -----", "To: jane@example.com", "Subject: Confirm", "https://x/verify/tok123", "----- end of mail -----"} {
			if !strings.Contains(got, want) {
				t.Errorf("missing %q in\n%s", want, got)
			}
		}
	})
	t.Run("logs neither the body nor the full address", func(t *testing.T) {
		if strings.Contains(logs.String(), "tok123") || strings.Contains(logs.String(), "jane@") || !strings.Contains(logs.String(), "example.com") {
			t.Fatalf("log line: %s", logs.String())
		}
	})
	t.Run("never interleaves concurrent messages", func(t *testing.T) {
		var buf bytes.Buffer
		m := NewMailer(Config{Writer: &buf}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { m.Send(context.Background(), msg) })
		}
		wg.Wait()
		blocks := strings.Split(buf.String(), "----- end of mail -----\n")
		for _, b := range blocks[:len(blocks)-1] {
			if strings.Count(b, "----- mail") != 1 {
				t.Fatalf("interleaved block:\n%s", b)
			}
		}
	})
}
