package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// me returns the caller's account.
func (s *Server) me(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	u, err := s.svc.Profile.Me(c.UserContext(), p)
	if err != nil {
		return err
	}
	if u == nil {
		return errNoUser
	}
	return c.JSON(newUserResponse(u))
}

// updateMe edits the caller's profile: absent fields stay, null or "" clears.
func (s *Server) updateMe(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[updateProfileRequest](c)
	if err != nil {
		return err
	}
	u, err := s.svc.Profile.Update(c.UserContext(), p, req.patch())
	if err != nil {
		return err
	}
	if u == nil {
		return errNoUser
	}
	return c.JSON(newUserResponse(u))
}
