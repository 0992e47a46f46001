// Package smtp is the production Mailer: it delivers each message over SMTP
// with go-mail, on its own connection and within the caller's context, as
// quoted-printable UTF-8 text (with an HTML alternative when there is one) and
// with a Message-ID made from the outbox id, so a retried message keeps its id
// and receivers can drop duplicates. TLS is "none", mandatory STARTTLS or
// implicit TLS; SMTP AUTH never sends a password over an unencrypted link.
package smtp
