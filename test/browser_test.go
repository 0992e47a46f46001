package test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// requireBrowser skips loudly without Chromium, or fails when AUTH_REQUIRE_BROWSER=1 (CI).
func requireBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	msg := "no Chromium at " + chromiumPath + ": the browser test cannot run (apt-get install chromium)"
	if os.Getenv("AUTH_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED LOUDLY: " + msg)
}

// TestResetPageInABrowser follows the emailed reset link in headless Chromium,
// fills in the built-in page and checks the new password works: the default
// reset link works without any front end.
func TestResetPageInABrowser(t *testing.T) {
	requireBrowser(t)
	in := startInstance(t, nil)
	in.call("POST", "/api/v1/auth/register", map[string]any{"email": "jane@example.com", "password": "correct horse battery"}, "").Want(t, 201)
	in.call("GET", "/api/v1/auth/email/verify/"+mailFor(t, "jane@example.com", verifyLinkRe, in), nil, "").Want(t, 200)
	in.call("POST", "/api/v1/auth/password/forgot", map[string]any{"email": "jane@example.com"}, "").Want(t, 202)
	token := mailFor(t, "jane@example.com", regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]+)`), in)

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
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser without a deadline
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		chromedp.Navigate(in.base+"/reset-password?token="+token),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), "brand new password"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "brand new password"),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#status.ok")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	if err != nil || !strings.Contains(status, "password was changed") {
		t.Fatalf("status %q, %v", status, err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string]("location.href"))
	if err != nil || strings.Contains(href, token) {
		t.Fatalf("the token stays in the address bar: %q, %v", href, err)
	}
	in.call("POST", "/api/v1/auth/login", map[string]any{"email": "jane@example.com", "password": "brand new password"}, "").Want(t, 200)

	// a second visit with the spent link shows the error, not a form that fails later
	err = chromedp.Do(ctx,
		chromedp.Navigate(in.base+"/reset-password?token="+token),
		chromedp.SendKeys(chromedp.CSS("#password"), "another password 2"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "another password 2"),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#status.error")),
	)
	if err != nil {
		t.Fatalf("browser, spent link: %v", err)
	}
}
