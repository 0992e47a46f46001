package application

import (
	"embed"
	"strconv"
	"time"

	"authd/domain"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// mailData is what every template may use.
type mailData struct {
	Subject string
	Name    string
	Link    string
	Code    string
	Valid   string
	Address string // another email address the message speaks of
	// Remaining is how many of something are left (unused recovery codes).
	Remaining int
}

// renderMail builds a message from the text and HTML templates named name
// (and its subject template, when AUTH_MAIL_TEMPLATES_DIR gives one; else
// d.Subject), as the process's mail templates have them.
func renderMail(id string, to domain.Email, name string, d mailData) (domain.Message, error) {
	return currentMailTemplates().render(id, to, name, d)
}

// humanDuration renders a lifetime the way a person says it: "24 hours", "10 minutes".
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		s := one
		if n != 1 {
			s += "s"
		}
		return strconv.FormatInt(n, 10) + " " + s
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	default:
		return d.String()
	}
}
