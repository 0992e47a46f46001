package application

import (
	"context"

	"authd/domain"
	"authd/ports"
)

// recorder writes security events. Use cases call it inside the transaction of
// the change an event records, so a rolled-back change leaves no event; the
// client (IP, user agent) comes from the request's context.
type recorder struct {
	log    ports.SecurityEventLog
	random ports.Random
	clock  ports.Clock
}

func newRecorder(st Stores, env Env) recorder {
	return recorder{log: st.Events, random: env.Random, clock: env.Clock}
}

// record notes that typ happened to user in session sid (may be empty), done
// by actor when it was not the owner (an admin; empty otherwise).
func (r recorder) record(ctx context.Context, typ domain.EventType, user domain.UserID, sid domain.SessionID, actor domain.UserID) error {
	c := ports.ClientFrom(ctx)
	return r.log.Record(ctx, domain.SecurityEvent{ID: r.random.NewID(), UserID: user, Type: typ, CreatedAt: r.clock.Now(),
		IP: c.IP, UserAgent: c.UserAgent, SessionID: sid, ActorID: actor})
}
