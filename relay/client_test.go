package relay_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"robotbridge/relay"
)

// The subscriber loses its connection (a proxy in between drops it and
// refuses new ones for a while), reconnects with backoff, and resumes:
// the events sent meanwhile arrive once, no resync is needed.
func TestSubscriber_ConnectionLost_ResumesWithoutGapOrRepeat(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()
	p := newProxy(t, r.addr)
	s := newSink()
	via := *r
	via.addr = p.addr()
	via.subscribe(t, tok, 0, nil, s)
	s.waitUp(t, true)
	<-s.resync // the first hello is never a resume

	post := func(ids ...string) {
		for i, id := range ids {
			r.mustPost(hookEvent{id: id, typ: "job.started", state: "Running",
				job: int64(len(id)*100 + i)}.body())
		}
	}
	post("a", "b")
	for _, want := range []string{"a", "b"} {
		if e := s.next(t); e.EventID != want {
			t.Fatalf("event %q, want %q", e.EventID, want)
		}
	}
	p.block()
	s.waitUp(t, false)
	post("cc", "dd")
	waitFor(t, "events forwarded", func() bool { return r.srv.Stats().Forwarded == 4 })
	p.unblock()
	s.waitUp(t, true)
	for _, want := range []string{"cc", "dd"} {
		if e := s.next(t); e.EventID != want {
			t.Fatalf("after reconnecting: event %q, want %q", e.EventID, want)
		}
	}
	s.none(t)
	select {
	case <-s.resync:
		t.Errorf("a resync was asked for, but the subscriber resumed without a gap")
	default:
	}
}

// A wrong token gets a clear error in the log, and the subscriber keeps
// trying (an administrator may fix the tokens file) without going up.
func TestSubscriber_WrongToken_ClearError(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	var logs syncBuffer
	sub, err := relay.NewSubscriber(relay.SubscriberConfig{URL: r.subscribeURL(),
		Token: "rbr_wrong", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.Run(ctx)
	}()
	waitFor(t, "two refusals logged", func() bool {
		return strings.Count(logs.String(), "subscriber token refused") >= 2
	})
	cancel()
	<-done
	if strings.Contains(logs.String(), "rbr_wrong") {
		t.Errorf("the log holds the token:\n%s", logs.String())
	}
}

func TestNewSubscriber_Checks(t *testing.T) {
	cases := []struct{ url, token, want string }{
		{"ws://relay.example.com/v1/subscribe", "t", "wss://"},
		{"wss://relay.example.com/v1/subscribe?token=abc", "t", "no query"},
		{"https://relay.example.com/v1/subscribe", "t", "wss://"},
		{"wss://relay.example.com", "", "no token"},
		{"not a url", "t", "want wss://"},
	}
	for _, c := range cases {
		_, err := relay.NewSubscriber(relay.SubscriberConfig{URL: c.url, Token: c.token})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSubscriber(%q, %q) = %v, want an error with %q", c.url, c.token,
				err, c.want)
		}
	}
	for _, ok := range []string{"ws://127.0.0.1:8080", "wss://relay.example.com"} {
		if _, err := relay.NewSubscriber(relay.SubscriberConfig{URL: ok, Token: "t"}); err != nil {
			t.Errorf("NewSubscriber(%q) = %v, want it accepted", ok, err)
		}
	}
}

// proxy forwards loopback TCP connections to a target; block drops the
// current ones and refuses new ones until unblock.
type proxy struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu      sync.Mutex
	blocked bool
	conns   []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.block()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.blocked {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go pipe(c, up)
		go pipe(up, c)
	}
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (p *proxy) block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = false
}

// syncBuffer is a bytes.Buffer safe for a logger and a test together.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
