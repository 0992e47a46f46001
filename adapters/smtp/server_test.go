package smtp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// received is one message as the test server got it.
type received struct {
	Helo string
	From string
	To   []string
	Data []byte
}

// serverOptions shape the test server for one test.
type serverOptions struct {
	tls       *tls.Config // offered with STARTTLS, or from the first byte when implicit
	implicit  bool
	mechs     []string // SASL mechanisms offered ("PLAIN", "LOGIN"); auth is required when set
	user      string
	pass      string
	plainAuth bool            // offer AUTH on unencrypted connections (go-smtp's AllowInsecureAuth)
	dataErr   error           // answer the end of DATA with this
	stall     <-chan struct{} // block in DATA until closed
	onData    func()          // called when a client starts DATA
}

// testServer is a real SMTP server (emersion/go-smtp) in the test process that
// records what it receives.
type testServer struct {
	opts serverOptions
	host string
	port int

	mu    sync.Mutex
	msgs  []received
	auths int // AUTH attempts that reached a mechanism
	datas int // DATA commands begun
}

// startServer listens on 127.0.0.1:0 and serves until the test ends.
func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	s := &testServer{opts: opts}
	srv := gosmtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are the point of some tests
	srv.AllowInsecureAuth = opts.plainAuth
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.TLSConfig = opts.tls
	var ln net.Listener
	var err error
	if opts.implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", opts.tls)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.host, s.port = splitAddr(t, ln.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close() // Close misses it if Serve has not registered it yet
		<-done
	})
	return s
}

func splitAddr(t *testing.T, addr string) (string, int) {
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

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *testServer) authAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

func (s *testServer) dataAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.datas
}

// NewSession implements gosmtp.Backend.
func (s *testServer) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	return &session{srv: s, helo: c.Hostname()}, nil
}

type session struct {
	srv    *testServer
	helo   string
	authed bool
	cur    received
}

var _ gosmtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string { return s.srv.opts.mechs }

func (s *session) Auth(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.srv.auths++
	s.srv.mu.Unlock()
	check := func(user, pass string) error {
		if user != s.srv.opts.user || pass != s.srv.opts.pass {
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

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if len(s.srv.opts.mechs) > 0 && !s.authed {
		return gosmtp.ErrAuthRequired
	}
	s.cur = received{Helo: s.helo, From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.srv.mu.Lock()
	s.srv.datas++
	s.srv.mu.Unlock()
	if s.srv.opts.onData != nil {
		s.srv.opts.onData()
	}
	if s.srv.opts.stall != nil {
		<-s.srv.opts.stall
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.opts.dataErr != nil {
		return s.srv.opts.dataErr
	}
	s.cur.Data = b
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

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

// stallingListener accepts connections and never says a word, like a server
// that hangs before its greeting.
func stallingListener(t *testing.T) (string, int) {
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
	return splitAddr(t, ln.Addr().String())
}

// selfSigned returns a server TLS config for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "authd test SMTP server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
