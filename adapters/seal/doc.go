// Package seal encrypts secrets at rest with AES-256-GCM under the key of
// AUTH_KEY_ENCRYPTION_KEY (ports.Sealer). Stored forms carry a version byte, so
// a store can hold clear values written without a key next to sealed ones, and
// a wrong key or a changed value is an error, never garbage.
package seal
