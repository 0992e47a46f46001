// Package domain holds the vocabulary of authd: users, emails, passwords, roles,
// sessions, one-time tokens, mail messages and the coded error type. It imports the
// standard library only, so every rule here can be read and tested without any
// infrastructure.
package domain
