package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"authd/domain"
	"authd/ports"
)

// Delimiters around each printed message, so a developer (or a test reading the
// output) can find where one mail starts and ends.
const (
	beginPrefix = "----- mail "
	endLine     = "----- end of mail -----"
)

// Config says where messages go, so tests and the embedded setup can redirect them.
type Config struct {
	Writer io.Writer // nil: standard error
}

// Mailer prints each message as one delimited block instead of sending it, so a
// local run needs no SMTP server and its links can be clicked from the terminal.
type Mailer struct {
	mu  sync.Mutex // one block at a time: concurrent sends never interleave
	w   io.Writer
	log *slog.Logger
}

var _ ports.Mailer = (*Mailer)(nil)

// NewMailer builds a console mailer writing to cfg.Writer and logging one
// mail_sent event per message to logger (slog.Default when nil).
func NewMailer(cfg Config, logger *slog.Logger) *Mailer {
	w := cfg.Writer
	if w == nil {
		w = os.Stderr
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Mailer{w: w, log: logger}
}

// Send prints m with its text part verbatim (it holds the link or code the
// developer needs) and logs that it was sent without its secrets.
func (m *Mailer) Send(ctx context.Context, msg domain.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("console: send mail: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s -----\nTo: %s\nSubject: %s\n", beginPrefix, oneLine(msg.ID), oneLine(msg.To.String()), oneLine(msg.Subject))
	if msg.HTML != "" {
		b.WriteString("(an HTML alternative is not shown)\n")
	}
	b.WriteString("\n")
	b.WriteString(msg.Text)
	if !strings.HasSuffix(msg.Text, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString(endLine + "\n")

	m.mu.Lock()
	_, err := io.WriteString(m.w, b.String())
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("console: write mail %s: %w", msg.ID, err)
	}
	m.log.InfoContext(ctx, "mail_sent", "mailer", "console", "message_id", msg.ID, "recipient_domain", recipientDomain(msg.To))
	return nil
}

// recipientDomain is the part of the address after the last @: enough to tell
// mail flows apart in logs without recording who the recipient is.
func recipientDomain(e domain.Email) string {
	s := e.String()
	return s[strings.LastIndexByte(s, '@')+1:]
}

// oneLine keeps a header field on its line, so a subject cannot fake a delimiter.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
