package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
	"github.com/jmoiron/sqlx"
)

// tokenKid is the kid in an access token's header.
func tokenKid(t *testing.T, tok string) string {
	t.Helper()
	seg, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// jwksKids returns the kids a JWKS response publishes.
func jwksKids(t *testing.T, r *testkit.Reply) []string {
	t.Helper()
	var kids []string
	keys, _ := r.Body["keys"].([]any)
	for _, k := range keys {
		m := k.(map[string]any)
		if m["alg"] != "EdDSA" || m["use"] != "sig" || m["kty"] != "OKP" || m["crv"] != "Ed25519" {
			t.Fatalf("jwks key %v", m)
		}
		kids = append(kids, m["kid"].(string))
	}
	return kids
}

// eventually polls cond every 50ms until it holds, failing after 20s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, cond, "%s: not within 20s", what)
}

// openDB opens the instance's database directly, for tests that damage rows.
func openDB(t *testing.T, cfg Config) *sqlx.DB {
	t.Helper()
	driver := map[string]string{"sqlite": "sqlite", "mysql": "mysql", "postgres": "pgx"}[cfg.DBDriver]
	db, err := sqlx.Open(driver, cfg.DBDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestKeyRingHTTP(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", map[string]string{"AUTH_JWKS_MAX_AGE": "1s"})
	jane := a.registerVerified("jane@example.com")
	before := jane.Str("accessToken")
	a.registerVerified("root@example.com")
	// A second instance on the same database, started once a's mail is read
	// (its dispatcher would deliver to its own console).
	b := startWithConfig(t, a.cfg)
	b.getenv = a.getenv

	t.Run("the ring lives in the database, shared, with no key file in the data dir", func(t *testing.T) {
		for _, f := range []string{"jwt-ed25519.pem", "hmac.key"} {
			if _, err := os.Stat(filepath.Join(a.cfg.DataDir, f)); !os.IsNotExist(err) {
				t.Fatalf("%s written into the data dir (%v)", f, err)
			}
		}
		if a.app.Keys.HMACKey() == "" || a.app.Keys.HMACKey() != b.app.Keys.HMACKey() {
			t.Fatal("the instances do not share the HMAC key")
		}
		ka, _, _ := a.app.Keys.SigningKey()
		kb, _, _ := b.app.Keys.SigningKey()
		if ka != kb {
			t.Fatal("the instances do not share the signing key")
		}
	})

	t.Run("rotation is for admins only", func(t *testing.T) {
		a.do("POST", "/api/v1/admin/keys/rotate", nil).Want(t, 401, "unauthenticated")
		a.do("POST", "/api/v1/admin/keys/rotate", nil, testkit.Bearer(before)).Want(t, 403, "forbidden")
	})
	root := a.makeAdmin("root@example.com")

	t.Run("a rotated key is published at once, signs after the JWKS max age, and both keys verify on both instances", func(t *testing.T) {
		r := a.do("POST", "/api/v1/admin/keys/rotate", nil, testkit.Bearer(root)).Want(t, 202)
		kid := r.Str("kid")
		if r.Str("state") != "next" || kid == "" || kid == tokenKid(t, before) {
			t.Fatalf("rotate answered %s", r.Raw)
		}
		j := a.do("GET", "/.well-known/jwks.json", nil).Want(t, 200)
		if cc := j.Header.Get("Cache-Control"); cc != "public, max-age=1" {
			t.Fatalf("Cache-Control %q", cc)
		}
		if kids := jwksKids(t, j); len(kids) != 2 {
			t.Fatalf("jwks kids %v, want the old and the new key", kids)
		}
		eventually(t, "the other instance publishes the new key", func() bool {
			return strings.Contains(b.do("GET", "/.well-known/jwks.json", nil).Raw, kid)
		})
		var after string
		eventually(t, "the new key signs", func() bool {
			after = a.login("jane@example.com", pw).Want(t, 200).Str("accessToken")
			return tokenKid(t, after) == kid
		})
		for _, inst := range []*testApp{a, b} {
			inst.do("GET", "/api/v1/users/me", nil, testkit.Bearer(before)).Want(t, 200)
			inst.do("GET", "/api/v1/users/me", nil, testkit.Bearer(after)).Want(t, 200)
		}
		code, out, errOut := a.command("", "keys", "list")
		if code != 0 || !strings.Contains(out, kid+"  signing") || !strings.Contains(out, tokenKid(t, before)+"  retiring") {
			t.Fatalf("keys list: %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("keys rotate from the command line adds a next key", func(t *testing.T) {
		code, out, errOut := a.command("", "keys", "rotate")
		if code != 0 || !strings.Contains(out, "added key ") {
			t.Fatalf("keys rotate: %d %s %s", code, out, errOut)
		}
		code, out, _ = a.command("", "keys", "list")
		if code != 0 || !strings.Contains(out, "  next  ") {
			t.Fatalf("keys list after rotate: %s", out)
		}
		if code, _, _ := a.command("", "keys", "spin"); code != 2 {
			t.Fatalf("an unknown keys subcommand exits %d, want 2", code)
		}
	})
}

func TestKeyRingStartErrors(t *testing.T) {
	t.Parallel()
	kek := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{8}, 32))
	a := startApp(t, "", map[string]string{"AUTH_KEY_ENCRYPTION_KEY": kek})
	a.do("GET", "/healthz", nil).Want(t, 200) // serving, so stopping does not race the listener
	a.stop()
	start := func(override map[string]string) (int, string) {
		// keys list starts the app exactly as serve does, then ends.
		var stdout, stderr bytes.Buffer
		code := cli(context.Background(), []string{"keys", "list"}, func(k string) string {
			if v, ok := override[k]; ok {
				return v
			}
			return a.getenv(k)
		}, strings.NewReader(""), &stdout, &stderr)
		return code, stderr.String()
	}

	t.Run("a wrong AUTH_KEY_ENCRYPTION_KEY stops start-up with one line naming it", func(t *testing.T) {
		code, out := start(map[string]string{"AUTH_KEY_ENCRYPTION_KEY": other})
		if code == 0 || !strings.Contains(out, "AUTH_KEY_ENCRYPTION_KEY") || strings.Count(strings.TrimSpace(out), "\n") != 0 || strings.Contains(out, "panic") {
			t.Fatalf("exit %d, stderr %q", code, out)
		}
		code, out = start(map[string]string{"AUTH_KEY_ENCRYPTION_KEY": ""})
		if code == 0 || !strings.Contains(out, "AUTH_KEY_ENCRYPTION_KEY") {
			t.Fatalf("without the key: exit %d, stderr %q", code, out)
		}
	})

	t.Run("a corrupted ring row stops start-up with a clear line", func(t *testing.T) {
		db := openDB(t, a.cfg)
		short := `X'00'` // a public key of one byte
		if a.cfg.DBDriver == "postgres" {
			short = `'\x00'::bytea`
		}
		if _, err := db.Exec(`UPDATE signing_keys SET public_key = ` + short); err != nil {
			t.Fatal(err)
		}
		code, out := start(nil)
		if code == 0 || !strings.Contains(out, "key ring: signing key") || !strings.Contains(out, "corrupted") || strings.Contains(out, "panic") {
			t.Fatalf("exit %d, stderr %q", code, out)
		}
	})
}

func TestKeyFileImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// An earlier version's instance: its key files in the data dir.
	old := startApp(t, dir, map[string]string{"AUTH_JWT_PRIVATE_KEY_FILE": filepath.Join(dir, "jwt-ed25519.pem"),
		"AUTH_HMAC_SECRET": strings.Repeat("h", 40)})
	tok := old.registerVerified("jane@example.com").Str("accessToken")
	old.stop()
	if err := os.WriteFile(filepath.Join(dir, "hmac.key"), []byte(strings.Repeat("h", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, k := range []string{"AUTH_DB_DRIVER", "AUTH_DB_DSN", "AUTH_DENYLIST", "AUTH_MEMCACHED_SERVERS"} {
		if v := old.getenv(k); v != "" {
			env[k] = v
		}
	}
	cfg, err := LoadConfig(testEnv(dir, env))
	if err != nil {
		t.Fatal(err)
	}
	cfg.PasswordHash = old.cfg.PasswordHash
	a := startWithConfig(t, cfg)
	if a.cfg.JWTPrivateKeyFile != "" || a.cfg.HMACSecret != "" {
		t.Fatal("the new start still names key files")
	}
	if kid, _, _ := a.app.Keys.SigningKey(); kid != tokenKid(t, tok) {
		t.Fatal("the imported key has another kid")
	}
	if a.app.Keys.HMACKey().Reveal() != strings.Repeat("h", 40) {
		t.Fatal("the HMAC key file was not imported")
	}
	a.do("GET", "/api/v1/users/me", nil, testkit.Bearer(tok)).Want(t, 200)
}
