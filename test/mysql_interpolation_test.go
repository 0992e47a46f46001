package test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"authd/adapters/mysql"
	"authd/domain"
)

// Values reach the server two ways: as the parameters of a statement the
// connection prepared once (the adapter's statement cache), and, for a query
// run outside the cache, written into the SQL text by the driver
// (interpolateParams, the adapter's default). Whatever a value holds (quotes,
// backslashes, question marks, comment markers, NUL, every byte value in a
// hash) it must arrive exactly as sent both ways, with and without
// NO_BACKSLASH_ESCAPES, and nothing in it may be read as SQL.
func TestMySQLInterpolation(t *testing.T) {
	tricky := []string{
		`O'Brien`, `\'; DROP TABLE users; -- `, `back\slash`, `"double" 'single' ` + "`tick`",
		`what? ? ?? ?`, `/* not a comment */ # nor this -- nor this`, "nul\x00byte", "émoji 🎉 ünïcode", `\\\\`, `\`,
	}
	allBytes := make([]byte, 31)
	for i := range allBytes {
		allBytes[i] = byte(i*8 + 3) // low, printable and high bytes
	}
	allBytes[0], allBytes[1], allBytes[2] = 0, '\'', '\\'

	for _, prepared := range []int{0, -1} {
		for _, mode := range []string{"", "sql_mode=" + url.QueryEscape(`'TRADITIONAL,NO_BACKSLASH_ESCAPES'`)} {
			name := "with the default SQL mode"
			if mode != "" {
				name = "with NO_BACKSLASH_ESCAPES"
			}
			name = map[int]string{0: "prepared statements ", -1: "interpolated text "}[prepared] + name
			t.Run(name, func(t *testing.T) {
				dsn := freshMySQLDSN(t)
				if mode != "" {
					sep := "?"
					if strings.Contains(dsn, "?") {
						sep = "&"
					}
					dsn += sep + mode
				}
				st := mysqlStore(openMySQLWith(t, mysql.Config{DSN: dsn, PreparedStatements: prepared}))
				for i, s := range tricky {
					now := time.Now()
					u := &domain.User{ID: domain.UserID(newTestID()), Email: domain.MustEmail("u" + string(rune('a'+i)) + "@example.com"),
						PasswordHash: s, Role: "customer", Profile: domain.Profile{FirstName: strings.ReplaceAll(s, "\x00", ""), LastName: s},
						CreatedAt: now, UpdatedAt: now}
					if err := st.Users.Create(t.Context(), u); err != nil {
						t.Fatalf("create with %q: %v", s, err)
					}
					got, err := st.Users.ByEmail(t.Context(), u.Email)
					if err != nil {
						t.Fatalf("read back %q: %v", s, err)
					}
					if got.PasswordHash != s || got.Profile.LastName != s {
						t.Errorf("stored %q, read back %q / %q", s, got.PasswordHash, got.Profile.LastName)
					}
					tok := &domain.OneTimeToken{ID: newTestID(), Hash: append(bytes.Clone(allBytes), byte(i)), Purpose: domain.PurposeResetLink,
						UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
					if err := st.Tokens.Create(t.Context(), tok); err != nil {
						t.Fatal(err)
					}
					spent, err := st.Tokens.Consume(t.Context(), domain.PurposeResetLink, tok.Hash, now)
					if err != nil {
						t.Fatalf("a hash with every kind of byte does not find its token: %v", err)
					}
					if !bytes.Equal(spent.Hash, tok.Hash) {
						t.Errorf("hash stored %x, read back %x", tok.Hash, spent.Hash)
					}
				}
				var n int
				if err := rawMySQL(t, dsn).QueryRowContext(t.Context(), `SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != len(tricky) {
					t.Fatalf("%d users (%v), want %d: a value was read as SQL", n, err, len(tricky))
				}
			})
		}
	}
}
