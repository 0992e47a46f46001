package domain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"time"
)

// KeyState is where a signing key of the key ring stands; it is derived from
// the key's times, its successor's activation and now, never stored.
type KeyState string

// The states of a signing key, in the order a key passes through them.
const (
	KeyNext     KeyState = "next"     // published, not yet signing (its activation is ahead)
	KeySigning  KeyState = "signing"  // published and signing new tokens
	KeyRetiring KeyState = "retiring" // published, no longer signing; tokens it signed may still be live
	KeyRetired  KeyState = "retired"  // no token it signed can be live: no longer published nor accepted
)

// Published reports whether tokens signed by a key in this state verify.
func (s KeyState) Published() bool { return s == KeyNext || s == KeySigning || s == KeyRetiring }

// SigningKeyTimes is what the schedule of a signing key depends on.
type SigningKeyTimes struct {
	Kid         string
	CreatedAt   time.Time
	ActivatesAt time.Time // signs from then on, until a later key activates
}

// KeyStatus is a key's place in the schedule at one moment.
type KeyStatus struct {
	SigningKeyTimes
	State KeyState
	// DeactivatesAt is when a later key took (or takes) over signing; nil while
	// no later key exists.
	DeactivatesAt *time.Time
	// RetiresAt is DeactivatesAt plus the access-token lifetime: the last
	// token this key signed has expired then.
	RetiresAt *time.Time
}

// KeySchedule returns the status of every key at now, in activation order
// (oldest first). The newest key whose activation has passed signs; a newer
// one is next; an older one is retiring until accessTTL after its successor
// activated, then retired. When no key has activated yet (clocks apart), the
// earliest one signs, so there is always a signing key while the ring has one.
func KeySchedule(keys []SigningKeyTimes, now time.Time, accessTTL time.Duration) []KeyStatus {
	sorted := slices.Clone(keys)
	slices.SortStableFunc(sorted, func(a, b SigningKeyTimes) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		switch {
		case a.Kid < b.Kid:
			return -1
		case a.Kid > b.Kid:
			return 1
		}
		return 0
	})
	signing := -1
	for i, k := range sorted {
		if !k.ActivatesAt.After(now) {
			signing = i
		}
	}
	if signing < 0 && len(sorted) > 0 {
		signing = 0
	}
	out := make([]KeyStatus, len(sorted))
	for i, k := range sorted {
		st := KeyStatus{SigningKeyTimes: k}
		if i+1 < len(sorted) {
			off := sorted[i+1].ActivatesAt
			retire := off.Add(accessTTL)
			st.DeactivatesAt, st.RetiresAt = &off, &retire
		}
		switch {
		case i == signing:
			st.State = KeySigning
		case i > signing:
			st.State = KeyNext
		case now.Before(*st.RetiresAt):
			st.State = KeyRetiring
		default:
			st.State = KeyRetired
		}
		out[i] = st
	}
	return out
}

// Ed25519KeyID is the kid of an Ed25519 public key: its RFC 7638 JWK
// thumbprint (SHA-256, base64url), so the same key always has the same kid.
func Ed25519KeyID(pub ed25519.PublicKey) string {
	x := base64.RawURLEncoding.EncodeToString(pub)
	thumb := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return base64.RawURLEncoding.EncodeToString(thumb[:])
}
