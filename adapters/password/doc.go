// Package password hashes passwords with argon2id (OWASP parameters) and still
// verifies bcrypt hashes from older systems, asking for a rehash so accounts move
// to argon2id at their next login. Hashing is bounded by a pool so a flood of
// logins cannot exhaust memory or starve other requests.
//
// It also gives the domain's password rules their Unicode: passwords are
// NFKC-normalised before they are measured, hashed or verified (so NFC and NFD
// spellings are one password, and hashes made before normalisation keep
// working), compared with full case folding, and checked against an embedded
// list of the 10,000 most common passwords (SecLists, see data/README.md).
package password
