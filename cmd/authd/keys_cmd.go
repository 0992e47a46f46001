package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// keysCommand runs `authd keys list|rotate` on the key ring of the configured
// database, with the same configuration as serve.
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return badUsage(stderr, "keys needs a subcommand: list or rotate")
	}
	switch args[0] {
	case "list", "rotate":
	case "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		return badUsage(stderr, "unknown keys subcommand "+args[0])
	}
	if len(args) > 1 {
		if args[1] == "-h" || args[1] == "--help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		return badUsage(stderr, "keys "+args[0]+" takes no arguments")
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	app, cleanup, err := buildApp(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "authd: start: "+err.Error())
		return 1
	}
	defer cleanup()

	if args[0] == "rotate" {
		k, err := app.Keys.Rotate(ctx)
		if err != nil {
			return commandFailed(stderr, err)
		}
		fmt.Fprintf(stdout, "added key %s: published now, signing from %s (every instance follows within AUTH_JWKS_MAX_AGE=%s)\n",
			k.Kid, k.ActivatesAt.Format(time.RFC3339), cfg.JWKSMaxAge)
		return 0
	}
	keys, err := app.Keys.ListKeys(ctx)
	if err != nil {
		return commandFailed(stderr, err)
	}
	if len(keys) == 0 {
		fmt.Fprintln(stdout, "no keys in the key ring: the signing key is configured (AUTH_JWT_PRIVATE_KEY_FILE or HS256)")
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tSTATE\tCREATED\tSIGNS FROM\tSIGNS UNTIL\tRETIRES")
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Kid, k.State, date(&k.CreatedAt), date(&k.ActivatesAt), date(k.DeactivatesAt), date(k.RetiresAt))
	}
	_ = w.Flush()
	return 0
}

// date prints an optional time in RFC 3339, "-" when there is none.
func date(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
