package httpapi

import (
	"errors"
	"time"

	"authd/domain"
	"authd/ports"
)

// Response messages of the endpoints that answer with a sentence.
const (
	msgRegistered         = "registration successful; check your email to verify your address"
	msgEmailVerified      = "email verified"
	msgVerificationResent = "if an account with that email needs verification, a new link has been sent"
)

// errNoUser reports a use case that succeeded without the account it must return.
var errNoUser = errors.New("httpapi: use case returned no user")

// userResponse is a user as the contract shows it: no hash, no internal flags,
// unset profile fields as null.
type userResponse struct {
	ID            string  `json:"id"`
	Email         string  `json:"email"`
	FirstName     *string `json:"firstName"`
	LastName      *string `json:"lastName"`
	Phone         *string `json:"phone"`
	Gender        *string `json:"gender"`
	ProfileImage  *string `json:"profileImage"`
	Role          string  `json:"role"`
	EmailVerified bool    `json:"emailVerified"`
	MFAEnabled    bool    `json:"mfaEnabled"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`
}

func newUserResponse(u *domain.User) userResponse {
	return userResponse{
		ID:            string(u.ID),
		Email:         u.Email.String(),
		FirstName:     nullIfEmpty(u.Profile.FirstName),
		LastName:      nullIfEmpty(u.Profile.LastName),
		Phone:         nullIfEmpty(u.Profile.Phone),
		Gender:        nullIfEmpty(u.Profile.Gender),
		ProfileImage:  nullIfEmpty(u.Profile.ProfileImage),
		Role:          string(u.Role),
		EmailVerified: u.EmailVerified,
		MFAEnabled:    u.MFAEnabled,
		CreatedAt:     formatTime(u.CreatedAt),
		UpdatedAt:     formatTime(u.UpdatedAt),
	}
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// formatTime writes every time of the API the same way: RFC 3339 in UTC, with
// the fraction of a second when there is one.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// sessionResponse is the contract's session: the tokens and the user they
// belong to (the tokens left out with AUTH_TOKEN_DELIVERY=cookie).
type sessionResponse struct {
	AccessToken  string       `json:"accessToken,omitempty"`
	RefreshToken string       `json:"refreshToken,omitempty"`
	TokenType    string       `json:"tokenType"`
	ExpiresIn    int64        `json:"expiresIn"`
	User         userResponse `json:"user"`
}

func newSessionResponse(t ports.SessionTokens, now time.Time) (sessionResponse, error) {
	if t.User == nil {
		return sessionResponse{}, errNoUser
	}
	return sessionResponse{
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken.Reveal(),
		TokenType:    "Bearer",
		ExpiresIn:    roundSeconds(t.AccessExpiresAt.Sub(now)),
		User:         newUserResponse(t.User),
	}, nil
}

// registerResponse is {user, message}, plus the session fields at top level when
// registration also logged the user in.
type registerResponse struct {
	User         userResponse `json:"user"`
	Message      string       `json:"message"`
	AccessToken  string       `json:"accessToken,omitempty"`
	RefreshToken string       `json:"refreshToken,omitempty"`
	TokenType    string       `json:"tokenType,omitempty"`
	ExpiresIn    *int64       `json:"expiresIn,omitempty"`
}

// messageResponse is the body of endpoints that only confirm.
type messageResponse struct {
	Message string `json:"message"`
}

// Request bodies. Required strings that are missing reach the core as "" so that
// its validation names them.

type registerRequest struct {
	Email           string         `json:"email"`
	Password        domain.Secret  `json:"password"`
	PasswordConfirm *domain.Secret `json:"passwordConfirm"`
	FirstName       string         `json:"firstName"`
	LastName        string         `json:"lastName"`
	Phone           string         `json:"phone"`
	Gender          string         `json:"gender"`
	ProfileImage    string         `json:"profileImage"`
	Role            string         `json:"role"`
}

type loginRequest struct {
	Email    string        `json:"email"`
	Password domain.Secret `json:"password"`
}

type verifyEmailRequest struct {
	Token string `json:"token"`
}

type resendVerificationRequest struct {
	Email string `json:"email"`
}

type updateProfileRequest struct {
	FirstName    optionalString `json:"firstName"`
	LastName     optionalString `json:"lastName"`
	Phone        optionalString `json:"phone"`
	Gender       optionalString `json:"gender"`
	ProfileImage optionalString `json:"profileImage"`
}

func (r updateProfileRequest) patch() domain.ProfilePatch {
	return domain.ProfilePatch{
		FirstName:    r.FirstName.clearable(),
		LastName:     r.LastName.clearable(),
		Phone:        r.Phone.clearable(),
		Gender:       r.Gender.clearable(),
		ProfileImage: r.ProfileImage.clearable(),
	}
}
