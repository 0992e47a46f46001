package main

import (
	"log/slog"

	"authd/application"
)

// beforeStart does what serve does before it opens anything: one warning per
// unknown AUTH_* variable, and the mail templates (a broken override stops
// start-up with one line naming the file).
func beforeStart(cfg Config, getenv func(string) string, log *slog.Logger) error {
	for _, w := range unknownVariables(environ(getenv)) {
		log.Warn(w)
	}
	if cfg.MailTemplatesDir == "" {
		return nil
	}
	t, err := application.LoadMailTemplates(cfg.MailTemplatesDir)
	if err != nil {
		return err
	}
	application.UseMailTemplates(t)
	return nil
}
