// Package console is the development Mailer: it prints each message, links and
// codes included, so a local user can click the verification link without an
// SMTP server. It is the embedded default; production uses smtp.
package console
