package application

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	texttemplate "text/template"

	"authd/domain"
)

// subjectSuffix names a mail's subject template: "<name>.subject.tmpl". The
// embedded mails have none (their subject is the use case's d.Subject, which a
// subject template may use as {{.Subject}}); an override directory may add one.
const subjectSuffix = ".subject.tmpl"

// MailTemplates are the templates every mail is rendered from: the embedded
// ones, each of which a file of the same name in AUTH_MAIL_TEMPLATES_DIR may
// replace. Each file is parsed on its own, so overrides cannot collide.
type MailTemplates struct {
	text map[string]*texttemplate.Template // "<name>.txt.tmpl" and "<name>.subject.tmpl"
	html map[string]*htmltemplate.Template // "<name>.html.tmpl"
}

// embeddedTemplates are the built-in templates; they always parse (a test and
// the first mail would show otherwise).
var embeddedTemplates = mustLoadEmbedded()

// activeTemplates are the templates of this process: one process serves one
// configuration, set once at start by UseMailTemplates.
var activeTemplates atomic.Pointer[MailTemplates]

func currentMailTemplates() *MailTemplates {
	if t := activeTemplates.Load(); t != nil {
		return t
	}
	return embeddedTemplates
}

// UseMailTemplates makes t (nil: the embedded ones) the templates every mail
// of this process is rendered from.
func UseMailTemplates(t *MailTemplates) { activeTemplates.Store(t) }

func mustLoadEmbedded() *MailTemplates {
	t, err := LoadMailTemplates("")
	if err != nil {
		panic(err)
	}
	return t
}

// MailTemplateNames lists the file names an override directory may hold.
func MailTemplateNames() []string {
	entries, _ := fs.ReadDir(templateFS, "templates")
	var names []string
	seen := map[string]bool{}
	for _, e := range entries {
		names = append(names, e.Name())
		if base, ok := strings.CutSuffix(e.Name(), ".txt.tmpl"); ok && !seen[base] {
			seen[base] = true
			names = append(names, base+subjectSuffix)
		}
	}
	return names
}

// LoadMailTemplates parses the embedded templates, each replaced by the file of
// the same name in dir when there is one ("" means none). A file that does not
// parse, or fails on the fields every mail has, is an error naming the file.
func LoadMailTemplates(dir string) (*MailTemplates, error) {
	t := &MailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("AUTH_MAIL_TEMPLATES_DIR: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("AUTH_MAIL_TEMPLATES_DIR: %s is not a directory", dir)
		}
	}
	for _, name := range MailTemplateNames() {
		src, where, err := templateSource(dir, name)
		if err != nil {
			return nil, err
		}
		if src == nil {
			continue // a subject template that neither the embedded set nor dir has
		}
		if err := t.parse(name, string(src), where); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// templateSource returns the override in dir for name, else the embedded file,
// and where it came from; nil when neither exists.
func templateSource(dir, name string) ([]byte, string, error) {
	if dir != "" {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err == nil {
			return b, p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("AUTH_MAIL_TEMPLATES_DIR: %w", err)
		}
	}
	b, err := templateFS.ReadFile(path.Join("templates", name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	return b, "embedded " + name, err
}

// parse parses one file and tries it on sample data, so that a reference to a
// field mails do not have fails at start rather than at the first mail.
func (t *MailTemplates) parse(name, src, where string) error {
	sample := mailData{Subject: "s", Name: "n", Link: "https://example.com/l", Code: "123456", Valid: "1 hour", Address: "a@example.com"}
	var buf bytes.Buffer
	if strings.HasSuffix(name, ".html.tmpl") {
		h, err := htmltemplate.New(name).Parse(src)
		if err == nil {
			err = h.Execute(&buf, sample)
		}
		if err != nil {
			return fmt.Errorf("mail template %s: %s", where, oneLine(err))
		}
		t.html[name] = h
	} else {
		x, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
		if err == nil {
			err = x.Execute(&buf, sample)
		}
		if err != nil {
			return fmt.Errorf("mail template %s: %s", where, oneLine(err))
		}
		t.text[name] = x
	}
	return nil
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// render builds one message from the templates of name.
func (t *MailTemplates) render(id string, to domain.Email, name string, d mailData) (domain.Message, error) {
	txt, ok := t.text[name+".txt.tmpl"]
	htm, hok := t.html[name+".html.tmpl"]
	if !ok || !hok {
		return domain.Message{}, fmt.Errorf("mail template %q does not exist", name)
	}
	if s, ok := t.text[name+subjectSuffix]; ok {
		var b bytes.Buffer
		if err := s.Execute(&b, d); err != nil {
			return domain.Message{}, err
		}
		// One header line: a line break in a subject would start a new header.
		d.Subject = strings.Join(strings.Fields(b.String()), " ")
	}
	var text, html bytes.Buffer
	if err := txt.Execute(&text, d); err != nil {
		return domain.Message{}, err
	}
	if err := htm.Execute(&html, d); err != nil {
		return domain.Message{}, err
	}
	return domain.Message{ID: id, To: to, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}
