package httpapi

import (
	"embed"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

// Messages of the recovery endpoints.
const (
	msgResetRequested = "if an account with that email exists, a password reset message has been sent"
	msgPasswordReset  = "password has been reset; log in with the new password"
)

type forgotRequest struct {
	Email  string `json:"email"`
	Method string `json:"method"`
}

type resetRequest struct {
	Token              string         `json:"token"`
	Email              string         `json:"email"`
	OTP                string         `json:"otp"`
	NewPassword        domain.Secret  `json:"newPassword"`
	NewPasswordConfirm *domain.Secret `json:"newPasswordConfirm"`
}

// forgotPassword queues a reset mail: 202 with the same body for every
// well-formed email.
func (s *Server) forgotPassword(c *fiber.Ctx) error {
	req, err := bind[forgotRequest](c)
	if err != nil {
		return err
	}
	if err := s.svc.PasswordReset.Forgot(c.UserContext(), req.Email, ports.ResetMethod(req.Method), s.clientOf(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(messageResponse{Message: msgResetRequested})
}

// resetPassword redeems a link token or an email and code: 200 {message}.
func (s *Server) resetPassword(c *fiber.Ctx) error {
	req, err := bind[resetRequest](c)
	if err != nil {
		return err
	}
	err = s.svc.PasswordReset.Reset(c.UserContext(), ports.ResetInput{
		Token:              domain.Secret(req.Token),
		Email:              req.Email,
		OTP:                domain.Secret(req.OTP),
		NewPassword:        req.NewPassword,
		NewPasswordConfirm: req.NewPasswordConfirm,
		Client:             s.clientOf(c),
	})
	if err != nil {
		return err
	}
	return c.JSON(messageResponse{Message: msgPasswordReset})
}

//go:embed static
var static embed.FS

// resetPageCSP allows nothing but the page's own script, style and the reset
// endpoint: no inline script, no third party, no framing.
const resetPageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// staticFile serves one embedded file of the reset page with its strict headers.
func staticFile(name, contentType string) fiber.Handler {
	body, err := static.ReadFile("static/" + name)
	if err != nil {
		panic(err) // embedded at build time: a missing file is a build error
	}
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderContentSecurityPolicy, resetPageCSP)
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(body)
	}
}
