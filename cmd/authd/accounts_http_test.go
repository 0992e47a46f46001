package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/internal/testkit"
)

// Email change, security events and the admin API, black-box on every store.

var changeLinkRe = regexp.MustCompile(`/api/v1/auth/email/change/([A-Za-z0-9_-]+)`)

// mailsTo returns every message sent to `to` so far.
func (a *testApp) mailsTo(to string) []string { return testkit.ConsoleMails(a.mail.String(), to) }

func TestEmailChange(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	s := a.registerVerified("jane@example.com")
	tok := s.Str("accessToken")
	change := func(body map[string]any) *testkit.Reply {
		return a.do("POST", "/api/v1/users/me/email", body, testkit.Bearer(tok))
	}

	t.Run("bad requests change nothing", func(t *testing.T) {
		a.registerVerified("taken@example.com")
		change(map[string]any{"newEmail": "new@example.com", "password": "wrong password"}).Want(t, 403, "invalid_current_password")
		r := change(map[string]any{"newEmail": "not an email", "password": pw}).Want(t, 400, "validation_failed")
		if !strings.Contains(r.Raw, `"field":"newEmail"`) {
			t.Fatalf("errors do not name newEmail: %s", r.Raw)
		}
		change(map[string]any{"newEmail": "JANE@example.com", "password": pw}).Want(t, 400, "validation_failed")
		change(map[string]any{"newEmail": "taken@example.com", "password": pw}).Want(t, 409, "email_taken")
		a.do("POST", "/api/v1/users/me/email", map[string]any{"newEmail": "new@example.com", "password": pw}).Want(t, 401, "unauthenticated")
	})

	t.Run("a request mails the new address a link and the old one a notice, and changes nothing yet", func(t *testing.T) {
		change(map[string]any{"newEmail": "first@example.com", "password": pw}).Want(t, 202)
		r := change(map[string]any{"newEmail": "New@Example.com", "password": pw}).Want(t, 202)
		if r.Str("message") == "" {
			t.Fatalf("body %s", r.Raw)
		}
		a.waitForMail("new@example.com", changeLinkRe)
		for _, m := range a.mailsTo("jane@example.com") {
			if strings.Contains(m, "change") && (strings.Contains(m, "http") || changeLinkRe.MatchString(m)) {
				t.Fatalf("the notice to the old address carries a link:\n%s", m)
			}
		}
		a.login("jane@example.com", pw).Want(t, 200)
		a.login("new@example.com", pw).Want(t, 401, "invalid_credentials")
		// A new request voids the previous link.
		first := a.waitForMail("first@example.com", changeLinkRe)
		a.do("GET", "/api/v1/auth/email/change/"+first, nil).Want(t, 400, "invalid_verification_token")
	})

	t.Run("the link replaces the address, verifies it and ends every session", func(t *testing.T) {
		link := a.waitForMail("new@example.com", changeLinkRe)
		a.do("GET", "/api/v1/auth/email/change/"+link, nil).Want(t, 200)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 401, "token_revoked")
		a.login("jane@example.com", pw).Want(t, 401, "invalid_credentials")
		me := a.login("new@example.com", pw).Want(t, 200)
		if u, _ := me.Body["user"].(map[string]any); u["email"] != "new@example.com" || u["emailVerified"] != true {
			t.Fatalf("user %v", me.Body["user"])
		}
		a.do("POST", "/api/v1/auth/email/change", map[string]any{"token": link}).Want(t, 400, "invalid_verification_token")
		testkit.EventuallyOK(t, 10*time.Second, func() string {
			if n := len(a.mailsTo("jane@example.com")); n < 4 { // verification, two requested notices, the changed notice
				return fmt.Sprintf("no notice of the change to the old address: %d mails", n)
			}
			return ""
		})
	})

	t.Run("an address taken before the link is used is 409 and nothing changes", func(t *testing.T) {
		b := a.registerVerified("bob@example.com")
		a.do("POST", "/api/v1/users/me/email", map[string]any{"newEmail": "race@example.com", "password": pw}, testkit.Bearer(b.Str("accessToken"))).Want(t, 202)
		link := a.waitForMail("race@example.com", changeLinkRe)
		a.do("POST", "/api/v1/auth/register", map[string]any{"email": "race@example.com", "password": pw}).Want(t, 201)
		a.do("POST", "/api/v1/auth/email/change", map[string]any{"token": link}).Want(t, 409, "email_taken")
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(b.Str("accessToken"))).Want(t, 200)
		a.login("bob@example.com", pw).Want(t, 200)
	})
}

func TestEmailChangeRedirect(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_VERIFY_REDIRECT_URL": "https://app.example.com/done"})
	a.do("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": pw}).Want(t, 201)
	a.do("POST", "/api/v1/auth/email/verify", map[string]any{"token": a.verifyLink("jane@example.com")}).Want(t, 200)
	s := a.login("jane@example.com", pw).Want(t, 200)
	a.do("POST", "/api/v1/users/me/email", map[string]any{"newEmail": "new@example.com", "password": pw}, testkit.Bearer(s.Str("accessToken"))).Want(t, 202)
	link := a.waitForMail("new@example.com", changeLinkRe)
	r := a.do("GET", "/api/v1/auth/email/change/"+link, nil).Want(t, 303)
	if loc := r.Header.Get("Location"); loc != "https://app.example.com/done?status=email_changed" {
		t.Fatalf("Location %q", loc)
	}
	r = a.do("GET", "/api/v1/auth/email/change/"+link, nil).Want(t, 303)
	if loc := r.Header.Get("Location"); loc != "https://app.example.com/done?status=error&code=invalid_verification_token" {
		t.Fatalf("Location %q", loc)
	}
}

func TestSecurityEvents(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.registerVerified("jane@example.com")
	a.login("jane@example.com", "wrong password").Want(t, 401)
	s := a.do("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": pw}, testkit.Header("User-Agent", "events-test/1")).Want(t, 200)
	tok := s.Str("accessToken")
	a.do("POST", "/api/v1/auth/password/change", map[string]any{"currentPassword": pw, "newPassword": "brand new password"}, testkit.Bearer(tok)).Want(t, 200)
	s = a.login("jane@example.com", "brand new password").Want(t, 200)
	tok = s.Str("accessToken")

	r := a.do("GET", "/api/v1/users/me/events", nil, testkit.Bearer(tok)).Want(t, 200)
	events, _ := r.Body["events"].([]any)
	var types []string
	for _, e := range events {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	want := []string{"login", "password_changed", "login", "login_failed", "login", "email_verified", "registered"}
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want newest first %v", types, want)
	}
	if r.Body["nextCursor"] != nil {
		t.Fatalf("nextCursor %v on the only page", r.Body["nextCursor"])
	}
	third := events[2].(map[string]any) // the login with the test's user agent
	if third["ip"] != "127.0.0.1" || third["userAgent"] != "events-test/1" || third["id"] == "" || third["createdAt"] == "" {
		t.Fatalf("event %v", third)
	}
	for _, secret := range []string{pw, "brand new password", tok, s.Str("refreshToken")} {
		if strings.Contains(r.Raw, secret) {
			t.Fatal("the history shows a secret")
		}
	}

	t.Run("pages follow the cursor without gaps or repeats", func(t *testing.T) {
		var seen []string
		cursor := ""
		for range 10 {
			path := "/api/v1/users/me/events?limit=3"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			page := a.do("GET", path, nil, testkit.Bearer(tok)).Want(t, 200)
			for _, e := range page.Body["events"].([]any) {
				seen = append(seen, e.(map[string]any)["type"].(string))
			}
			next, _ := page.Body["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("paged %v, want %v", seen, want)
		}
	})

	t.Run("bad paging parameters are 400 naming them", func(t *testing.T) {
		for q, field := range map[string]string{"limit=0": "limit", "limit=101": "limit", "limit=x": "limit", "cursor=%25%25": "cursor", "cursor=AAAA": "cursor"} {
			r := a.do("GET", "/api/v1/users/me/events?"+q, nil, testkit.Bearer(tok)).Want(t, 400, "validation_failed")
			if !strings.Contains(r.Raw, `"field":"`+field+`"`) {
				t.Fatalf("%s: %s", q, r.Raw)
			}
		}
	})
}

// makeAdmin gives the account the admin role from the command line, as an
// operator bootstraps the first admin, and logs it in again.
func (a *testApp) makeAdmin(email string) string {
	a.t.Helper()
	code, out, errOut := a.command("", "users", "set-role", "--email", email, "--role", "admin")
	if code != 0 || !strings.Contains(out, "admin") {
		a.t.Fatalf("set-role: %d %s %s", code, out, errOut)
	}
	return a.login(email, pw).Want(a.t, 200).Str("accessToken")
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	a.registerVerified("root@example.com")
	jane := a.registerVerified("jane@example.com")
	janeID := jane.Body["user"].(map[string]any)["id"].(string)

	t.Run("only an admin role may call it, read from the store", func(t *testing.T) {
		a.do("GET", "/api/v1/admin/users", nil).Want(t, 401, "unauthenticated")
		a.do("GET", "/api/v1/admin/users", nil, testkit.Bearer(jane.Str("accessToken"))).Want(t, 403, "forbidden")
	})
	root := a.makeAdmin("root@example.com")
	rootID := a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(root)).Want(t, 200).Str("id")

	t.Run("an admin sees users with deactivatedAt and lastLoginAt, filters and pages", func(t *testing.T) {
		r := a.do("GET", "/api/v1/admin/users/"+janeID, nil, testkit.Bearer(root)).Want(t, 200)
		if r.Body["email"] != "jane@example.com" || r.Body["deactivatedAt"] != nil || r.Body["lastLoginAt"] == nil {
			t.Fatalf("admin user %s", r.Raw)
		}
		a.do("GET", "/api/v1/admin/users/00000000-0000-7000-8000-000000000000", nil, testkit.Bearer(root)).Want(t, 404, "not_found")
		list := a.do("GET", "/api/v1/admin/users?email=JA&status=active", nil, testkit.Bearer(root)).Want(t, 200)
		users := list.Body["users"].([]any)
		if len(users) != 1 || users[0].(map[string]any)["id"] != janeID {
			t.Fatalf("filtered list %s", list.Raw)
		}
		if n := len(a.do("GET", "/api/v1/admin/users?role=admin", nil, testkit.Bearer(root)).Want(t, 200).Body["users"].([]any)); n != 1 {
			t.Fatalf("%d admins listed", n)
		}
		a.do("GET", "/api/v1/admin/users?status=sleeping", nil, testkit.Bearer(root)).Want(t, 400, "validation_failed")
		a.do("GET", "/api/v1/admin/users?limit=201", nil, testkit.Bearer(root)).Want(t, 400, "validation_failed")
		a.do("GET", "/api/v1/admin/users?cursor=!!", nil, testkit.Bearer(root)).Want(t, 400, "validation_failed")
	})

	t.Run("paging stays exact while users are created", func(t *testing.T) {
		for i := range 6 {
			a.do("POST", "/api/v1/auth/register", map[string]any{"email": fmt.Sprintf("early%d@example.com", i), "password": pw}).Want(t, 201)
		}
		before := map[string]bool{}
		for _, u := range a.do("GET", "/api/v1/admin/users?limit=200", nil, testkit.Bearer(root)).Want(t, 200).Body["users"].([]any) {
			before[u.(map[string]any)["id"].(string)] = true
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a.do("POST", "/api/v1/auth/register", map[string]any{"email": fmt.Sprintf("during%d@example.com", i), "password": pw})
			}
		})
		seen := map[string]int{}
		cursor := ""
		for range 100 {
			path := "/api/v1/admin/users?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			page := a.do("GET", path, nil, testkit.Bearer(root)).Want(t, 200)
			for _, u := range page.Body["users"].([]any) {
				seen[u.(map[string]any)["id"].(string)]++
			}
			next, _ := page.Body["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		close(stop)
		wg.Wait()
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("user %s listed %d times", id, n)
			}
		}
		for id := range before {
			if seen[id] != 1 {
				t.Fatalf("user %s, there before paging began, was missed", id)
			}
		}
	})

	t.Run("a role change revokes the user's sessions; an unknown role is 400", func(t *testing.T) {
		r := a.do("PATCH", "/api/v1/admin/users/"+janeID, map[string]any{"role": "wizard"}, testkit.Bearer(root)).Want(t, 400, "validation_failed")
		if !strings.Contains(r.Raw, `"field":"role"`) {
			t.Fatalf("%s", r.Raw)
		}
		r = a.do("PATCH", "/api/v1/admin/users/"+janeID, map[string]any{"role": "retailer", "firstName": "Jane"}, testkit.Bearer(root)).Want(t, 200)
		if r.Body["role"] != "retailer" || r.Body["firstName"] != "Jane" {
			t.Fatalf("%s", r.Raw)
		}
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(jane.Str("accessToken"))).Want(t, 401, "token_revoked")
	})

	t.Run("deactivate and reactivate; old sessions stay revoked", func(t *testing.T) {
		s := a.login("jane@example.com", pw).Want(t, 200)
		a.do("POST", "/api/v1/admin/users/"+janeID+"/deactivate", nil, testkit.Bearer(root)).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401)
		a.login("jane@example.com", pw).Want(t, 403, "account_deactivated")
		r := a.do("GET", "/api/v1/admin/users/"+janeID, nil, testkit.Bearer(root)).Want(t, 200)
		if r.Body["deactivatedAt"] == nil {
			t.Fatalf("%s", r.Raw)
		}
		a.do("POST", "/api/v1/admin/users/"+janeID+"/reactivate", nil, testkit.Bearer(root)).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401)
		s = a.login("jane@example.com", pw).Want(t, 200)
		a.do("DELETE", "/api/v1/admin/users/"+janeID+"/sessions", nil, testkit.Bearer(root)).Want(t, 204)
		a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 401, "token_revoked")
	})

	t.Run("every admin action is in the user's history with the acting admin", func(t *testing.T) {
		r := a.do("GET", "/api/v1/admin/users/"+janeID+"/events", nil, testkit.Bearer(root)).Want(t, 200)
		acted := map[string]bool{}
		for _, e := range r.Body["events"].([]any) {
			ev := e.(map[string]any)
			if ev["actorId"] == rootID {
				acted[ev["type"].(string)] = true
			}
		}
		for _, typ := range []string{"role_changed", "deactivated", "reactivated", "session_revoked"} {
			if !acted[typ] {
				t.Fatalf("no %s event by the admin: %s", typ, r.Raw)
			}
		}
		mine := a.do("GET", "/api/v1/users/me/events", nil, testkit.Bearer(a.login("jane@example.com", pw).Want(t, 200).Str("accessToken"))).Want(t, 200)
		if strings.Contains(mine.Raw, "actorId") {
			t.Fatal("the owner's own history shows the admin's id")
		}
	})

	t.Run("no self-lockout and never without an active admin", func(t *testing.T) {
		a.do("PATCH", "/api/v1/admin/users/"+rootID, map[string]any{"role": "customer"}, testkit.Bearer(root)).Want(t, 409, "conflict")
		a.do("POST", "/api/v1/admin/users/"+rootID+"/deactivate", nil, testkit.Bearer(root)).Want(t, 409, "conflict")
		code, _, errOut := a.command("", "users", "set-role", "--email", "root@example.com", "--role", "customer")
		if code != 1 || !strings.Contains(errOut, "admin") {
			t.Fatalf("demoting the last admin from the command line: %d %s", code, errOut)
		}
		a.do("GET", "/api/v1/admin/users", nil, testkit.Bearer(root)).Want(t, 200)
	})

	t.Run("a demoted admin is refused at once", func(t *testing.T) {
		second := a.makeAdmin("jane@example.com")
		a.do("GET", "/api/v1/admin/users", nil, testkit.Bearer(second)).Want(t, 200)
		a.do("PATCH", "/api/v1/admin/users/"+janeID, map[string]any{"role": "customer"}, testkit.Bearer(root)).Want(t, 200)
		r := a.do("GET", "/api/v1/admin/users", nil, testkit.Bearer(second))
		if r.Status != 401 && r.Status != 403 {
			t.Fatalf("the demoted admin got %d %s", r.Status, r.Raw)
		}
		fresh := a.login("jane@example.com", pw).Want(t, 200).Str("accessToken")
		a.do("GET", "/api/v1/admin/users", nil, testkit.Bearer(fresh)).Want(t, 403, "forbidden")
	})
}

func TestUsersCommand(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)

	t.Run("create reads the password from standard input and never prints it", func(t *testing.T) {
		code, out, errOut := a.command("a quiet long password\n", "users", "create", "--email", "Boss@Example.com", "--role", "admin")
		if code != 0 || strings.Contains(out+errOut, "a quiet long password") || !strings.Contains(out, "boss@example.com") {
			t.Fatalf("create: %d %q %q", code, out, errOut)
		}
		s := a.login("boss@example.com", "a quiet long password").Want(t, 200)
		if u := s.Body["user"].(map[string]any); u["role"] != "admin" || u["emailVerified"] != true {
			t.Fatalf("user %v", u)
		}
		a.do("GET", "/api/v1/admin/users", nil, testkit.Bearer(s.Str("accessToken"))).Want(t, 200)
	})

	t.Run("create --send-reset prints a working reset link", func(t *testing.T) {
		code, out, errOut := a.command("", "users", "create", "--email", "ops@example.com", "--role", "customer", "--send-reset")
		m := resetLinkRe.FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("create: %d %q %q", code, out, errOut)
		}
		a.do("POST", "/api/v1/auth/password/reset", map[string]any{"token": m[1], "newPassword": "chosen by the owner"}).Want(t, 200)
		a.login("ops@example.com", "chosen by the owner").Want(t, 200)
	})

	t.Run("bad usage and bad input", func(t *testing.T) {
		for _, tc := range []struct {
			stdin string
			args  []string
			code  int
		}{
			{"", []string{"users"}, 2},
			{"", []string{"users", "create", "--email", "x@example.com"}, 2},
			{"", []string{"users", "frobnicate"}, 2},
			{"", []string{"nonsense"}, 2},
			{"pw that is long\n", []string{"users", "create", "--email", "x@example.com", "--role", "wizard"}, 1},
			{"short\n", []string{"users", "create", "--email", "y@example.com", "--role", "customer"}, 1},
			{"", []string{"users", "create", "--email", "z@example.com", "--role", "customer"}, 1},
			{"", []string{"users", "set-role", "--email", "nobody@example.com", "--role", "admin"}, 1},
			{"a quiet long password\n", []string{"users", "create", "--email", "boss@example.com", "--role", "admin"}, 1},
		} {
			if code, out, errOut := a.command(tc.stdin, tc.args...); code != tc.code {
				t.Errorf("%v: exit %d (%q %q), want %d", tc.args, code, out, errOut, tc.code)
			}
		}
		if code, out, _ := a.command("", "--help"); code != 0 || !strings.Contains(out, "users create") {
			t.Fatalf("help: %d %s", code, out)
		}
	})
}
