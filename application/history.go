package application

import (
	"context"

	"authd/domain"
	"authd/ports"
)

// AccountHistory lets users read what happened to their own account.
type AccountHistory struct {
	users  ports.UserRepository
	events ports.SecurityEventLog
}

var _ ports.AccountHistory = (*AccountHistory)(nil)

// NewAccountHistory builds the history use case.
func NewAccountHistory(st Stores) *AccountHistory {
	return &AccountHistory{users: st.Users, events: st.Events}
}

// Mine returns a page of the caller's history; see ports.AccountHistory.
func (h *AccountHistory) Mine(ctx context.Context, p ports.Principal, before string, limit int) (ports.EventPage, error) {
	if _, err := currentUser(ctx, h.users, p); err != nil {
		return ports.EventPage{}, err
	}
	return eventPage(ctx, h.events, p.UserID, before, limit)
}

// eventPage reads one more event than asked, to know whether a next page exists.
func eventPage(ctx context.Context, log ports.SecurityEventLog, user domain.UserID, before string, limit int) (ports.EventPage, error) {
	evs, err := log.ListForUser(ctx, user, before, limit+1)
	if err != nil {
		return ports.EventPage{}, err
	}
	page := ports.EventPage{Events: evs}
	if len(evs) > limit {
		page.Events = evs[:limit]
		page.Next = evs[limit-1].ID
	}
	return page, nil
}
