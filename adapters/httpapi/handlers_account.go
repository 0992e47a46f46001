package httpapi

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

// Messages of the email-change endpoints.
const (
	msgEmailChangeRequested = "check the new address for a confirmation link; nothing changes until it is used"
	msgEmailChanged         = "email address changed; log in again with the new address"
)

type emailChangeRequest struct {
	NewEmail string        `json:"newEmail"`
	Password domain.Secret `json:"password"`
}

type tokenRequest struct {
	Token string `json:"token"`
}

// requestEmailChange mails the confirmation link to the new address: 202.
func (s *Server) requestEmailChange(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[emailChangeRequest](c)
	if err != nil {
		return err
	}
	err = s.svc.EmailChange.Request(c.UserContext(), p, ports.EmailChangeInput{NewEmail: req.NewEmail, Password: req.Password, Client: s.clientOf(c)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(messageResponse{Message: msgEmailChangeRequested})
}

// confirmEmailChangeLink redeems the link of the confirmation mail; like the
// verification link it redirects to AUTH_VERIFY_REDIRECT_URL when that is set.
func (s *Server) confirmEmailChangeLink(c *fiber.Ctx) error {
	token := domain.Secret(strings.Clone(c.Params("token")))
	err := s.svc.EmailChange.Confirm(c.UserContext(), token, s.clientOf(c))
	if s.verifyRedirect == nil {
		if err != nil {
			return err
		}
		return c.JSON(messageResponse{Message: msgEmailChanged})
	}
	return s.redirectOutcome(c, err, "email_changed")
}

// confirmEmailChange redeems the token sent in the body.
func (s *Server) confirmEmailChange(c *fiber.Ctx) error {
	req, err := bind[tokenRequest](c)
	if err != nil {
		return err
	}
	if err := s.svc.EmailChange.Confirm(c.UserContext(), domain.Secret(req.Token), s.clientOf(c)); err != nil {
		return err
	}
	return c.JSON(messageResponse{Message: msgEmailChanged})
}

// eventResponse is one entry of an account's history; actorId only on the admin view.
type eventResponse struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	CreatedAt string  `json:"createdAt"`
	IP        *string `json:"ip"`
	UserAgent *string `json:"userAgent"`
}

func newEventResponse(e domain.SecurityEvent) eventResponse {
	return eventResponse{ID: e.ID, Type: string(e.Type), CreatedAt: formatTime(e.CreatedAt), IP: nullIfEmpty(e.IP), UserAgent: nullIfEmpty(e.UserAgent)}
}

// adminEventResponse adds who acted (null when the owner did).
type adminEventResponse struct {
	eventResponse
	ActorID *string `json:"actorId"`
}

// pageResponse is a list with the cursor of the next page (null on the last).
type pageResponse[T any] struct {
	Events     []T     `json:"events"`
	NextCursor *string `json:"nextCursor"`
}

func newEventsResponse(page ports.EventPage) pageResponse[eventResponse] {
	out := pageResponse[eventResponse]{Events: make([]eventResponse, len(page.Events)), NextCursor: encodeCursor(page.Next)}
	for i, e := range page.Events {
		out.Events[i] = newEventResponse(e)
	}
	return out
}

func newAdminEventsResponse(page ports.EventPage) pageResponse[adminEventResponse] {
	out := pageResponse[adminEventResponse]{Events: make([]adminEventResponse, len(page.Events)), NextCursor: encodeCursor(page.Next)}
	for i, e := range page.Events {
		out.Events[i] = adminEventResponse{eventResponse: newEventResponse(e), ActorID: nullIfEmpty(string(e.ActorID))}
	}
	return out
}

// myEvents lists the caller's own history, newest first.
func (s *Server) myEvents(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	limit, before, err := pageParams(c, 20, 100)
	if err != nil {
		return err
	}
	page, err := s.svc.History.Mine(c.UserContext(), p, before, limit)
	if err != nil {
		return err
	}
	return c.JSON(newEventsResponse(page))
}

// pageParams reads limit (1..most, def when absent) and the opaque cursor of a
// list; bad values are a validation_failed naming the parameter.
func pageParams(c *fiber.Ctx, def, most int) (int, string, error) {
	var bad []domain.FieldError
	limit := def
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > most {
			bad = append(bad, domain.FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(most)})
		} else {
			limit = n
		}
	}
	cursor, ok := decodeCursor(c.Query("cursor"))
	if !ok {
		bad = append(bad, domain.FieldError{Field: "cursor", Message: "is not a cursor this service handed out"})
	}
	return limit, cursor, domain.Validation(bad...)
}

// Cursors are opaque to clients: base64url of the position, which is an id
// (ids are time-ordered).
func encodeCursor(pos string) *string {
	if pos == "" {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(pos))
	return &s
}

func decodeCursor(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", false
	}
	for _, ch := range b {
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '-') {
			return "", false
		}
	}
	return string(b), true
}
