package domain

import "time"

// Message is a rendered email, ready for any mailer. ID is stable across retries so
// the Message-ID header is too, and receivers can drop duplicates.
type Message struct {
	ID      string
	To      Email
	Subject string
	Text    string
	HTML    string // optional alternative part
}

// OutboxMessage is a message waiting in the outbox, with its delivery bookkeeping.
type OutboxMessage struct {
	Message
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
}
