package application

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strconv"
	texttemplate "text/template"
	"time"

	"authd/domain"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html.tmpl"))
)

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

// renderMail builds a message from the text and HTML templates named name.
func renderMail(id string, to domain.Email, name string, d mailData) (domain.Message, error) {
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, name+".txt.tmpl", d); err != nil {
		return domain.Message{}, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, name+".html.tmpl", d); err != nil {
		return domain.Message{}, err
	}
	return domain.Message{ID: id, To: to, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
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
