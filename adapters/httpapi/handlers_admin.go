package httpapi

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

// adminUserResponse is the user as an admin sees it: the user object plus when
// it was closed and when it last logged in.
type adminUserResponse struct {
	userResponse
	DeactivatedAt *string `json:"deactivatedAt"`
	LastLoginAt   *string `json:"lastLoginAt"`
}

func newAdminUserResponse(u *domain.User) adminUserResponse {
	return adminUserResponse{userResponse: newUserResponse(u), DeactivatedAt: optTime(u.DeactivatedAt), LastLoginAt: optTime(u.LastLoginAt)}
}

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

type adminUsersResponse struct {
	Users      []adminUserResponse `json:"users"`
	NextCursor *string             `json:"nextCursor"`
}

type adminPatchRequest struct {
	Role         *string        `json:"role"`
	FirstName    optionalString `json:"firstName"`
	LastName     optionalString `json:"lastName"`
	Phone        optionalString `json:"phone"`
	Gender       optionalString `json:"gender"`
	ProfileImage optionalString `json:"profileImage"`
}

func (r adminPatchRequest) patch() domain.ProfilePatch {
	return updateProfileRequest{FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone, Gender: r.Gender, ProfileImage: r.ProfileImage}.patch()
}

// adminUsers lists accounts, oldest first, filtered by email prefix, role and status.
func (s *Server) adminUsers(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	limit, after, perr := pageParams(c, 50, 200)
	f := ports.UserFilter{EmailPrefix: c.Query("email"), Role: domain.Role(strings.ToLower(strings.TrimSpace(c.Query("role"))))}
	var bad []domain.FieldError
	if de, ok := perr.(*domain.Error); ok {
		bad = de.Fields
	}
	switch st := ports.UserStatus(c.Query("status")); st {
	case "", ports.StatusActive, ports.StatusUnverified, ports.StatusDeactivated:
		f.Status = st
	default:
		bad = append(bad, domain.FieldError{Field: "status", Message: "must be one of: active, unverified, deactivated"})
	}
	if err := domain.Validation(bad...); err != nil {
		return err
	}
	page, err := s.svc.Admin.ListUsers(c.UserContext(), p, f, domain.UserID(after), limit)
	if err != nil {
		return err
	}
	out := adminUsersResponse{Users: make([]adminUserResponse, len(page.Users)), NextCursor: encodeCursor(string(page.Next))}
	for i := range page.Users {
		out.Users[i] = newAdminUserResponse(&page.Users[i])
	}
	return c.JSON(out)
}

// targetID is the :id of an admin route, copied out of the request buffer.
func targetID(c *fiber.Ctx) domain.UserID { return domain.UserID(strings.Clone(c.Params("id"))) }

// adminUser returns one account.
func (s *Server) adminUser(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	u, err := s.svc.Admin.User(c.UserContext(), p, targetID(c))
	if err != nil {
		return err
	}
	return c.JSON(newAdminUserResponse(u))
}

// adminUpdateUser changes role and profile fields.
func (s *Server) adminUpdateUser(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[adminPatchRequest](c)
	if err != nil {
		return err
	}
	u, err := s.svc.Admin.UpdateUser(c.UserContext(), p, targetID(c), ports.AdminPatch{Role: req.Role, Profile: req.patch()})
	if err != nil {
		return err
	}
	return c.JSON(newAdminUserResponse(u))
}

// adminDeactivate, adminReactivate and adminRevokeSessions answer 204.
func (s *Server) adminDeactivate(c *fiber.Ctx) error {
	return s.adminAction(c, s.svc.Admin.Deactivate)
}

func (s *Server) adminReactivate(c *fiber.Ctx) error {
	return s.adminAction(c, s.svc.Admin.Reactivate)
}

func (s *Server) adminRevokeSessions(c *fiber.Ctx) error {
	return s.adminAction(c, s.svc.Admin.RevokeSessions)
}

func (s *Server) adminAction(c *fiber.Ctx, act func(ctx context.Context, p ports.Principal, id domain.UserID) error) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	if err := act(c.UserContext(), p, targetID(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// adminUserEvents lists an account's history with the acting admins.
func (s *Server) adminUserEvents(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	limit, before, err := pageParams(c, 20, 100)
	if err != nil {
		return err
	}
	page, err := s.svc.Admin.Events(c.UserContext(), p, targetID(c), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(newAdminEventsResponse(page))
}
