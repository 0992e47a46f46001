package test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// spaPage is a front end of another origin: it logs in, reads /users/me,
// refreshes, reads /users/me again and logs out against authd at base with
// fetch(..., {credentials: 'include'}), and reports each status (and whether
// the login JSON held tokens) as one line.
const spaPage = `<!DOCTYPE html><html><body><script>
async function flow(base) {
  const call = (method, path, body) => fetch(base + path, {method, credentials: 'include',
    headers: body === undefined ? {} : {'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  const out = [];
  let r = await call('POST', '/api/v1/auth/login', {email: 'spa@example.com', password: 'correct horse battery'});
  const j = await r.json();
  out.push('login=' + r.status + (('accessToken' in j) ? ' tokens-in-body' : ' no-tokens-in-body'));
  r = await call('GET', '/api/v1/users/me'); out.push('me=' + r.status + ' ' + ((await r.json()).email || ''));
  r = await call('POST', '/api/v1/auth/refresh', {}); out.push('refresh=' + r.status);
  r = await call('GET', '/api/v1/users/me'); out.push('me=' + r.status);
  r = await call('POST', '/api/v1/auth/logout', {}); out.push('logout=' + r.status);
  r = await call('GET', '/api/v1/users/me'); out.push('me=' + r.status);
  return out.join(', ');
}
</script></body></html>`

// TestCookieModesInABrowser runs the SPA flow in headless Chromium from a page
// on another origin: with AUTH_COOKIE_SAMESITE=lax from another port of the
// same host (same site) and AUTH_TOKEN_DELIVERY=cookie; with none from
// another site (the page on 127.0.0.1 calls authd as localhost) with Secure
// cookies.
//
// No TLS is needed: Chromium treats loopback hosts as potentially
// trustworthy and stores the Secure cookies authd sets over plain HTTP (tried
// here: same-site SameSite=None Secure cookies work without a certificate),
// so SameSite=None behaves as it would behind an HTTPS proxy, and the test
// keeps no certificate or proxy of its own. What a cross-site front end
// does need is third-party cookies, which this Chromium blocks by default:
// newBrowser allows them in the profile, as a user's browser must.
func TestCookieModesInABrowser(t *testing.T) {
	requireBrowser(t)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, spaPage)
	}))
	defer front.Close()
	_, frontPort, _ := net.SplitHostPort(front.Listener.Addr().String())

	cases := []struct {
		name, frontOrigin string
		authdHost         string // the name the page calls authd by
		env               map[string]string
		want              string
	}{
		{"lax, cookie delivery, another origin of the same site", "http://127.0.0.1:" + frontPort, "127.0.0.1",
			map[string]string{"AUTH_COOKIE_SAMESITE": "lax", "AUTH_TOKEN_DELIVERY": "cookie"},
			"login=200 no-tokens-in-body, me=200 spa@example.com, refresh=200, me=200, logout=204, me=401"},
		{"none, another site, Secure cookies", "http://127.0.0.1:" + frontPort, "localhost",
			map[string]string{"AUTH_COOKIE_SAMESITE": "none", "AUTH_COOKIE_SECURE": "true"},
			"login=200 tokens-in-body, me=200 spa@example.com, refresh=200, me=200, logout=204, me=401"},
	}
	ctx := newBrowser(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"AUTH_CORS_ORIGINS": tc.frontOrigin, "AUTH_REQUIRE_EMAIL_VERIFICATION": "false"}
			for k, v := range tc.env {
				env[k] = v
			}
			in := startInstance(t, env)
			in.call("POST", "/api/v1/auth/register", map[string]any{"email": "spa@example.com", "password": "correct horse battery"}, "").Want(t, 201)

			tab, cancel := chromedp.NewContext(ctx) // a tab of its own: no cookies of the other case
			defer cancel()
			tctx, cancel := context.WithTimeout(tab, 60*time.Second)
			defer cancel()
			if err := chromedp.Do(tctx, chromedp.Navigate(tc.frontOrigin+"/")); err != nil {
				t.Fatalf("open the front end: %v", err)
			}
			got, err := chromedp.Run(tctx, chromedp.Evaluate[string](fmt.Sprintf("flow(%q)", strings.Replace(in.base, "127.0.0.1", tc.authdHost, 1)), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("flow: %v", err)
			}
			if strings.TrimSpace(got) != tc.want {
				t.Fatalf("from %s against %s:\n got %s\nwant %s", tc.frontOrigin, in.base, got, tc.want)
			}
		})
	}
}

// newBrowser starts headless Chromium for the test and returns its context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	profile := t.TempDir()
	// A cross-site front end needs third-party cookies, which this Chromium
	// blocks by default (the user's "Allow third-party cookies" setting, mode 0).
	if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	prefs := `{"profile":{"cookie_controls_mode":0,"block_third_party_cookies":false}}`
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(profile),
	)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
