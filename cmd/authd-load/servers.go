package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/valyala/fasthttp"
)

// server is one process under test.
type server struct {
	name   string
	addr   string // host:port on loopback
	cmd    *exec.Cmd
	exited chan struct{}
	client *fasthttp.HostClient
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServer runs bin with args and env (added to this process's
// environment), its output appended to logPath, and waits until health
// answers 200.
func startServer(ctx context.Context, name, addr, bin string, args, env []string, logPath, health string) (*server, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &server{name: name, addr: addr, cmd: cmd, exited: make(chan struct{}),
		client: &fasthttp.HostClient{Addr: addr, MaxConns: 512, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _, err := s.client.Get(nil, "http://"+addr+health)
		if err == nil && status == 200 {
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%s exited at start; its output is in %s", name, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not answer %s within a minute; its output is in %s", name, health, logPath)
		}
	}
}

// stop asks the process to finish (SIGINT, as Ctrl-C would) and kills it if
// it has not within ten seconds.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes, and the
// sum of its children's (authd's password worker); 0 when /proc cannot tell.
func (s *server) peakRSS() (self, children int64) {
	self = vmHWM(s.cmd.Process.Pid)
	for _, kid := range childPids(s.cmd.Process.Pid) {
		children += vmHWM(kid)
	}
	return self, children
}

func vmHWM(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// containers runs the MySQL-compatible and memcached servers, each published
// on a loopback port only, labelled with this process's id.
type containers struct {
	ids          []string
	mysqlAddr    string
	memcached    string
	rootPassword string
}

const (
	containerLabel = "authd-load.pid"
	mysqlPassword  = "authd-load"
)

// dockerAvailable reports whether a Docker engine answers.
func dockerAvailable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "info").Run() == nil
}

// pickImage returns the first of the candidates present locally, else the last.
func pickImage(ctx context.Context, candidates ...string) string {
	for _, c := range candidates {
		if c != "" && exec.CommandContext(ctx, "docker", "image", "inspect", c).Run() == nil {
			return c
		}
	}
	return candidates[len(candidates)-1]
}

func docker(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker %s: %v: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// removeLeftovers removes containers of earlier runs whose process is gone
// (killed before it could clean up).
func removeLeftovers(ctx context.Context) {
	out, err := docker(ctx, "ps", "-a", "--filter", "label="+containerLabel, "--format", `{{.ID}} {{.Label "`+containerLabel+`"}}`)
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		id, pid, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(pid); err == nil && n != os.Getpid() && syscall.Kill(n, 0) != nil {
			_, _ = docker(ctx, "rm", "-f", id)
		}
	}
}

// startContainers starts MySQL-compatible and memcached containers and waits
// until MySQL answers SQL.
func startContainers(ctx context.Context, mysqlImage, memcachedImage string) (*containers, error) {
	removeLeftovers(ctx)
	c := &containers{}
	label := fmt.Sprintf("%s=%d", containerLabel, os.Getpid())
	// On the host's network, bound to loopback: a published port would put
	// docker's userland proxy, a copying process, in the path of every query.
	mysqlAddr, err := freeAddr()
	if err != nil {
		return c, err
	}
	memcachedAddr, err := freeAddr()
	if err != nil {
		return c, err
	}
	_, mysqlPort, _ := net.SplitHostPort(mysqlAddr)
	_, memcachedPort, _ := net.SplitHostPort(memcachedAddr)
	id, err := docker(ctx, "run", "-d", "--rm", "--label", label, "--network", "host",
		"-e", "MYSQL_ROOT_PASSWORD="+mysqlPassword, "-e", "MYSQL_DATABASE=authd", mysqlImage,
		"--bind-address=127.0.0.1", "--port="+mysqlPort)
	if err != nil {
		return c, err
	}
	c.ids = append(c.ids, id)
	if id, err = docker(ctx, "run", "-d", "--rm", "--label", label, "--network", "host", memcachedImage,
		"-l", "127.0.0.1", "-p", memcachedPort, "-U", "0", "-M"); err != nil {
		return c, err
	}
	c.ids = append(c.ids, id)
	c.mysqlAddr, c.memcached = mysqlAddr, memcachedAddr
	// The driver logs every refused connection while the server starts.
	_ = gomysql.SetLogger(log.New(io.Discard, "", 0))
	// Over TCP from 127.0.0.1, MariaDB's installer leaves root@127.0.0.1
	// without a password, which the image's root@'%' does not override; the
	// official images have no such account. Whichever the server accepts.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var err error
		for _, pw := range []string{mysqlPassword, ""} {
			c.rootPassword = pw
			if err = c.ping(ctx); err == nil {
				return c, nil
			}
			var me *gomysql.MySQLError
			if !errors.As(err, &me) || me.Number != 1045 {
				break
			}
		}
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("MySQL did not answer within two minutes: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// parties names the containers' process trees, in the order they started,
// for the CPU accounting.
func (c *containers) parties(ctx context.Context, names ...string) []party {
	var out []party
	for i, id := range c.ids {
		if i < len(names) {
			if pid := containerPid(ctx, id); pid > 0 {
				out = append(out, party{name: names[i], pid: pid})
			}
		}
	}
	return out
}

// dsn is root's DSN of database name.
func (c *containers) dsn(name string) string {
	return fmt.Sprintf("root:%s@tcp(%s)/%s", c.rootPassword, c.mysqlAddr, name)
}

// ping asks the server once.
func (c *containers) ping(ctx context.Context) error {
	db, err := sql.Open("mysql", c.dsn("authd"))
	if err != nil {
		return err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return db.PingContext(pctx)
}

// database creates a database on the MySQL server and returns its DSN.
func (c *containers) database(ctx context.Context, name string) (string, error) {
	db, err := sql.Open("mysql", c.dsn("authd"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		return "", err
	}
	return c.dsn(name), nil
}

// stop removes the containers, even when ctx has ended.
func (c *containers) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range c.ids {
		if _, err := docker(ctx, "rm", "-f", id); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			fmt.Fprintln(os.Stderr, "authd-load:", err)
		}
	}
}
