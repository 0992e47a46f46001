package totp

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"authd/domain"
)

// RFC 6238 appendix B, SHA-1: the ASCII secret "12345678901234567890" in base32.
const rfcSecret = domain.Secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")

func TestMatch(t *testing.T) {
	c := New()
	cases := []struct {
		name string
		at   int64
		code string
	}{
		{"RFC 6238 vector at 59 s", 59, "287082"},
		{"RFC 6238 vector at 1111111109 s", 1111111109, "081804"},
		{"RFC 6238 vector at 1234567890 s", 1234567890, "005924"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" matches its own step", func(t *testing.T) {
			step, ok := c.Match(rfcSecret, domain.Secret(tc.code), time.Unix(tc.at, 0))
			if !ok || step != tc.at/30 {
				t.Fatalf("Match = %d, %v; want %d, true", step, ok, tc.at/30)
			}
		})
	}

	now := time.Unix(1_800_000_015, 0)
	code := func(at time.Time) domain.Secret {
		s, err := totp.GenerateCode(rfcSecret.Reveal(), at)
		if err != nil {
			t.Fatal(err)
		}
		return domain.Secret(s)
	}
	cur := now.Unix() / 30
	t.Run("the previous and next steps match with their own step", func(t *testing.T) {
		for _, d := range []int64{-1, 0, 1} {
			step, ok := c.Match(rfcSecret, code(now.Add(time.Duration(d)*30*time.Second)), now)
			if !ok || step != cur+d {
				t.Fatalf("offset %d: Match = %d, %v", d, step, ok)
			}
		}
	})
	t.Run("two steps away does not match", func(t *testing.T) {
		for _, d := range []int64{-2, 2} {
			if _, ok := c.Match(rfcSecret, code(now.Add(time.Duration(d)*30*time.Second)), now); ok {
				t.Fatalf("offset %d matched", d)
			}
		}
	})
	t.Run("malformed codes and secrets never match", func(t *testing.T) {
		for _, bad := range []domain.Secret{"", "12345", "1234567", "abcdef"} {
			if _, ok := c.Match(rfcSecret, bad, now); ok {
				t.Fatalf("%q matched", bad.Reveal())
			}
		}
		if _, ok := c.Match("not base32!", code(now), now); ok {
			t.Fatal("a malformed secret matched")
		}
	})
}
