package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"authd/internal/testkit"
)

// repeating is an endless source of one byte, for bodies never held in memory.
type repeating byte

func (r repeating) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestA413ReachesAClientStillSendingItsBody(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Config{BodyLimit: 1024}, testServices()) // the server's ceiling is 1 MiB
	addr := serve(t, s)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("10 MB, chunked %v, 10 times", chunked), func(t *testing.T) {
			for range 10 {
				const size = 10 << 20
				req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/auth/login", io.LimitReader(repeating(' '), size))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				if chunked {
					req.TransferEncoding = []string{"chunked"}
				} else {
					req.ContentLength = size
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("no response: %v", err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("response body: %v", err)
				}
				if p := decodeProblem(t, resp, body); resp.StatusCode != 413 || p.Code != "payload_too_large" {
					t.Fatalf("got %d %s", resp.StatusCode, body)
				}
			}
		})
	}
}

// lingerPair returns both ends of a loopback TCP connection whose server end is
// wrapped by l, as Listen wraps every accepted connection.
func lingerPair(t *testing.T, l *lingerer) (server, client net.Conn) {
	t.Helper()
	ln := l.listener(mustListen(t))
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server = <-accepted
	if _, ok := server.(*lingerConn); !ok {
		t.Fatalf("accepted a %T", server)
	}
	_ = client.SetDeadline(time.Now().Add(30 * time.Second)) // a bound on the test, not an assertion
	return server, client
}

func draining(l *lingerer) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func TestLingeringClose(t *testing.T) {
	t.Parallel()
	t.Run("the client reads the response and its end while it goes on sending", func(t *testing.T) {
		t.Parallel()
		l := &lingerer{idle: time.Minute} // a busy machine may pause the writer
		server, client := lingerPair(t, l)
		if _, err := server.Write([]byte("answer")); err != nil {
			t.Fatal(err)
		}
		if err := server.Close(); err != nil {
			t.Fatal(err)
		}
		// 8 MiB after the close: far more than the socket buffers hold, so it is
		// only accepted because the server reads it.
		chunk := make([]byte, 64<<10)
		for range 128 {
			if _, err := client.Write(chunk); err != nil {
				t.Fatalf("write after the server's close: %v", err)
			}
		}
		got, err := io.ReadAll(client)
		if err != nil || string(got) != "answer" {
			t.Fatalf("read %q, %v", got, err)
		}
		client.Close()
		testkit.Eventually(t, 5*time.Second, func() bool { return draining(l) == 0 }, "condition not met in time")
	})
	t.Run("Close twice closes once", func(t *testing.T) {
		t.Parallel()
		l := &lingerer{}
		server, client := lingerPair(t, l)
		if server.Close() != nil || server.Close() != nil {
			t.Fatal("Close failed")
		}
		client.Close()
		testkit.Eventually(t, 5*time.Second, func() bool { return draining(l) == 0 }, "condition not met in time")
	})
	t.Run("wait cuts a drain short when its context ends, and later closes are immediate", func(t *testing.T) {
		t.Parallel()
		l := &lingerer{idle: time.Hour, total: time.Hour} // the drain would outlast the test
		server, client := lingerPair(t, l)
		lc := server.(*lingerConn)
		reading := make(chan struct{}, 1)
		lc.Conn = readSpy{Conn: lc.Conn, reading: reading}
		if err := server.Close(); err != nil {
			t.Fatal(err)
		}
		<-reading // the drain waits for the client, which sends nothing
		if draining(l) != 1 {
			t.Fatal("not draining")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		l.wait(ctx)
		if n := draining(l); n != 0 {
			t.Fatalf("%d still draining", n)
		}
		if _, err := bufio.NewReader(client).ReadByte(); err == nil {
			t.Fatal("the connection is still open")
		}
		other, otherClient := lingerPair(t, l)
		if err := other.Close(); err != nil {
			t.Fatal(err)
		}
		if draining(l) != 0 {
			t.Fatal("a close after wait drains")
		}
		if _, err := otherClient.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("read after the close: %v", err)
		}
	})
	t.Run("beyond the most connections drained at once, a close is immediate", func(t *testing.T) {
		t.Parallel()
		l := &lingerer{conns: map[*lingerConn]struct{}{}}
		for range lingerMaxConns {
			l.conns[&lingerConn{}] = struct{}{} // stand-ins for connections being drained
		}
		server, client := lingerPair(t, l)
		if err := server.Close(); err != nil {
			t.Fatal(err)
		}
		if n := draining(l); n != lingerMaxConns {
			t.Fatalf("%d draining", n)
		}
		if _, err := client.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("read after the close: %v", err)
		}
	})
	t.Run("wait returns at once when nothing drains", func(t *testing.T) {
		t.Parallel()
		(&lingerer{}).wait(context.Background())
	})
}

// readSpy tells when a Read starts.
type readSpy struct {
	net.Conn
	reading chan struct{}
}

func (r readSpy) Read(p []byte) (int, error) {
	select {
	case r.reading <- struct{}{}:
	default:
	}
	return r.Conn.Read(p)
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}
