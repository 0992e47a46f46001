// Package password hashes passwords with argon2id (OWASP parameters) and still
// verifies bcrypt hashes from older systems, asking for a rehash so accounts move
// to argon2id at their next login. Hashing is bounded by a pool so a flood of
// logins cannot exhaust memory or starve other requests.
package password
