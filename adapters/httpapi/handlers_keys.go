package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"authd/domain"
)

// keyResponse describes a signing key of the ring.
type keyResponse struct {
	Kid           string  `json:"kid"`
	State         string  `json:"state"`
	CreatedAt     string  `json:"createdAt"`
	ActivatesAt   string  `json:"activatesAt"`
	DeactivatesAt *string `json:"deactivatesAt"`
	RetiresAt     *string `json:"retiresAt"`
}

func newKeyResponse(k domain.KeyStatus) keyResponse {
	return keyResponse{Kid: k.Kid, State: string(k.State), CreatedAt: formatTime(k.CreatedAt), ActivatesAt: formatTime(k.ActivatesAt),
		DeactivatesAt: optTime(k.DeactivatesAt), RetiresAt: optTime(k.RetiresAt)}
}

// adminRotateKey adds a new signing key: published at once, signing after the
// JWKS cache lifetime (202: the change takes effect later).
func (s *Server) adminRotateKey(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	k, err := s.svc.KeyRotation.RotateKey(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(newKeyResponse(k))
}
