package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/argon2"

	"authd/adapters/password"
)

// benchPassword is the password of every account the benchmark creates.
const benchPassword = "load benchmark password"

// workers is the highest concurrency of any cell: every target gets this many
// accounts with a session each, so that no two workers share a session.
const workers = 64

// options are the command line.
type options struct {
	binaries       []binary
	cell           time.Duration
	warmup         time.Duration
	backends       []string
	mysqlImage     string
	memcachedImage string
}

// binary is one authd build under test.
type binary struct{ label, path string }

func main() {
	if len(os.Args) == 3 && os.Args[1] == "hello" {
		runHello(os.Args[2])
		return
	}
	var opt options
	var bins, backends string
	flag.StringVar(&bins, "authd", "bin/authd", "authd binaries to measure: path, or label=path,label=path to compare builds in one run")
	flag.DurationVar(&opt.cell, "d", 4*time.Second, "measured time of each cell")
	flag.DurationVar(&opt.warmup, "warmup", time.Second, "unmeasured warm-up before each cell")
	flag.StringVar(&backends, "backends", "embedded,mysql", "stores to measure: embedded, mysql, postgres (the last two with memcached in containers, skipped without Docker)")
	flag.StringVar(&opt.mysqlImage, "mysql-image", os.Getenv("AUTH_TEST_MYSQL_IMAGE"), "MySQL-compatible image (default: authd-test/mariadb:10.11 when built here, else mysql:8.4)")
	flag.StringVar(&opt.memcachedImage, "memcached-image", os.Getenv("AUTH_TEST_MEMCACHED_IMAGE"), "memcached image (default: authd-test/memcached:1.6 when built here, else memcached:1.6)")
	flag.Parse()
	for _, b := range strings.Split(bins, ",") {
		label, path, ok := strings.Cut(b, "=")
		if !ok {
			label, path = "", label
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			fatal(err)
		}
		opt.binaries = append(opt.binaries, binary{label: label, path: abs})
	}
	opt.backends = strings.Split(backends, ",")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opt); err != nil {
		stop()
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "authd-load:", err)
	os.Exit(1)
}

// row is one line of the table.
type row struct {
	target, request string
	c               int
	res             cell
	ceiling         float64 // hello rps at the same concurrency, just before the row's cells; 0 for hello itself
	hashes          bool    // each request costs one argon2id hash
	note            string
	cpu             string // CPU per request of each process
}

// report collects the results of a run.
type report struct {
	rows     []row
	rss      []string
	hashTime time.Duration
	capacity float64 // hashes per second the cores allow: the higher of the two below
	authd    float64 // hashes per second with authd's argon2id
	xcrypto  float64 // the same with golang.org/x/crypto/argon2
	notes    []string
}

func run(ctx context.Context, opt options) error {
	logDir, err := os.MkdirTemp("", "authd-load-")
	if err != nil {
		return err
	}
	rep := &report{}
	rep.measureHashing()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	hello, err := startServer(ctx, "hello", addr, self, []string{"hello", addr}, nil, filepath.Join(logDir, "hello.log"), "/")
	if err != nil {
		return err
	}
	defer hello.stop()
	ceiling := func(c int) cell {
		return closedLoop(ctx, c, opt.warmup, opt.cell, func(int) bool { return get(hello.client, hello.addr, "/", "") })
	}
	for _, c := range []int{8, 64} {
		rep.rows = append(rep.rows, row{target: "hello (Fiber)", request: "GET /", c: c, res: ceiling(c)})
	}

	for _, backend := range opt.backends {
		if ctx.Err() != nil {
			break
		}
		switch backend {
		case "embedded":
			err = measureBackend(ctx, opt, rep, ceiling, logDir, "embedded", nil, nil)
		case "mysql":
			if !dockerAvailable(ctx) {
				rep.notes = append(rep.notes, "MySQL + memcached: skipped, no Docker engine answers")
				continue
			}
			err = measureMySQL(ctx, opt, rep, ceiling, logDir)
		case "postgres":
			if !dockerAvailable(ctx) {
				rep.notes = append(rep.notes, "PostgreSQL + memcached: skipped, no Docker engine answers")
				continue
			}
			err = measurePostgres(ctx, opt, rep, ceiling, logDir)
		default:
			err = fmt.Errorf("unknown backend %q (want embedded, mysql or postgres)", backend)
		}
		if err != nil {
			return err
		}
	}
	helloRSS, _ := hello.peakRSS()
	rep.rss = append([]string{fmt.Sprintf("hello %s", mib(helloRSS))}, rep.rss...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The machine may have been busier at the start: the allowance is the
	// higher of two measurements.
	rep.measureHashing()
	rep.print(os.Stdout, opt)
	fmt.Printf("\nserver logs: %s\n", logDir)
	return nil
}

func measureMySQL(ctx context.Context, opt options, rep *report, ceiling ceilingFunc, logDir string) error {
	mysqlImage := pickImage(ctx, opt.mysqlImage, "authd-test/mariadb:10.11", "mysql:8.4")
	memcachedImage := pickImage(ctx, opt.memcachedImage, "authd-test/memcached:1.6", "memcached:1.6")
	ct, err := startContainers(ctx, mysqlImage, memcachedImage)
	defer ct.stop()
	if err != nil {
		return err
	}
	env := func(i int) ([]string, error) {
		dsn, err := ct.database(ctx, fmt.Sprintf("load_%d", i))
		if err != nil {
			return nil, err
		}
		return []string{"AUTH_DB_DRIVER=mysql", "AUTH_DB_DSN=" + dsn, "AUTH_DENYLIST=memcached", "AUTH_MEMCACHED_SERVERS=" + ct.memcached}, nil
	}
	rep.notes = append(rep.notes, fmt.Sprintf("MySQL + memcached: %s and %s in containers, server defaults", mysqlImage, memcachedImage))
	return measureBackend(ctx, opt, rep, ceiling, logDir, "MySQL+memcached", env, ct.parties(ctx, "mariadb", "memcached"))
}

// target is one authd process with its accounts.
type target struct {
	name    string
	srv     *server
	emails  []string
	access  []string
	refresh []string
	next    atomic.Int64 // for unique registration emails
}

// ceilingFunc measures the hello-world ceiling at concurrency c.
type ceilingFunc func(c int) cell

// measureBackend starts every binary on one store and measures them cell by
// cell, interleaved. Each group of cells (one request at one concurrency, on
// every binary) is compared with a hello measured just before it, so that
// the machine's load, which drifts over a run, weighs on both alike.
// servers are the other processes whose CPU the cells account for (database
// containers).
func measureBackend(ctx context.Context, opt options, rep *report, ceiling ceilingFunc, logDir, store string, extraEnv func(i int) ([]string, error), servers []party) error {
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.srv.stop()
		}
	}()
	for i, b := range opt.binaries {
		name := strings.TrimSpace(store + " " + b.label)
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		dataDir, err := os.MkdirTemp("", "authd-load-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dataDir)
		env := []string{
			"AUTH_HTTP_ADDR=" + addr, "AUTH_PUBLIC_URL=http://" + addr, "AUTH_DATA_DIR=" + dataDir,
			"AUTH_COOKIE_SECURE=false", "AUTH_LOG_LEVEL=warn",
			// Several instances run at once; none needs the metrics listener.
			"AUTH_METRICS_ADDR=off",
			// Register answers with a session, so that accounts need no mail.
			"AUTH_REQUIRE_EMAIL_VERIFICATION=false",
			// The abuse limits would refuse a benchmark's worth of requests from one address.
			"AUTH_IP_MAIL_RATE=0", "AUTH_IP_MAX_FAILURES=0", "AUTH_LOGIN_MAX_FAILURES=0",
		}
		if extraEnv != nil {
			more, err := extraEnv(i)
			if err != nil {
				return err
			}
			env = append(env, more...)
		}
		logName := strings.NewReplacer(" ", "-", "+", "-").Replace(name) + ".log"
		srv, err := startServer(ctx, name, addr, b.path, nil, env, filepath.Join(logDir, logName), "/readyz")
		if err != nil {
			return err
		}
		t := &target{name: name, srv: srv}
		targets = append(targets, t)
		if err := t.setup(ctx); err != nil {
			return err
		}
	}

	type plan struct {
		request string
		hashes  bool
		do      func(t *target, w int) bool
	}
	plans := []plan{
		{"GET /users/me", false, (*target).me},
		{"POST /auth/refresh", false, (*target).refreshOnce},
		{"POST /auth/login", true, (*target).login},
		{"POST /auth/register", true, (*target).register},
	}
	idleP99 := map[*target]time.Duration{}
	for _, p := range plans {
		for _, c := range []int{8, 64} {
			ceil := ceiling(c).rps()
			for _, t := range targets {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				pid := t.srv.cmd.Process.Pid
				parties := append([]party{{name: "authd", pid: pid}, {name: "of which password worker", pid: pid, kids: true}}, servers...)
				parties = append(parties, party{name: "load generator"})
				before := cpuTimes(parties)
				res := closedLoop(ctx, c, opt.warmup, opt.cell, func(w int) bool { return p.do(t, w) })
				cpu := cpuNote(parties, before, cpuTimes(parties), res.all)
				rep.rows = append(rep.rows, row{target: t.name, request: p.request, c: c, res: res, ceiling: ceil, hashes: p.hashes, cpu: cpu})
				if p.request == "GET /users/me" && c == 8 {
					idleP99[t] = res.p99
				}
			}
		}
	}
	ceil := ceiling(8).rps()
	for _, t := range targets {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The flood starts first and ends last, so that every measured GET
		// meets it.
		fctx, cancel := context.WithCancel(ctx)
		floodDone := make(chan cell)
		go func() {
			floodDone <- closedLoop(fctx, 64, opt.warmup/2, opt.cell+opt.warmup, func(w int) bool { return t.login(w) })
		}()
		res := closedLoop(ctx, 8, opt.warmup, opt.cell, func(w int) bool { return t.me(w) })
		flood := <-floodDone
		cancel()
		note := fmt.Sprintf("p99 %.1fx alone; logins meanwhile %.1f/s (%.0f%% of argon2id's)", ratio(res.p99, idleP99[t]), flood.rps(), 100*flood.rps()/rep.capacity)
		if flood.errors > 0 {
			note += fmt.Sprintf(", %d failed", flood.errors)
		}
		rep.rows = append(rep.rows, row{target: t.name, request: "GET /users/me during login flood c=64", c: 8, res: res, ceiling: ceil, note: note})
	}
	for _, t := range targets {
		self, worker := t.srv.peakRSS()
		rss := fmt.Sprintf("%s %s", t.name, mib(self))
		if worker > 0 {
			rss += fmt.Sprintf(" + password worker %s", mib(worker))
		}
		rep.rss = append(rep.rss, rss)
	}
	return nil
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// setup registers the target's accounts, each with a session.
func (t *target) setup(ctx context.Context) error {
	for i := range workers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		email := fmt.Sprintf("load-%02d@example.com", i)
		body, ok := post(t.srv.client, t.srv.addr, "/api/v1/auth/register", fmt.Sprintf(`{"email":%q,"password":%q}`, email, benchPassword), 201)
		if !ok {
			return fmt.Errorf("%s: register %s: %s", t.name, email, body)
		}
		var s struct{ AccessToken, RefreshToken string }
		if err := json.Unmarshal(body, &s); err != nil || s.AccessToken == "" {
			return fmt.Errorf("%s: register %s answered without a session: %s", t.name, email, body)
		}
		t.emails = append(t.emails, email)
		t.access = append(t.access, s.AccessToken)
		t.refresh = append(t.refresh, s.RefreshToken)
	}
	return nil
}

func (t *target) me(w int) bool {
	return get(t.srv.client, t.srv.addr, "/api/v1/users/me", t.access[w])
}

// refreshOnce rotates worker w's own refresh token (one worker, one session).
func (t *target) refreshOnce(w int) bool {
	body, ok := post(t.srv.client, t.srv.addr, "/api/v1/auth/refresh", fmt.Sprintf(`{"refreshToken":%q}`, t.refresh[w]), 200)
	if !ok {
		return false
	}
	var s struct{ AccessToken, RefreshToken string }
	if json.Unmarshal(body, &s) != nil || s.RefreshToken == "" {
		return false
	}
	t.access[w], t.refresh[w] = s.AccessToken, s.RefreshToken
	return true
}

func (t *target) login(w int) bool {
	_, ok := post(t.srv.client, t.srv.addr, "/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":%q}`, t.emails[w], benchPassword), 200)
	return ok
}

func (t *target) register(int) bool {
	email := fmt.Sprintf("new-%d@example.com", t.next.Add(1))
	_, ok := post(t.srv.client, t.srv.addr, "/api/v1/auth/register", fmt.Sprintf(`{"email":%q,"password":%q}`, email, benchPassword), 201)
	return ok
}

// get sends a GET (with a bearer token when given) and reports a 200.
func get(c *fasthttp.HostClient, addr, path, token string) bool {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://" + addr + path)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.Do(req, res) == nil && res.StatusCode() == 200
}

// post sends a JSON POST and returns the body and whether the status was want.
func post(c *fasthttp.HostClient, addr, path, body string, want int) ([]byte, bool) {
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://" + addr + path)
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.SetBodyString(body)
	if err := c.Do(req, res); err != nil {
		return []byte(err.Error()), false
	}
	return slices.Clone(res.Body()), res.StatusCode() == want
}

// measureHashing measures the allowance with both argon2id implementations,
// keeping for each the higher of this and any earlier measurement (the
// machine may have been busier at the start). The allowance is the higher of
// the two: what the cost allows with the faster code. authd's, which reuses
// each hash's memory, was the faster in authd's builds, but in two builds of
// this tool it measured 20-25% below x/crypto's for a reason not found.
func (r *report) measureHashing() {
	t, a := hashCapacity(authdHash)
	if a > r.authd {
		r.hashTime, r.authd = t, a
	}
	if _, x := hashCapacity(xcryptoHash); x > r.xcrypto {
		r.xcrypto = x
	}
	r.capacity = max(r.authd, r.xcrypto)
}

// authdHash is argon2id at the production parameters as authd runs it;
// xcryptoHash the same with golang.org/x/crypto/argon2, which allocates each
// hash's memory.
func authdHash() {
	p := password.DefaultParams
	password.IDKey([]byte(benchPassword), make([]byte, p.SaltLen), p)
}

func xcryptoHash() {
	p := password.DefaultParams
	argon2.IDKey([]byte(benchPassword), make([]byte, p.SaltLen), p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
}

// hashCapacity measures hash: the fastest of several single hashes, and how
// many hashes per second the machine's cores complete with one hash after
// another on each (parallel hashes share memory bandwidth, so this is below
// cores / single hash).
func hashCapacity(hash func()) (time.Duration, float64) {
	best := time.Duration(1<<63 - 1)
	for range 7 {
		t0 := time.Now()
		hash()
		best = min(best, time.Since(t0))
	}
	var done atomic.Int64
	start := time.Now()
	stop := start.Add(2 * time.Second)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for time.Now().Before(stop) {
				hash()
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return best, float64(done.Load()) / time.Since(start).Seconds()
}

func mib(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func (r *report) print(out *os.File, opt options) {
	p := password.DefaultParams
	fmt.Fprintf(out, "authd-load %s, %d cores, %s per cell after %s warm-up, closed loop over loopback\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), opt.cell, opt.warmup)
	fmt.Fprintf(out, "argon2id m=%d KiB t=%d p=%d: one hash %s alone; %d cores hashing flat out: %.1f hashes/s, what logins and registrations allow\n",
		p.Memory, p.Iterations, p.Parallelism, ms(r.hashTime), runtime.NumCPU(), r.capacity)
	fmt.Fprintf(out, "(the higher of authd's argon2id, %.1f hashes/s, and golang.org/x/crypto/argon2's, which allocates each hash's memory, %.1f)\n\n",
		r.authd, r.xcrypto)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\trequest\tc\trps\tp50\tp99\terrors\thello\tof hello\tof argon2id\t")
	for _, row := range r.rows {
		ceil, ofHello, ofHash := "", "", ""
		if row.ceiling > 0 {
			ceil = fmt.Sprintf("%.0f", row.ceiling)
			ofHello = fmt.Sprintf("%.1f%%", 100*row.res.rps()/row.ceiling)
		}
		if row.hashes {
			ofHash = fmt.Sprintf("%.0f%%", 100*row.res.rps()/r.capacity)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", row.target, row.request, row.c, row.res.rps(),
			ms(row.res.p50), ms(row.res.p99), row.res.errors, ceil, ofHello, ofHash, row.note)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nwhere the CPU went (whole cell, warm-up included; authd with its password worker):\n")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, row := range r.rows {
		if row.cpu != "" {
			fmt.Fprintf(tw, "  %s\t%s\tc=%d\t%s\n", row.target, row.request, row.c, row.cpu)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\npeak RSS (VmHWM): %s\n", strings.Join(r.rss, "; "))
	for _, n := range r.notes {
		fmt.Fprintln(out, n)
	}
}
