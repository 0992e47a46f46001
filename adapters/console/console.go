package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/google/wire"

	"authd/domain"
	"authd/ports"
)

// ProviderSet binds the console mailer to the Mailer port.
var ProviderSet = wire.NewSet(NewMailer, wire.Bind(new(ports.Mailer), new(*Mailer)))

// Config says where messages go.
type Config struct {
	Writer io.Writer // nil: standard error
}

// Mailer writes messages to a writer, one delimited block each.
type Mailer struct {
	mu  sync.Mutex
	w   io.Writer
	log *slog.Logger
}

var _ ports.Mailer = (*Mailer)(nil)

// NewMailer builds a console mailer.
func NewMailer(cfg Config, log *slog.Logger) *Mailer {
	w := cfg.Writer
	if w == nil {
		w = os.Stderr
	}
	return &Mailer{w: w, log: log}
}

// Send prints m; the text part is printed verbatim (it holds the link to click).
func (m *Mailer) Send(ctx context.Context, msg domain.Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "----- mail %s -----\nTo: %s\nSubject: %s\n\n%s", msg.ID, msg.To, msg.Subject, msg.Text)
	if !strings.HasSuffix(msg.Text, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString("----- end of mail -----\n")
	m.mu.Lock()
	_, err := io.WriteString(m.w, b.String())
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("console: write mail: %w", err)
	}
	domainPart := msg.To.String()[strings.LastIndexByte(msg.To.String(), '@')+1:]
	m.log.InfoContext(ctx, "mail_printed", "message_id", msg.ID, "recipient_domain", domainPart)
	return nil
}
