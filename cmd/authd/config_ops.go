package main

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// loadOpsConfig reads the operational variables: cookie and token delivery
// modes, migrations at start and mail template overrides.
func loadOpsConfig(r *envReader, c *Config) {
	c.CookieSameSite = r.oneOf("AUTH_COOKIE_SAMESITE", "lax", "lax", "strict", "none")
	if c.CookieSameSite == "none" && !c.CookieSecure {
		r.fail("AUTH_COOKIE_SAMESITE", "none needs Secure cookies, which AUTH_COOKIE_SECURE=false switches off (browsers drop SameSite=None cookies that are not Secure)")
	}
	c.TokenDelivery = r.oneOf("AUTH_TOKEN_DELIVERY", "both", "both", "cookie", "body")
	c.Migrate = r.bool("AUTH_MIGRATE", true)
	c.MailTemplatesDir = r.str("AUTH_MAIL_TEMPLATES_DIR", "")
}

// knownVariables are the names LoadConfig reads: every variable it asks
// getenv for, unset or not, so a new variable can never be left out.
func knownVariables() []string {
	var names []string
	cfg, _ := LoadConfig(func(name string) string {
		names = append(names, name)
		return ""
	})
	for _, v := range cfg.vars {
		names = append(names, v.name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// unknownVariables returns one warning per AUTH_* variable in environ (KEY=VALUE
// pairs) that authd does not read, naming the closest known variable.
func unknownVariables(environ []string) []string {
	known := knownVariables()
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "AUTH_") {
			continue
		}
		if _, found := slices.BinarySearch(known, name); found {
			continue
		}
		out = append(out, fmt.Sprintf("unknown variable %s is ignored (did you mean %s?)", name, closest(name, known)))
	}
	sort.Strings(out)
	return out
}

// closest returns the name in names with the smallest edit distance to s.
func closest(s string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		if d := editDistance(s, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// redactedValue is how config check shows a secret.
const redactedValue = "[redacted]"

// secretName matches the variables whose whole value is a secret.
var secretName = regexp.MustCompile(`(SECRET|PASSWORD|_KEY)$`)

// dsnPassword matches a key=value password in a DSN (PostgreSQL keyword form).
var dsnPassword = regexp.MustCompile(`(?i)(password=)('[^']*'|\S+)`)

// displayValue is the value config check prints for a variable: secrets
// [redacted], a DSN without its password.
func displayValue(name, value string) string {
	switch {
	case value == "":
		return ""
	case secretName.MatchString(name):
		return redactedValue
	case strings.HasSuffix(name, "_DSN"):
		return redactDSN(value)
	}
	return value
}

// redactDSN hides the password of a URL DSN (postgres://u:p@h/db), a
// go-sql-driver DSN (u:p@tcp(h)/db) or a keyword DSN (password=p).
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Scheme != "file" && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
			dsn = strings.Replace(u.String(), "REDACTED", redactedValue, 1)
		}
	} else if at := strings.LastIndex(dsn, "@"); at > 0 && !strings.HasPrefix(dsn, "file:") {
		if user, _, ok := strings.Cut(dsn[:at], ":"); ok {
			dsn = user + ":" + redactedValue + dsn[at:]
		}
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}"+redactedValue)
}
