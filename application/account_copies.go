package application

import (
	"sync"
	"time"

	"authd/domain"
)

// Bounds of the copies of accounts that GET /users/me answers from.
const (
	// copyTTL bounds how long a copy answers, whatever its version says: the
	// longest an account change whose version bump was lost (the shared store
	// failed just then) stays unseen by other instances.
	copyTTL = 30 * time.Second
	// maxCopies bounds the memory they take (a copy is a few hundred bytes).
	maxCopies = 50_000
)

// accountCopies keeps copies of accounts, each under the account version
// (ports.AccountVersions) read before the copy was: a copy answers only for
// that version, so any committed change of the account, on any instance,
// makes it miss. Copies hold no password hash.
type accountCopies struct {
	mu     sync.Mutex
	copies map[domain.UserID]accountCopy
}

type accountCopy struct {
	version string
	user    domain.User
	at      time.Time // when it was read
}

// get returns the copy of the account kept under version, if it is younger than copyTTL.
func (c *accountCopies) get(id domain.UserID, version string, now time.Time) (*domain.User, bool) {
	if version == "" {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.copies[id]
	c.mu.Unlock()
	if !ok || e.version != version || now.Sub(e.at) >= copyTTL || now.Before(e.at) {
		return nil, false
	}
	u := e.user
	return &u, true
}

// put keeps u, read at now after version was read, replacing an older copy;
// when full, an arbitrary copy makes room.
func (c *accountCopies) put(u *domain.User, version string, now time.Time) {
	if version == "" {
		return
	}
	e := accountCopy{version: version, user: *u, at: now}
	e.user.PasswordHash = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.copies == nil {
		c.copies = map[domain.UserID]accountCopy{}
	}
	if _, ok := c.copies[u.ID]; !ok && len(c.copies) >= maxCopies {
		for id := range c.copies {
			delete(c.copies, id)
			break
		}
	}
	c.copies[u.ID] = e
}
