// Package smtp is the production Mailer: it delivers each message over SMTP
// with go-mail, as multipart/alternative (text/plain always, HTML beside it)
// with a Message-ID derived from the outbox id, so a retried message keeps its
// id and receivers can drop duplicates.
package smtp
