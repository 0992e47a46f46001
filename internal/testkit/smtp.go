package testkit

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message as the SMTP server got it.
type Message struct {
	Helo string
	From string
	To   []string
	Data []byte
}

// SMTPOptions shape a test SMTP server.
type SMTPOptions struct {
	TLS      *tls.Config // offered with STARTTLS, or from the first byte when Implicit
	Implicit bool
	// Mechs are the SASL mechanisms offered (sasl.Plain, sasl.Login); when set,
	// a client must authenticate as User/Pass before MAIL.
	Mechs        []string
	User, Pass   string
	InsecureAuth bool            // offer AUTH on unencrypted connections (go-smtp's AllowInsecureAuth)
	DataErr      error           // answer the end of DATA with this (TryLater: a temporary failure)
	Stall        <-chan struct{} // block in DATA until closed
	OnData       func()          // called when a client starts DATA
	Timeout      time.Duration   // the server's read and write timeouts; 0 is a minute
}

// TryLater is a temporary failure (451 4.3.0) for SMTPOptions.DataErr.
var TryLater error = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}

// SMTPServer is a real SMTP server (emersion/go-smtp) in the test process that
// records what it receives. It can be stopped and started again on the same
// address, and it stops when the test ends.
type SMTPServer struct {
	t    testing.TB
	opts SMTPOptions
	addr string

	mu    sync.Mutex
	msgs  []Message
	auths int // AUTH attempts that reached a mechanism
	datas int // DATA commands begun
	stop  func()
}

// NewSMTPServer returns a server on an address of its own that is not
// listening yet: a mail server that is down until Start.
func NewSMTPServer(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, opts: opts, addr: FreeAddr(t)}
	t.Cleanup(s.Stop)
	return s
}

// StartSMTPServer returns a server listening on a fresh loopback port.
func StartSMTPServer(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, opts: opts}
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

// Start listens on the server's address (a fresh port the first time, if it
// has none yet).
func (s *SMTPServer) Start() {
	s.t.Helper()
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point of some tests
	srv.AllowInsecureAuth = s.opts.InsecureAuth
	srv.ReadTimeout, srv.WriteTimeout = orDefault(s.opts.Timeout, time.Minute), orDefault(s.opts.Timeout, time.Minute)
	srv.TLSConfig = s.opts.TLS
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	if s.opts.Implicit {
		ln, err = tls.Listen("tcp", addr, s.opts.TLS)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.stop = func() {
		_ = srv.Close()
		_ = ln.Close() // Close misses it if Serve has not registered it yet
		<-done
	}
	s.mu.Unlock()
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Stop closes the listener and every connection; Start opens it again.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	stop := s.stop
	s.stop = nil
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Addr is the server's "host:port".
func (s *SMTPServer) Addr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.addr }

// Host is the host of Addr.
func (s *SMTPServer) Host() string { h, _ := SplitAddr(s.t, s.Addr()); return h }

// Port is the port of Addr.
func (s *SMTPServer) Port() int { _, p := SplitAddr(s.t, s.Addr()); return p }

// SplitAddr splits "host:port".
func SplitAddr(t testing.TB, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// Messages returns what the server has received so far.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitForMessages waits until at least n messages have arrived and returns
// them; it fails the test after within.
func (s *SMTPServer) WaitForMessages(t testing.TB, n int, within time.Duration) []Message {
	t.Helper()
	Eventually(t, within, func() bool { return len(s.Messages()) >= n },
		"%d of %d messages within %s", len(s.Messages()), n, within)
	return s.Messages()
}

// AuthAttempts counts the AUTH commands that reached a mechanism.
func (s *SMTPServer) AuthAttempts() int { s.mu.Lock(); defer s.mu.Unlock(); return s.auths }

// DataAttempts counts the DATA commands begun.
func (s *SMTPServer) DataAttempts() int { s.mu.Lock(); defer s.mu.Unlock(); return s.datas }

// NewSession implements smtp.Backend.
func (s *SMTPServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{srv: s, helo: c.Hostname()}, nil
}

type smtpSession struct {
	srv    *SMTPServer
	helo   string
	authed bool
	cur    Message
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (s *smtpSession) AuthMechanisms() []string { return s.srv.opts.Mechs }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.srv.auths++
	s.srv.mu.Unlock()
	check := func(user, pass string) error {
		if user != s.srv.opts.User || pass != s.srv.opts.Pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.srv.opts.Mechs) > 0 && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = Message{Helo: s.helo, From: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	s.srv.mu.Lock()
	s.srv.datas++
	s.srv.mu.Unlock()
	if s.srv.opts.OnData != nil {
		s.srv.opts.OnData()
	}
	if s.srv.opts.Stall != nil {
		<-s.srv.opts.Stall
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.opts.DataErr != nil {
		return s.srv.opts.DataErr
	}
	s.cur.Data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = Message{} }
func (s *smtpSession) Logout() error { return nil }

// loginServer is the server side of the (obsolete but common) LOGIN
// mechanism, which go-sasl no longer ships.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	if l.step == 0 && response == nil {
		l.step++
		return []byte("Username:"), false, nil
	}
	if l.step <= 1 {
		l.step = 2
		l.user = string(response)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(response))
}

// SilentListener accepts connections and never says a word, like a server
// that hangs before its greeting; it returns its "host:port".
func SilentListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}
