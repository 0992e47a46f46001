package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
)

// Tests of the foundation endpoints through the wired app on SQLite, checked
// against the contract (docs/api.md) field by field.

func TestRegisterEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)

	t.Run("creates the account and answers 201 with the user and no session", func(t *testing.T) {
		r := a.do("POST", "/api/v1/auth/register", map[string]any{"email": " Jane@Example.com ", "password": pw,
			"passwordConfirm": pw, "firstName": "Jane", "lastName": "Doe", "phone": "+14155550100", "gender": "female",
			"profileImage": "https://cdn.example.com/a.png", "role": "Retailer"}).Want(t, 201)
		u, _ := r.Body["user"].(map[string]any)
		want := map[string]any{"email": "jane@example.com", "firstName": "Jane", "lastName": "Doe", "phone": "+14155550100",
			"gender": "female", "profileImage": "https://cdn.example.com/a.png", "role": "retailer", "emailVerified": false}
		for k, v := range want {
			if u[k] != v {
				t.Errorf("user.%s = %v, want %v", k, u[k], v)
			}
		}
		for _, k := range []string{"id", "createdAt", "updatedAt"} {
			if s, _ := u[k].(string); s == "" {
				t.Errorf("user.%s missing", k)
			}
		}
		if _, err := time.Parse(time.RFC3339, u["createdAt"].(string)); err != nil {
			t.Errorf("createdAt not RFC 3339: %v", err)
		}
		for _, k := range []string{"password", "passwordHash", "accessToken", "refreshToken"} {
			if strings.Contains(r.Raw, `"`+k+`"`) {
				t.Errorf("response leaks %s: %s", k, r.Raw)
			}
		}
		if r.Str("message") == "" || len(r.Cookies) != 0 {
			t.Errorf("message %q, cookies %v", r.Str("message"), r.Cookies)
		}
	})

	t.Run("answers 409 for a taken email in another spelling", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": "JANE@example.com", "password": pw}).Want(t, 409, "email_taken")
	})

	cases := []struct {
		name   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"names every invalid field", map[string]any{"email": "nope", "password": "short", "phone": "123"}, 400, "validation_failed", []string{"email", "password", "phone"}},
		{"refuses a confirmation that differs", map[string]any{"email": "a@example.com", "password": pw, "passwordConfirm": "other"}, 400, "validation_failed", []string{"passwordConfirm"}},
		{"refuses a role that may not be self-assigned", map[string]any{"email": "a@example.com", "password": pw, "role": "admin"}, 400, "validation_failed", []string{"role"}},
		{"refuses unknown fields", map[string]any{"email": "a@example.com", "password": pw, "isAdmin": true}, 400, "validation_failed", []string{"isAdmin"}},
		{"refuses case variants of known fields", map[string]any{"Email": "a@example.com", "password": pw}, 400, "validation_failed", []string{"Email"}},
		{"refuses a wrong JSON type", map[string]any{"email": 42, "password": pw}, 400, "validation_failed", []string{"email"}},
		{"refuses malformed JSON", `{"email": "a@example.com",`, 400, "malformed_json", nil},
		{"refuses a JSON array", `[]`, 400, "malformed_json", nil},
		{"refuses missing fields", map[string]any{}, 400, "validation_failed", []string{"email", "password"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do("POST", "/api/v1/auth/register", tc.body).Want(t, tc.status, tc.code)
			checkErrorShape(t, r)
			var got []string
			errs, _ := r.Body["errors"].([]any)
			for _, e := range errs {
				got = append(got, e.(map[string]any)["field"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
		})
	}

	t.Run("refuses a body that is not JSON with 415", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/register", "email=a@example.com", testkit.Header("Content-Type", "application/x-www-form-urlencoded")).
			Want(t, 415, "unsupported_media_type")
	})
	t.Run("refuses an oversized body with 413", func(t *testing.T) {
		big := `{"email":"a@example.com","password":"` + strings.Repeat("x", 200_000) + `"}`
		checkErrorShape(t, a.do("POST", "/api/v1/auth/register", big).Want(t, 413, "payload_too_large"))
	})
}

func TestRegisterWithoutVerification(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_REQUIRE_EMAIL_VERIFICATION": "false"})
	r := a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	checkSession(t, r)
	if r.Body["user"] == nil || r.Str("message") == "" {
		t.Fatalf("body %s", r.Raw)
	}
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(r.Str("accessToken"))).Want(t, 200)
	a.verifyLink("jane@example.com") // the verification mail is still sent
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	tok := a.verifyLink("jane@example.com")

	t.Run("login is refused with 403 until the email is verified, and only after the password matched", func(t *testing.T) {
		a.login("jane@example.com", "wrong password").Want(t, 401, "invalid_credentials")
		a.login("jane@example.com", pw).Want(t, 403, "email_not_verified")
	})
	t.Run("the link verifies once", func(t *testing.T) {
		if r := a.do("GET", "/api/v1/auth/email/verify/"+tok, nil).Want(t, 200); r.Str("message") == "" {
			t.Fatal("no message")
		}
		checkErrorShape(t, a.do("GET", "/api/v1/auth/email/verify/"+tok, nil).Want(t, 400, "invalid_verification_token"))
		a.login("jane@example.com", pw).Want(t, 200)
	})
	t.Run("POST verifies too and refuses unknown or missing tokens", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/email/verify", map[string]any{"token": tok}).Want(t, 400, "invalid_verification_token")
		a.do("POST", "/api/v1/auth/email/verify", map[string]any{"token": "nope"}).Want(t, 400, "invalid_verification_token")
		a.do("POST", "/api/v1/auth/email/verify", map[string]any{}).Want(t, 400, "validation_failed")
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": "joe@example.com", "password": pw}).Want(t, 201)
		a.do("POST", "/api/v1/auth/email/verify", map[string]any{"token": a.verifyLink("joe@example.com")}).Want(t, 200)
	})
	t.Run("resend answers 202 alike for every well-formed email and voids the earlier link", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": "ann@example.com", "password": pw}).Want(t, 201)
		first := a.verifyLink("ann@example.com")
		var bodies []string
		for _, e := range []string{"ann@example.com", "nobody@example.com", "jane@example.com"} {
			bodies = append(bodies, a.do("POST", "/api/v1/auth/email/resend", map[string]any{"email": e}).Want(t, 202).Raw)
		}
		if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
			t.Fatalf("answers differ: %v", bodies)
		}
		testkit.Poll(10*time.Second, func() bool { return a.verifyLink("ann@example.com") != first })
		second := a.verifyLink("ann@example.com")
		a.do("GET", "/api/v1/auth/email/verify/"+first, nil).Want(t, 400, "invalid_verification_token")
		a.do("GET", "/api/v1/auth/email/verify/"+second, nil).Want(t, 200)
		a.do("POST", "/api/v1/auth/email/resend", map[string]any{"email": "not-an-email"}).Want(t, 400, "validation_failed")
	})
}

func TestVerifyRedirect(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_VERIFY_REDIRECT_URL": "https://app.example.com/verified"})
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	r := a.do("GET", "/api/v1/auth/email/verify/"+a.verifyLink("jane@example.com"), nil).Want(t, 303)
	if loc := r.Header.Get("Location"); loc != "https://app.example.com/verified?status=verified" {
		t.Fatalf("Location %q", loc)
	}
	r = a.do("GET", "/api/v1/auth/email/verify/bogus", nil).Want(t, 303)
	if loc := r.Header.Get("Location"); loc != "https://app.example.com/verified?code=invalid_verification_token&status=error" &&
		loc != "https://app.example.com/verified?status=error&code=invalid_verification_token" {
		t.Fatalf("Location %q", loc)
	}
}

func TestLoginEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	r := a.registerVerified("jane@example.com")

	t.Run("returns a session with no-store and both cookies as the contract sets them", func(t *testing.T) {
		checkSession(t, r)
		if r.Body["expiresIn"] != float64(900) {
			t.Errorf("expiresIn %v", r.Body["expiresIn"])
		}
	})
	t.Run("answers unknown email and wrong password with the same 401", func(t *testing.T) {
		x := a.login("nobody@example.com", pw).Want(t, 401, "invalid_credentials")
		y := a.login("jane@example.com", "wrong password").Want(t, 401, "invalid_credentials")
		if x.Str("message") != y.Str("message") || x.Str("message") != "invalid email or password" {
			t.Fatalf("messages %q / %q", x.Str("message"), y.Str("message"))
		}
	})
	t.Run("requires email and password", func(t *testing.T) {
		a.do("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com"}).Want(t, 400, "validation_failed")
	})
}

func TestMeEndpoint(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	tok := s.Str("accessToken")

	t.Run("reads the caller by bearer token and by cookie alone", func(t *testing.T) {
		r := a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 200)
		if r.Str("email") != "jane@example.com" || r.Body["emailVerified"] != true || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("got %s", r.Raw)
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Cookie("access_token", s.Cookies["access_token"].Value)).Want(t, 200)
	})
	t.Run("refuses a missing, malformed or tampered token", func(t *testing.T) {
		checkErrorShape(t, a.do("GET", "/api/v1/users/me", nil).Want(t, 401, "unauthenticated"))
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer("garbage")).Want(t, 401, "invalid_token")
		a.do("GET", "/api/v1/users/me", nil, testkit.Header("Authorization", "Basic abc")).Want(t, 401, "invalid_token")
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok[:len(tok)-2]+"xx")).Want(t, 401, "invalid_token")
		// a bad bearer header never falls back to a good cookie
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer("garbage"), testkit.Cookie("access_token", tok)).Want(t, 401, "invalid_token")
	})
	t.Run("updates, clears with null or empty string, and leaves absent fields alone", func(t *testing.T) {
		r := a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Jane", "lastName": "Doe", "phone": "+14155550100"}, testkit.Bearer(tok)).Want(t, 200)
		if r.Str("firstName") != "Jane" || r.Str("lastName") != "Doe" || r.Str("phone") != "+14155550100" {
			t.Fatalf("got %s", r.Raw)
		}
		r = a.do("PATCH", "/api/v1/users/me", map[string]any{"lastName": nil, "phone": ""}, testkit.Bearer(tok)).Want(t, 200)
		if r.Str("firstName") != "Jane" || r.Body["lastName"] != nil || r.Body["phone"] != nil {
			t.Fatalf("got %s", r.Raw)
		}
	})
	t.Run("refuses fields that are not editable, naming them, and changes nothing", func(t *testing.T) {
		for _, f := range []string{"email", "password", "role", "id", "emailVerified"} {
			r := a.do("PATCH", "/api/v1/users/me", map[string]any{"firstName": "Mallory", f: "x"}, testkit.Bearer(tok)).Want(t, 400, "validation_failed")
			if !strings.Contains(r.Raw, `"field":"`+f+`"`) {
				t.Fatalf("%s not named: %s", f, r.Raw)
			}
		}
		a.do("PATCH", "/api/v1/users/me", map[string]any{"profileImage": "javascript:alert(1)", "firstName": "Mallory"}, testkit.Bearer(tok)).Want(t, 400, "validation_failed")
		if r := a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)); r.Str("firstName") != "Jane" || r.Str("role") != "customer" {
			t.Fatalf("changed: %s", r.Raw)
		}
	})
}

func TestSystemEndpoints(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	t.Run("jwks publishes one Ed25519 key", func(t *testing.T) {
		r := a.do("GET", "/.well-known/jwks.json", nil).Want(t, 200)
		keys, _ := r.Body["keys"].([]any)
		if len(keys) != 1 || keys[0].(map[string]any)["crv"] != "Ed25519" {
			t.Fatalf("got %s", r.Raw)
		}
	})
	t.Run("health and readiness answer", func(t *testing.T) {
		if a.do("GET", "/healthz", nil).Want(t, 200).Str("status") != "ok" {
			t.Fatal("healthz")
		}
		a.do("GET", "/readyz", nil).Want(t, 200)
	})
	t.Run("unknown routes and wrong methods answer in the error shape", func(t *testing.T) {
		checkErrorShape(t, a.do("GET", "/api/v1/nope", nil).Want(t, 404, "not_found"))
		checkErrorShape(t, a.do("DELETE", "/api/v1/auth/login", nil).Want(t, 405, "method_not_allowed"))
	})
	t.Run("every response carries the security headers and a request id", func(t *testing.T) {
		for _, r := range []*testkit.Reply{a.do("GET", "/healthz", nil), a.do("GET", "/nope", nil)} {
			if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("X-Request-ID") == "" {
				t.Fatalf("headers %v", r.Header)
			}
		}
	})
}

func TestHS256(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_JWT_ALG": "HS256", "AUTH_JWT_SECRET": strings.Repeat("s", 32)})
	s := a.registerVerified("jane@example.com")
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
	if r := a.do("GET", "/.well-known/jwks.json", nil).Want(t, 200); strings.TrimSpace(r.Raw) != `{"keys":[]}` {
		t.Fatalf("jwks %s", r.Raw)
	}
}

func TestRestartKeepsAccountsAndTokens(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	b := a.restart()
	b.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
	b.login("jane@example.com", pw).Want(t, 200)
}

// checkErrorShape checks the contract's error body.
func checkErrorShape(t *testing.T, r *testkit.Reply) {
	t.Helper()
	want := "fail"
	if r.Status >= 500 {
		want = "error"
	}
	if r.Str("status") != want || r.Body["statusCode"] != float64(r.Status) || r.Code() == "" || r.Str("message") == "" {
		t.Fatalf("not the contract's error shape: %d %s", r.Status, r.Raw)
	}
	if _, has := r.Body["errors"]; has != (r.Code() == "validation_failed") {
		t.Fatalf("errors present=%v for %s", has, r.Code())
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
}

// checkSession checks a token response: body fields, no-store and both cookies.
func checkSession(t *testing.T, r *testkit.Reply) {
	t.Helper()
	if r.Str("accessToken") == "" || len(r.Str("refreshToken")) < 43 || r.Str("tokenType") != "Bearer" || r.Body["expiresIn"] == nil {
		t.Fatalf("not a session: %s", r.Raw)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	at, rt := r.Cookies["access_token"], r.Cookies["refresh_token"]
	if at == nil || rt == nil {
		t.Fatalf("cookies %v", r.Header["Set-Cookie"])
	}
	if at.Value != r.Str("accessToken") || !at.HttpOnly || at.SameSite != http.SameSiteLaxMode || at.Path != "/" || at.MaxAge < 890 || at.MaxAge > 900 {
		t.Errorf("access_token cookie %+v", at)
	}
	if rt.Value != r.Str("refreshToken") || !rt.HttpOnly || rt.SameSite != http.SameSiteStrictMode || rt.Path != "/api/v1/auth" || rt.MaxAge < 168*3600-10 {
		t.Errorf("refresh_token cookie %+v", rt)
	}
}
