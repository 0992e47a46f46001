package test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"authd/internal/testkit"
)

// TestSoak is the mixed soak of the production setup: two authd processes on
// one MySQL-compatible server and one memcached, mail over SMTP to a server in
// the test, and 64 concurrent clients that register, verify, log in, refresh,
// read and update their profile, change and reset passwords, list and revoke
// sessions and log out, each request sent to either instance at random, for
// AUTH_SOAK_DURATION (60s by default). No request may fail because of another:
// no 5xx at all, and every answer is the one the contract gives a lone client.
// Afterwards the database must agree with what the clients saw: every
// refresh token rotated exactly once, no session both live and revoked (in the
// database and on both instances), every queued mail sent exactly once, and
// the counts of users, sessions, tokens and mail those of the successful
// requests.
func TestSoak(t *testing.T) {
	requireDocker(t)
	eachEngine(t, soak)
}

// soak is the soak on one server engine.
func soak(t *testing.T, e sqlEngine) {
	duration := 60 * time.Second
	if v := os.Getenv("AUTH_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("AUTH_SOAK_DURATION: %v", err)
		}
		duration = d
	}
	const clients = 64

	dsn := e.freshDSN(t)
	srv := testkit.StartSMTPServer(t, testkit.SMTPOptions{})
	port := strconv.Itoa(srv.Port())
	env := e.env(t, dsn, sharedMemcached(t), map[string]string{
		"AUTH_MAILER": "smtp", "AUTH_SMTP_HOST": "127.0.0.1", "AUTH_SMTP_PORT": port, "AUTH_SMTP_TLS": "none",
		"AUTH_SMTP_FROM": "authd <no-reply@example.com>", "AUTH_LOG_LEVEL": "warn",
		// The abuse limits (once they exist) would refuse a soak's worth of
		// requests from one address; 0 switches each off.
		"AUTH_IP_MAIL_RATE": "0", "AUTH_IP_MAX_FAILURES": "0", "AUTH_LOGIN_MAX_FAILURES": "0",
		// Under the race detector on a 2-core machine argon2id at the production
		// cost takes about ten times as long, and 64 clients without think time
		// queue behind it: a capacity question, which the load benchmark
		// answers. The soak asks whether requests fail each other, so it gives
		// each request more than the default 10s.
		"AUTH_REQUEST_TIMEOUT": "60s",
	})
	instances := []*instance{startInstance(t, env), startInstance(t, env)}

	ledger := newSoakLedger()
	transport := &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	httpc := &http.Client{Transport: transport, Timeout: 90 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	started := time.Now()
	stopAt := started.Add(duration)
	var wg sync.WaitGroup
	for i := range clients {
		c := &soakClient{id: i, rng: rand.New(rand.NewPCG(uint64(i), uint64(started.UnixNano()))), http: httpc,
			instances: instances, mail: srv, ledger: ledger}
		wg.Go(func() { c.run(stopAt) })
	}
	wg.Wait()
	elapsed := time.Since(started)
	t.Logf("soak: %d clients, two instances, %s: %s", clients, elapsed.Round(time.Second), ledger.summary(elapsed))
	if ledger.serverErrors > 0 || len(ledger.failures) > 0 {
		t.Errorf("%d answers with 5xx, %d unexpected answers; first ones:\n%s", ledger.serverErrors, ledger.unexpected,
			strings.Join(ledger.failures, "\n"))
	}
	if ledger.ok["refresh"] == 0 || ledger.ok["password change"] == 0 || ledger.ok["reset"] == 0 || ledger.ok["session revoke"] == 0 {
		t.Errorf("the soak did too little to mean anything: %v", ledger.ok)
	}

	db := e.raw(t, dsn)
	checkSoakMail(t, db, srv, ledger)
	checkSoakCounts(t, db, ledger)
	checkSoakSessions(t, db, instances, httpc, ledger)
}

// soakLedger is what the clients saw, for the checks afterwards.
type soakLedger struct {
	mu           sync.Mutex
	requests     map[string]int // by operation
	slowest      map[string]time.Duration
	ok           map[string]int // successes by operation
	serverErrors int
	unexpected   int
	failures     []string // the first few unexpected answers

	registered    int
	verified      int
	mails         int                     // mails the server must have queued
	sessions      map[string]*soakSession // every session id a client got
	refreshes     int
	rotatedTokens map[string]bool // refresh tokens spent by a successful refresh
}

func newSoakLedger() *soakLedger {
	return &soakLedger{requests: map[string]int{}, slowest: map[string]time.Duration{}, ok: map[string]int{}, sessions: map[string]*soakSession{}, rotatedTokens: map[string]bool{}}
}

func (l *soakLedger) summary(elapsed time.Duration) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0
	ops := make([]string, 0, len(l.requests))
	for op, n := range l.requests {
		total += n
		ops = append(ops, fmt.Sprintf("%s %d (slowest %s)", op, n, l.slowest[op].Round(time.Millisecond)))
	}
	sort.Strings(ops)
	return fmt.Sprintf("%d requests (%.0f/s), %d answered 5xx, %d unexpected; %s", total, float64(total)/elapsed.Seconds(),
		l.serverErrors, l.unexpected, strings.Join(ops, ", "))
}

// soakSession is one session as its client knows it.
type soakSession struct {
	id      string
	email   string
	access  string
	refresh string
	revoked bool
}

// soakAccount is the account a client currently works with.
type soakAccount struct {
	email    string
	password string
	sessions []*soakSession // live ones, the first is the one in use
	forgots  int
	// lastName is what the client last set (only it changes its account), so
	// GET /users/me on either instance must show it; unknown after a failed update.
	lastName        string
	lastNameUnknown bool
}

// soakClient is one closed-loop client: one request at a time, to either instance.
type soakClient struct {
	id        int
	rng       *rand.Rand
	http      *http.Client
	instances []*instance
	mail      *testkit.SMTPServer
	ledger    *soakLedger
	acct      *soakAccount
	accounts  int
	usedLinks map[string]bool
}

var soakResetLinkRe = regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]+)`)

func (c *soakClient) run(stopAt time.Time) {
	c.usedLinks = map[string]bool{}
	for time.Now().Before(stopAt) {
		if c.acct == nil {
			c.signUp()
			continue
		}
		if len(c.acct.sessions) == 0 {
			c.login()
			continue
		}
		// Mostly the cheap requests a real client makes most, with enough of
		// every write path that each runs concurrently with all the others.
		switch n := c.rng.IntN(100); {
		case n < 35:
			c.me()
		case n < 60:
			c.refresh()
		case n < 72:
			c.updateProfile()
		case n < 78:
			c.listSessions()
		case n < 82:
			if len(c.acct.sessions) < 3 {
				c.login()
			} else {
				c.revokeOther()
			}
		case n < 86:
			c.revokeOther()
		case n < 90:
			c.logout()
		case n < 94:
			c.changePassword()
		case n < 98:
			c.reset()
		default:
			c.acct = nil // a new account next
		}
	}
}

// me reads the profile on a random instance: it shows the client's last
// update, whichever instance took it (read-your-writes across instances).
func (c *soakClient) me() {
	r, ok := c.call("me", "GET", "/api/v1/users/me", nil, c.acct.sessions[0].access, 200)
	if ok && !c.acct.lastNameUnknown && r.Str("lastName") != c.acct.lastName {
		c.recordf("client %d: GET /users/me shows lastName %q after the client set %q", c.id, r.Str("lastName"), c.acct.lastName)
	}
}

func (c *soakClient) updateProfile() {
	name := fmt.Sprintf("Soak %d", c.rng.IntN(1000))
	r, ok := c.call("profile update", "PATCH", "/api/v1/users/me", map[string]any{"lastName": name}, c.acct.sessions[0].access, 200)
	switch {
	case ok && r.Str("lastName") == name:
		c.acct.lastName, c.acct.lastNameUnknown = name, false
	case ok:
		c.recordf("client %d: PATCH /users/me answered lastName %q, want %q", c.id, r.Str("lastName"), name)
		c.acct.lastNameUnknown = true
	default:
		c.acct.lastNameUnknown = true
	}
}

// call sends one request to a random instance and checks the status.
func (c *soakClient) call(op, method, path string, body any, token string, want int) (*testkit.Reply, bool) {
	return c.callOn(c.instances[c.rng.IntN(len(c.instances))], op, method, path, body, token, want)
}

func (c *soakClient) callOn(in *instance, op, method, path string, body any, token string, want int) (*testkit.Reply, bool) {
	client := testkit.Client{Base: in.base, HTTP: c.http}
	sent := time.Now()
	r, err := client.Try(client.Request(method, path, body, testkit.BearerIf(token)))
	if err != nil {
		r = &testkit.Reply{Raw: err.Error()} // no answer: status 0
	}
	l := c.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests[op]++
	l.slowest[op] = max(l.slowest[op], time.Since(sent))
	if r.Status == want {
		l.ok[op]++
		return r, true
	}
	if r.Status >= 500 {
		l.serverErrors++
	}
	l.unexpected++
	if len(l.failures) < 20 {
		l.failures = append(l.failures, fmt.Sprintf("client %d %s %s %s on %s: got %d %s, want %d", c.id, op, method, path, in.base, r.Status, r.Raw, want))
	}
	return r, false
}

// fail drops the client's account after an unexpected answer (already
// recorded), so the client goes on with a fresh one.
func (c *soakClient) fail() { c.acct = nil }

func (c *soakClient) signUp() {
	c.accounts++
	a := &soakAccount{email: fmt.Sprintf("soak-%02d-%03d@example.com", c.id, c.accounts), password: fmt.Sprintf("soak password %d", c.rng.Uint32())}
	if _, ok := c.call("register", "POST", "/api/v1/auth/register", map[string]any{"email": a.email, "password": a.password, "firstName": "Soak"}, "", 201); !ok {
		return
	}
	c.ledger.mu.Lock()
	c.ledger.registered++
	c.ledger.mails++
	c.ledger.mu.Unlock()
	token, ok := c.waitForMail(a.email, verifyLinkRe)
	if !ok {
		return
	}
	if _, ok := c.call("verify", "GET", "/api/v1/auth/email/verify/"+token, nil, "", 200); !ok {
		return
	}
	c.ledger.mu.Lock()
	c.ledger.verified++
	c.ledger.mu.Unlock()
	c.acct = a
	c.login()
}

// newSession records a session answer (login, password change).
func (c *soakClient) newSession(r *testkit.Reply) {
	s := &soakSession{id: sessionID(r.Str("accessToken")), email: c.acct.email, access: r.Str("accessToken"), refresh: r.Str("refreshToken")}
	c.ledger.mu.Lock()
	c.ledger.sessions[s.id] = s
	c.ledger.mu.Unlock()
	c.acct.sessions = append([]*soakSession{s}, c.acct.sessions...)
}

func (c *soakClient) login() {
	r, ok := c.call("login", "POST", "/api/v1/auth/login", map[string]any{"email": c.acct.email, "password": c.acct.password}, "", 200)
	if !ok {
		c.fail()
		return
	}
	c.newSession(r)
}

func (c *soakClient) refresh() {
	s := c.acct.sessions[0]
	r, ok := c.call("refresh", "POST", "/api/v1/auth/refresh", map[string]any{"refreshToken": s.refresh}, "", 200)
	if !ok {
		c.fail()
		return
	}
	c.ledger.mu.Lock()
	if c.ledger.rotatedTokens[s.refresh] {
		c.ledger.failures = append(c.ledger.failures, "a refresh token was rotated twice")
	}
	c.ledger.rotatedTokens[s.refresh] = true
	c.ledger.refreshes++
	s.access, s.refresh = r.Str("accessToken"), r.Str("refreshToken")
	c.ledger.mu.Unlock()
	if sid := sessionID(s.access); sid != s.id {
		c.recordf("refresh changed the session from %s to %s", s.id, sid)
	}
}

func (c *soakClient) listSessions() {
	r, ok := c.call("session list", "GET", "/api/v1/users/me/sessions", nil, c.acct.sessions[0].access, 200)
	if !ok {
		c.fail()
		return
	}
	var got []string
	list, _ := r.Body["sessions"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			id, _ := m["id"].(string)
			got = append(got, id)
		}
	}
	var want []string
	for _, s := range c.acct.sessions {
		want = append(want, s.id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		c.recordf("client %d: sessions listed %v, live %v", c.id, got, want)
	}
}

// revoked marks sessions revoked and checks that their access tokens are
// refused at once, on the other instance too.
func (c *soakClient) revoked(ss ...*soakSession) {
	c.ledger.mu.Lock()
	for _, s := range ss {
		s.revoked = true
	}
	c.ledger.mu.Unlock()
	for _, s := range ss {
		r, _ := c.call("me with a revoked token", "GET", "/api/v1/users/me", nil, s.access, 401)
		if r.Status == 401 && r.Str("code") != "token_revoked" {
			c.recordf("a revoked token was refused with %s", r.Raw)
		}
	}
}

func (c *soakClient) revokeOther() {
	if len(c.acct.sessions) < 2 {
		c.login()
		return
	}
	victim := c.acct.sessions[len(c.acct.sessions)-1]
	if _, ok := c.call("session revoke", "DELETE", "/api/v1/users/me/sessions/"+victim.id, nil, c.acct.sessions[0].access, 204); !ok {
		c.fail()
		return
	}
	c.acct.sessions = c.acct.sessions[:len(c.acct.sessions)-1]
	c.revoked(victim)
}

func (c *soakClient) logout() {
	s := c.acct.sessions[0]
	if _, ok := c.call("logout", "POST", "/api/v1/auth/logout", nil, s.access, 204); !ok {
		c.fail()
		return
	}
	c.acct.sessions = c.acct.sessions[1:]
	c.revoked(s)
}

func (c *soakClient) changePassword() {
	next := fmt.Sprintf("soak password %d", c.rng.Uint32())
	r, ok := c.call("password change", "POST", "/api/v1/auth/password/change",
		map[string]any{"currentPassword": c.acct.password, "newPassword": next}, c.acct.sessions[0].access, 200)
	if !ok {
		c.fail()
		return
	}
	c.ledger.mu.Lock()
	c.ledger.mails++ // the notice
	c.ledger.mu.Unlock()
	c.acct.password = next
	old := c.acct.sessions
	c.acct.sessions = nil
	c.newSession(r)
	c.revoked(old...)
}

func (c *soakClient) reset() {
	if c.acct.forgots >= 3 { // at most 5 reset mails per account per hour are sent
		c.acct = nil
		return
	}
	c.acct.forgots++
	if _, ok := c.call("forgot", "POST", "/api/v1/auth/password/forgot", map[string]any{"email": c.acct.email}, "", 202); !ok {
		c.fail()
		return
	}
	c.ledger.mu.Lock()
	c.ledger.mails++
	c.ledger.mu.Unlock()
	token, ok := c.waitForMail(c.acct.email, soakResetLinkRe)
	if !ok {
		return
	}
	next := fmt.Sprintf("soak password %d", c.rng.Uint32())
	if _, ok := c.call("reset", "POST", "/api/v1/auth/password/reset", map[string]any{"token": token, "newPassword": next}, "", 200); !ok {
		c.fail()
		return
	}
	c.ledger.mu.Lock()
	c.ledger.mails++ // the notice
	c.ledger.mu.Unlock()
	c.acct.password = next
	old := c.acct.sessions
	c.acct.sessions = nil
	c.revoked(old...)
}

// waitForMail polls the SMTP server for a mail to `to` whose text holds a
// token (re's first group) this client has not used yet.
func (c *soakClient) waitForMail(to string, re *regexp.Regexp) (string, bool) {
	var token string
	failed := false
	found := testkit.Poll(60*time.Second, func() bool {
		for _, m := range c.mail.Messages() {
			if len(m.To) != 1 || m.To[0] != to {
				continue
			}
			text, err := mailText(m.Data)
			if err != nil {
				c.recordf("mail to %s: %v", to, err)
				failed = true
				return true
			}
			if sub := re.FindStringSubmatch(text); sub != nil && !c.usedLinks[sub[1]] {
				c.usedLinks[sub[1]] = true
				token = sub[1]
				return true
			}
		}
		return false
	})
	if !found {
		c.recordf("client %d: no mail to %s matching %s within a minute", c.id, to, re)
	}
	if !found || failed {
		c.fail()
		return "", false
	}
	return token, true
}

// recordf notes a broken expectation that is not an HTTP status.
func (c *soakClient) recordf(format string, args ...any) {
	c.ledger.mu.Lock()
	defer c.ledger.mu.Unlock()
	c.ledger.unexpected++
	if len(c.ledger.failures) < 20 {
		c.ledger.failures = append(c.ledger.failures, fmt.Sprintf(format, args...))
	}
}

// sessionID reads the sid claim of an access token (no verification: the
// server did that).
func sessionID(access string) string {
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		SID string `json:"sid"`
	}
	_ = json.Unmarshal(b, &c)
	return c.SID
}

// mailText returns the decoded text/plain part of a raw message.
func mailText(raw []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return "", err
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := r.NextRawPart()
		if err != nil {
			return "", fmt.Errorf("no text/plain part: %w", err)
		}
		if ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct != "text/plain" {
			continue
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(part)
		}
		b, err := io.ReadAll(body)
		return string(b), err
	}
}

// checkSoakMail waits until the outbox is drained and checks that every queued
// mail was delivered exactly once.
func checkSoakMail(t *testing.T, db *sql.DB, srv *testkit.SMTPServer, l *soakLedger) {
	t.Helper()
	testkit.EventuallyOK(t, 90*time.Second, func() string {
		var pending int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL`).Scan(&pending); err != nil {
			return err.Error()
		}
		if pending > 0 {
			return fmt.Sprintf("%d messages still queued", pending)
		}
		return ""
	})
	var queued, sent, dead int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(sent_at), COUNT(dead_at) FROM outbox`).Scan(&queued, &sent, &dead); err != nil {
		t.Fatal(err)
	}
	if queued != l.mails || sent != queued || dead != 0 {
		t.Errorf("outbox: %d queued, %d sent, %d dead; the clients caused %d mails", queued, sent, dead, l.mails)
	}
	msgs := srv.Messages()
	ids := map[string]int{}
	for _, m := range msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		ids[msg.Header.Get("Message-Id")]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	if len(msgs) != queued {
		t.Errorf("%d messages delivered, %d queued", len(msgs), queued)
	}
	t.Logf("mail: %d queued, %d delivered, %d distinct Message-IDs", queued, len(msgs), len(ids))
}

// checkSoakCounts compares the database with the successful requests.
func checkSoakCounts(t *testing.T, db *sql.DB, l *soakLedger) {
	t.Helper()
	revoked := 0
	for _, s := range l.sessions {
		if s.revoked {
			revoked++
		}
	}
	for _, c := range []struct {
		what  string
		query string
		want  int
	}{
		{"users", `SELECT COUNT(*) FROM users`, l.registered},
		{"verified users", `SELECT COUNT(*) FROM users WHERE email_verified`, l.verified},
		{"sessions", `SELECT COUNT(*) FROM sessions`, len(l.sessions)},
		{"revoked sessions", `SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL`, revoked},
		// A token is spent by its successor, which names it (replaces).
		{"rotated refresh tokens", `SELECT COUNT(*) FROM refresh_tokens t
			WHERE t.rotated_at IS NOT NULL OR EXISTS (SELECT 1 FROM refresh_tokens n WHERE n.replaces = t.hash)`, l.refreshes},
		{"successors", `SELECT COUNT(*) FROM refresh_tokens WHERE replaces IS NOT NULL`, l.refreshes},
		{"successors of another session's token", `SELECT COUNT(*) FROM refresh_tokens n
			JOIN refresh_tokens t ON t.hash = n.replaces WHERE t.session_id <> n.session_id`, 0},
		{"refresh tokens", `SELECT COUNT(*) FROM refresh_tokens`, len(l.sessions) + l.refreshes},
		{"sessions without exactly one unrotated refresh token", `SELECT COUNT(*) FROM sessions s WHERE
			(SELECT COUNT(*) FROM refresh_tokens t WHERE t.session_id = s.id AND t.rotated_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM refresh_tokens n WHERE n.replaces = t.hash)) <> 1`, 0},
	} {
		var got int
		if err := db.QueryRowContext(t.Context(), c.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if got != c.want {
			t.Errorf("%s: %d in the database, the clients saw %d", c.what, got, c.want)
		}
	}
	if len(l.rotatedTokens) != l.refreshes {
		t.Errorf("%d successful refreshes spent %d distinct tokens", l.refreshes, len(l.rotatedTokens))
	}
}

// checkSoakSessions checks every session the clients know against the
// database and against both instances: a revoked one is revoked in the
// database and refused everywhere, a live one is live and accepted
// everywhere.
func checkSoakSessions(t *testing.T, db *sql.DB, instances []*instance, httpc *http.Client, l *soakLedger) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT id, revoked_at IS NOT NULL FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[string]bool{}
	for rows.Next() {
		var id string
		var revoked bool
		if err := rows.Scan(&id, &revoked); err != nil {
			t.Fatal(err)
		}
		inDB[id] = revoked
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bad := 0
	for id, s := range l.sessions {
		revoked, ok := inDB[id]
		if !ok || revoked != s.revoked {
			bad++
			if bad <= 10 {
				t.Errorf("session %s: in the database %v (revoked %v), the client saw revoked %v", id, ok, revoked, s.revoked)
			}
			continue
		}
		for _, in := range instances {
			req, _ := http.NewRequestWithContext(ctx, "GET", in.base+"/api/v1/users/me", nil)
			req.Header.Set("Authorization", "Bearer "+s.access)
			res, err := httpc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			want := 200
			if s.revoked {
				want = 401
			}
			if res.StatusCode != want {
				bad++
				if bad <= 10 {
					t.Errorf("session %s (revoked %v) on %s: GET /users/me answered %d", id, s.revoked, in.base, res.StatusCode)
				}
			}
		}
	}
	t.Logf("sessions: %d known to the clients, %d in the database, each checked on both instances", len(l.sessions), len(inDB))
}
