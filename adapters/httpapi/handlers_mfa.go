package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

// The bodies of the multi-factor endpoints. Secrets arrive as domain.Secret
// and leave as plain strings revealed at the last moment, only in the
// responses that must show them.

type mfaPasswordRequest struct {
	Password domain.Secret `json:"password"`
}

type mfaCodeRequest struct {
	Code domain.Secret `json:"code"`
}

type mfaDisableRequest struct {
	Password domain.Secret `json:"password"`
	Code     domain.Secret `json:"code"`
}

type mfaLoginRequest struct {
	MFAToken     domain.Secret `json:"mfaToken"`
	Code         domain.Secret `json:"code"`
	RecoveryCode domain.Secret `json:"recoveryCode"`
}

type mfaEnrolmentResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauthUri"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

type mfaChallengeResponse struct {
	MFARequired bool     `json:"mfaRequired"`
	MFAToken    string   `json:"mfaToken"`
	Methods     []string `json:"methods"`
}

// sendChallenge answers a correct password of an MFA account: 200 with the
// token of the code step, no session fields and no cookies.
func (s *Server) sendChallenge(c *fiber.Ctx, ch *ports.MFAChallenge) error {
	return c.Status(fiber.StatusOK).JSON(mfaChallengeResponse{MFARequired: true, MFAToken: ch.Token.Reveal(), Methods: ch.Methods})
}

// startTOTP begins an enrolment: 200 {secret, otpauthUri}.
func (s *Server) startTOTP(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[mfaPasswordRequest](c)
	if err != nil {
		return err
	}
	e, err := s.svc.MFA.StartTOTP(c.UserContext(), p, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(mfaEnrolmentResponse{Secret: e.Secret.Reveal(), OTPAuthURI: e.OTPAuthURI.Reveal()})
}

// confirmTOTP activates the enrolment: 200 {recoveryCodes}.
func (s *Server) confirmTOTP(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[mfaCodeRequest](c)
	if err != nil {
		return err
	}
	codes, err := s.svc.MFA.ConfirmTOTP(c.UserContext(), p, req.Code)
	if err != nil {
		return err
	}
	return c.JSON(newRecoveryCodesResponse(codes))
}

// disableTOTP switches multi-factor sign-in off: 204.
func (s *Server) disableTOTP(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[mfaDisableRequest](c)
	if err != nil {
		return err
	}
	if err := s.svc.MFA.DisableTOTP(c.UserContext(), p, req.Password, req.Code); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// regenerateRecoveryCodes replaces the recovery codes: 200 {recoveryCodes}.
func (s *Server) regenerateRecoveryCodes(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[mfaPasswordRequest](c)
	if err != nil {
		return err
	}
	codes, err := s.svc.MFA.RegenerateRecoveryCodes(c.UserContext(), p, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(newRecoveryCodesResponse(codes))
}

// loginMFA is the code step of a login: 200 session, cookies set.
func (s *Server) loginMFA(c *fiber.Ctx) error {
	req, err := bind[mfaLoginRequest](c)
	if err != nil {
		return err
	}
	tokens, err := s.svc.MFALogin.LoginMFA(c.UserContext(), ports.MFALoginInput{
		Token: req.MFAToken, Code: req.Code, RecoveryCode: req.RecoveryCode, Client: s.clientOf(c),
	})
	if err != nil {
		return err
	}
	return s.sendSession(c, tokens)
}

// adminResetMFA switches a user's multi-factor sign-in off: 204.
func (s *Server) adminResetMFA(c *fiber.Ctx) error {
	return s.adminAction(c, s.svc.MFAAdmin.ResetMFA)
}

func newRecoveryCodesResponse(codes []domain.Secret) recoveryCodesResponse {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.Reveal()
	}
	return recoveryCodesResponse{RecoveryCodes: out}
}
