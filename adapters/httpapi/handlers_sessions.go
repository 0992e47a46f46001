package httpapi

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

type logoutRequest struct {
	Scope        string `json:"scope"`
	RefreshToken string `json:"refreshToken"`
}

type changePasswordRequest struct {
	CurrentPassword    domain.Secret  `json:"currentPassword"`
	NewPassword        domain.Secret  `json:"newPassword"`
	NewPasswordConfirm *domain.Secret `json:"newPasswordConfirm"`
}

type deactivateRequest struct {
	Password domain.Secret `json:"password"`
}

type sessionInfoResponse struct {
	ID         string `json:"id"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt"`
	ExpiresAt  string `json:"expiresAt"`
	UserAgent  string `json:"userAgent"`
	IP         string `json:"ip"`
	Current    bool   `json:"current"`
}

type sessionsResponse struct {
	Sessions []sessionInfoResponse `json:"sessions"`
}

// refreshTokenOf returns the refresh token from the body, else from the cookie
// (the body wins), refusing a cookie sent by a foreign page.
func (s *Server) refreshTokenOf(c *fiber.Ctx, fromBody string) (domain.Secret, error) {
	if fromBody != "" {
		return domain.Secret(fromBody), nil
	}
	v := c.Cookies(refreshCookie)
	if v == "" {
		return "", nil
	}
	if err := s.checkCSRF(c); err != nil {
		return "", err
	}
	return domain.Secret(strings.Clone(v)), nil
}

// refresh rotates the refresh token: 200 new session, cookies set.
func (s *Server) refresh(c *fiber.Ctx) error {
	req, err := bind[refreshRequest](c)
	if err != nil {
		return err
	}
	token, err := s.refreshTokenOf(c, req.RefreshToken)
	if err != nil {
		return err
	}
	if token == "" {
		return domain.ErrInvalidRefreshToken
	}
	tokens, err := s.svc.Refresh.Refresh(c.UserContext(), token, s.clientOf(c))
	if err != nil {
		return err
	}
	return s.sendSession(c, tokens)
}

// logout ends the caller's session (or all of them): 204, cookies cleared. The
// caller proves itself by a live access token or, failing that, its refresh token.
func (s *Server) logout(c *fiber.Ctx) error {
	req, err := bind[logoutRequest](c)
	if err != nil {
		return err
	}
	scope := ports.LogoutScope(req.Scope)
	switch scope {
	case "":
		scope = ports.LogoutLocal
	case ports.LogoutLocal, ports.LogoutGlobal:
	default:
		return domain.Validation(domain.FieldError{Field: "scope", Message: `must be "local" or "global"`})
	}
	in := ports.LogoutInput{Scope: scope}
	token, fromCookie, accessErr := accessTokenOf(c)
	if accessErr == nil {
		if fromCookie {
			if err := s.checkCSRF(c); err != nil {
				return err
			}
		}
		p, err := s.svc.Authenticator.Authenticate(c.UserContext(), token)
		switch {
		case err == nil:
			in.Principal = &p
		case errors.Is(err, domain.ErrInvalidToken), errors.Is(err, domain.ErrTokenRevoked):
			accessErr = err // an expired token: fall back to the refresh token
		default:
			return err
		}
	}
	if in.Principal == nil {
		if in.RefreshToken, err = s.refreshTokenOf(c, req.RefreshToken); err != nil {
			return err
		}
		if in.RefreshToken == "" {
			return accessErr // unauthenticated, or why the access token was refused
		}
	}
	if err := s.svc.Logout.Logout(c.UserContext(), in); err != nil {
		return err
	}
	s.clearSessionCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// changePassword replaces the caller's password: 200 new session, cookies set.
func (s *Server) changePassword(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[changePasswordRequest](c)
	if err != nil {
		return err
	}
	tokens, err := s.svc.PasswordChange.ChangePassword(c.UserContext(), p, ports.ChangePasswordInput{
		CurrentPassword:    req.CurrentPassword,
		NewPassword:        req.NewPassword,
		NewPasswordConfirm: req.NewPasswordConfirm,
		Client:             s.clientOf(c),
	})
	if err != nil {
		return err
	}
	return s.sendSession(c, tokens)
}

// deactivate closes the caller's account: 204, cookies cleared.
func (s *Server) deactivate(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	req, err := bind[deactivateRequest](c)
	if err != nil {
		return err
	}
	if err := s.svc.Deactivation.Deactivate(c.UserContext(), p, req.Password); err != nil {
		return err
	}
	s.clearSessionCookies(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// listSessions returns the caller's live sessions.
func (s *Server) listSessions(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	list, err := s.svc.Sessions.List(c.UserContext(), p)
	if err != nil {
		return err
	}
	out := sessionsResponse{Sessions: make([]sessionInfoResponse, 0, len(list))}
	for _, si := range list {
		out.Sessions = append(out.Sessions, sessionInfoResponse{
			ID:         string(si.ID),
			CreatedAt:  formatTime(si.CreatedAt),
			LastUsedAt: formatTime(si.LastUsedAt),
			ExpiresAt:  formatTime(earlier(si.RefreshExpiresAt, si.ExpiresAt)),
			UserAgent:  si.UserAgent,
			IP:         si.IP,
			Current:    si.Current,
		})
	}
	return c.JSON(out)
}

// revokeSession ends one of the caller's sessions: 204, or 404 for any other id.
func (s *Server) revokeSession(c *fiber.Ctx) error {
	p, err := caller(c)
	if err != nil {
		return err
	}
	id := domain.SessionID(strings.Clone(c.Params("id")))
	if err := s.svc.Sessions.Revoke(c.UserContext(), p, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// earlier returns the earlier of two expiries, ignoring one that is unset.
func earlier(a, b time.Time) time.Time {
	if b.IsZero() || (!a.IsZero() && a.Before(b)) {
		return a
	}
	return b
}
