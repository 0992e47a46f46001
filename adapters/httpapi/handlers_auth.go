package httpapi

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"authd/domain"
	"authd/ports"
)

// maxUserAgent bounds what a client can make us store per session.
const maxUserAgent = 512

// clientOf describes the caller for the limits and the session list.
func (s *Server) clientOf(c *fiber.Ctx) ports.Client {
	return ports.Client{UserAgent: truncateUTF8(c.Get(fiber.HeaderUserAgent), maxUserAgent), IP: s.clientIP(c)}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character, and copies
// it out of the request buffer.
func truncateUTF8(s string, n int) string {
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return strings.Clone(s)
}

// register signs a user up: 201 {user, message}, plus a session and its cookies
// when email verification is not required.
func (s *Server) register(c *fiber.Ctx) error {
	req, err := bind[registerRequest](c)
	if err != nil {
		return err
	}
	res, err := s.svc.Registration.Register(c.UserContext(), ports.RegisterInput{
		Email:           req.Email,
		Password:        req.Password,
		PasswordConfirm: req.PasswordConfirm,
		Profile: domain.Profile{
			FirstName:    req.FirstName,
			LastName:     req.LastName,
			Phone:        req.Phone,
			Gender:       req.Gender,
			ProfileImage: req.ProfileImage,
		},
		Role:   req.Role,
		Client: s.clientOf(c),
	})
	if err != nil {
		return err
	}
	if res.User == nil {
		return errNoUser
	}
	body := registerResponse{User: newUserResponse(res.User), Message: msgRegistered}
	if res.Session != nil {
		now := res.Session.IssuedAt
		sess, err := newSessionResponse(*res.Session, now)
		if err != nil {
			return err
		}
		body.TokenType = sess.TokenType
		if s.bodyTokensOn() {
			body.AccessToken, body.RefreshToken = sess.AccessToken, sess.RefreshToken
		}
		body.ExpiresIn = &sess.ExpiresIn
		s.setSessionCookies(c, *res.Session, now)
	}
	return c.Status(fiber.StatusCreated).JSON(body)
}

// login exchanges credentials for a session: 200 session, cookies set.
func (s *Server) login(c *fiber.Ctx) error {
	req, err := bind[loginRequest](c)
	if err != nil {
		return err
	}
	tokens, err := s.svc.Login.Login(c.UserContext(), ports.LoginInput{
		Email:    req.Email,
		Password: req.Password,
		Client:   s.clientOf(c),
	})
	if err != nil {
		return err
	}
	if tokens.MFA != nil {
		return s.sendChallenge(c, tokens.MFA)
	}
	return s.sendSession(c, tokens)
}

// sendSession answers 200 with a session and sets its cookies; every endpoint that
// issues tokens (login, refresh, password change) ends here.
func (s *Server) sendSession(c *fiber.Ctx, tokens ports.SessionTokens) error {
	now := tokens.IssuedAt // the clock that set the token's exp
	body, err := newSessionResponse(tokens, now)
	if err != nil {
		return err
	}
	if !s.bodyTokensOn() {
		body.AccessToken, body.RefreshToken = "", ""
	}
	s.setSessionCookies(c, tokens, now)
	return c.Status(fiber.StatusOK).JSON(body)
}

// verifyEmailLink redeems the token of an emailed link. Without a redirect URL it
// answers like POST /email/verify; with one it sends the browser there with the
// outcome in the query, logging what a 5xx would have logged.
func (s *Server) verifyEmailLink(c *fiber.Ctx) error {
	token := domain.Secret(strings.Clone(c.Params("token")))
	err := s.svc.EmailVerification.Verify(c.UserContext(), token, s.clientOf(c))
	if s.verifyRedirect == nil {
		if err != nil {
			return err
		}
		return c.JSON(messageResponse{Message: msgEmailVerified})
	}
	return s.redirectOutcome(c, err, "verified")
}

// redirectOutcome sends the browser of an emailed link to
// AUTH_VERIFY_REDIRECT_URL with the outcome in the query (status=<success>, or
// status=error&code=<code>), logging what a 5xx would have logged.
func (s *Server) redirectOutcome(c *fiber.Ctx, err error, success string) error {
	code := ""
	if err != nil {
		out := s.classify(err)
		if out.logIt {
			st, _ := stateOf(c)
			s.logFailure(c, st, out, err)
		}
		code = out.problem.Code
	}
	return c.Redirect(verifyRedirectLocation(s.verifyRedirect, success, code), fiber.StatusSeeOther)
}

// verifyRedirectLocation appends the outcome to the configured URL, keeping its
// own query: status=<success>, or status=error&code=<code> when code is not empty.
func verifyRedirectLocation(base *url.URL, success, code string) string {
	u := *base
	q := "status=" + url.QueryEscape(success)
	if code != "" {
		q = "status=error&code=" + url.QueryEscape(code)
	}
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
	u.ForceQuery = false
	return u.String()
}

// verifyEmail redeems a verification token sent in the body.
func (s *Server) verifyEmail(c *fiber.Ctx) error {
	req, err := bind[verifyEmailRequest](c)
	if err != nil {
		return err
	}
	if req.Token == "" {
		return domain.Validation(domain.FieldError{Field: "token", Message: "is required"})
	}
	if err := s.svc.EmailVerification.Verify(c.UserContext(), domain.Secret(req.Token), s.clientOf(c)); err != nil {
		return err
	}
	return c.JSON(messageResponse{Message: msgEmailVerified})
}

// resendVerification answers 202 with the same message for every well-formed
// email, so the answer tells nothing about accounts.
func (s *Server) resendVerification(c *fiber.Ctx) error {
	req, err := bind[resendVerificationRequest](c)
	if err != nil {
		return err
	}
	if err := s.svc.EmailVerification.Resend(c.UserContext(), req.Email, s.clientOf(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(messageResponse{Message: msgVerificationResent})
}
