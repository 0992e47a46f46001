// Package totp computes time-based one-time passwords (RFC 6238) for
// multi-factor sign-in on github.com/pquerna/otp: SHA-1, 6 digits, 30 s
// steps, a window of one step either side.
package totp
