package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"authd/domain"
	"authd/ports"
)

// usersCommand runs `authd users create|set-role`: the operator's way to make
// the first admin, with the same configuration (and store) as serve.
func usersCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return badUsage(stderr, "users needs a subcommand: create or set-role")
	}
	fs := flag.NewFlagSet("authd users "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the account's email address")
	role := fs.String("role", "", "the role to give it")
	var sendReset *bool
	switch args[0] {
	case "create":
		sendReset = fs.Bool("send-reset", false, "print a password reset link instead of reading a password")
	case "set-role":
	case "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		return badUsage(stderr, "unknown users subcommand "+args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		return badUsage(stderr, err.Error())
	}
	if fs.NArg() > 0 || *email == "" || *role == "" {
		return badUsage(stderr, "users "+args[0]+" needs --email and --role")
	}

	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "authd: "+err.Error())
		return 2
	}
	var password domain.Secret
	if args[0] == "create" && !*sendReset {
		if password, err = readPassword(stdin, stderr); err != nil {
			fmt.Fprintln(stderr, "authd: "+err.Error())
			return 1
		}
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	app, cleanup, err := buildApp(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "authd: start: "+err.Error())
		return 1
	}
	defer cleanup()

	if args[0] == "set-role" {
		u, err := app.Operators.SetRole(ctx, *email, *role)
		if err != nil {
			return commandFailed(stderr, err)
		}
		fmt.Fprintf(stdout, "%s now has the role %s (id %s); its sessions were ended\n", u.Email, u.Role, u.ID)
		return 0
	}
	u, link, err := app.Operators.CreateUser(ctx, ports.NewAccount{Email: *email, Role: *role, Password: password, SendReset: *sendReset})
	if err != nil {
		return commandFailed(stderr, err)
	}
	fmt.Fprintf(stdout, "created %s with the role %s (id %s)\n", u.Email, u.Role, u.ID)
	if link != "" {
		fmt.Fprintf(stdout, "give the owner this link to choose a password (valid %s, once):\n%s\n", cfg.ResetTokenTTL, link)
	}
	return 0
}

// commandFailed prints a command's error the way the API would word it.
func commandFailed(stderr io.Writer, err error) int {
	de := domain.AsError(err)
	msg := de.Message
	for _, f := range de.Fields {
		msg += "; " + f.Field + " " + f.Message
	}
	if de.Code == domain.ErrInternal.Code {
		msg = err.Error()
	}
	fmt.Fprintln(stderr, "authd: "+msg)
	return 1
}

// readPassword reads the password from standard input: from a terminal without
// echo (asking on stderr), else the first line. It is never printed or logged.
func readPassword(stdin io.Reader, stderr io.Writer) (domain.Secret, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return domain.Secret(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (pipe one in, or use --send-reset)")
	}
	return domain.Secret(line), nil
}
