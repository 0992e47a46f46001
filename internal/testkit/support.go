package testkit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Eventually asks cond again and again (first every 5 ms, backing off to 50 ms) until it holds and fails the test with
// the message (fmt.Sprintf(format, args...)) when it has not within the deadline.
func Eventually(t testing.TB, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf(format, args...)
	}
}

// Poll asks cond as Eventually does until it holds or within has passed, and says
// whether it held; for callers that fail in their own way.
func Poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for every := 5 * time.Millisecond; !cond(); every = min(2*every, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every) // a poll interval, not a wait for something to happen
	}
	return true
}

// EventuallyOK asks check as Eventually does until it returns "" and fails
// the test with the last thing it said (what is still wrong) after within.
func EventuallyOK(t testing.TB, within time.Duration, check func() string) {
	t.Helper()
	var msg string
	if !Poll(within, func() bool { msg = check(); return msg == "" }) {
		t.Fatal(msg)
	}
}

// Buffer is a bytes.Buffer safe for the concurrent writes of a server and the
// reads of a test: a log, a process's output, the console mailer's output.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// JSONLines returns the buffer's lines as JSON objects (a JSON log), failing
// the test on a line that is not one.
func (s *Buffer) JSONLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// ShiftedClock is the system clock moved on by Advance: a ports.Clock for a
// test that lets a lifetime pass without waiting while other parties (a TOTP
// code the test computes) go on by the real time.
type ShiftedClock struct {
	mu  sync.Mutex
	off time.Duration
}

// Now is the real time plus every Advance so far.
func (c *ShiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

// Advance moves the clock on by d.
func (c *ShiftedClock) Advance(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }

// FreeAddr returns a loopback address ("127.0.0.1:port") that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort is the port of a FreeAddr.
func FreePort(t testing.TB) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	return port
}

// WaitForMail waits until one of outputs (the console mailer's output of one
// process or more) holds a message to `to` that re matches, and returns what
// FindMail does of the newest; it fails the test after within.
func WaitForMail(t testing.TB, within time.Duration, to string, re *regexp.Regexp, outputs ...fmt.Stringer) string {
	t.Helper()
	var got string
	Eventually(t, within, func() bool {
		for _, o := range outputs {
			if s, ok := FindMail(o.String(), to, re); ok {
				got = s
				return true
			}
		}
		return false
	}, "no mail to %s matching %s within %s", to, re, within)
	return got
}

// mailEnd ends each message the console mailer writes.
const mailEnd = "----- end of mail -----"

// ConsoleMails returns the messages to `to` in the console mailer's output,
// oldest first.
func ConsoleMails(output, to string) []string {
	var out []string
	for _, block := range strings.Split(output, mailEnd) {
		if strings.Contains(block, "To: "+to+"\n") {
			out = append(out, block)
		}
	}
	return out
}

// FindMail looks through the console mailer's output for the newest message
// to `to` that re matches and returns re's first group (the whole match if
// it has none) of its last match.
func FindMail(output, to string, re *regexp.Regexp) (string, bool) {
	mails := ConsoleMails(output, to)
	for i := len(mails) - 1; i >= 0; i-- {
		if m := re.FindAllStringSubmatch(mails[i], -1); m != nil {
			last := m[len(m)-1]
			if len(last) > 1 {
				return last[1], true
			}
			return last[0], true
		}
	}
	return "", false
}

// SelfSigned returns a server TLS config for 127.0.0.1 and localhost, and a
// pool that trusts it.
func SelfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "authd test server"},
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
