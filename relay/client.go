package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// Sink receives what a Subscriber learns. Nil funcs are skipped. They are
// called from Run's goroutine, one at a time.
type Sink struct {
	// Event gets each job event once, in Seq order.
	Event func(JobEvent)
	// Up says whether events flow: true after the relay's hello, false
	// when the connection is lost.
	Up func(bool)
	// Resync says events may have been missed: poll now.
	Resync func()
}

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// URL is the relay's subscriber endpoint, e.g.
	// wss://relay.example.com/v1/subscribe; ws:// only to a loopback host.
	URL string
	// Token is this engine's subscriber token. It travels only in the
	// Authorization header.
	Token string
	// TenantID and FolderIDs are the subscription (0 and nil: every
	// tenant the token may see, every folder).
	TenantID  int64
	FolderIDs []int64
	// TLS configures the connection (nil: the system roots).
	TLS *tls.Config
	// Sink receives the events.
	Sink Sink
	// Logger receives connection warnings (nil: slog.Default()).
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the wait between reconnections
	// (0: 1 s and 1 min); each wait is jittered.
	MinBackoff, MaxBackoff time.Duration
	// PongWait is how long the connection may stay silent before it
	// counts as lost (0: 90 s; the relay pings every 25 s by default).
	PongWait time.Duration
}

// Subscriber keeps one subscription to a relay alive. Run it once.
type Subscriber struct {
	cfg SubscriberConfig
	url string
	log *slog.Logger

	// Run's goroutine only:
	epoch   string // the relay run the events came from
	last    uint64 // the last Seq handled
	up      bool
	attempt int // failed connections since the last good one
}

// ErrTokenRefused means the relay does not know the subscriber token.
var ErrTokenRefused = errors.New("the relay refused the subscriber token")

// NewSubscriber checks the config.
func NewSubscriber(cfg SubscriberConfig) (*Subscriber, error) {
	u, err := checkRelayURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("relay subscriber: no token; the relay's administrator " +
			"makes one with `robotbridge relay token NAME`")
	}
	setDefault(&cfg.MinBackoff, time.Second)
	setDefault(&cfg.MaxBackoff, time.Minute)
	setDefault(&cfg.PongWait, 90*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Subscriber{cfg: cfg, url: u, log: cfg.Logger}, nil
}

func checkRelayURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("relay URL %q: want wss://HOST/v1/subscribe", raw)
	}
	if u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("relay URL %q: no query or user name; the token goes in "+
			"a header", u.Redacted())
	}
	switch {
	case u.Scheme == "wss":
	case u.Scheme == "ws" && isLoopbackAddr(hostPort(u)):
	default:
		return "", fmt.Errorf("relay URL %q: use wss:// (ws:// only to a loopback "+
			"address)", u.Redacted())
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = SubscribePath
	}
	return u.String(), nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return u.Host + ":0"
}

// Run subscribes until ctx ends, reconnecting after each loss.
func (s *Subscriber) Run(ctx context.Context) {
	for {
		err := s.session(ctx)
		s.setUp(false)
		if ctx.Err() != nil {
			return
		}
		s.logLoss(err)
		t := time.NewTimer(s.backoff())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Subscriber) logLoss(err error) {
	switch {
	case errors.Is(err, ErrTokenRefused):
		s.log.Error("relay: subscriber token refused; ask the relay's administrator "+
			"for a token", "relay", s.url, "error", err)
	case s.attempt == 0:
		s.log.Warn("relay: connection lost; polling at the normal rate until it is back",
			"relay", s.url, "error", err)
	default:
		s.log.Debug("relay: connection failed", "relay", s.url, "error", err)
	}
}

// backoff is the wait before the next attempt: doubling from MinBackoff
// up to MaxBackoff, each wait picked at random in its upper half, so that
// engines cut off together do not come back together.
func (s *Subscriber) backoff() time.Duration {
	d := s.cfg.MinBackoff
	for i := 0; i < s.attempt && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.cfg.MaxBackoff)
	s.attempt++
	return d/2 + rand.N(d/2+1)
}

func (s *Subscriber) setUp(up bool) {
	if s.up == up {
		return
	}
	s.up = up
	if s.cfg.Sink.Up != nil {
		s.cfg.Sink.Up(up)
	}
}

// session connects, subscribes and reads events until the connection
// ends.
func (s *Subscriber) session(ctx context.Context) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	if err := send(conn, clientMessage{Type: "subscribe", Tenant: s.cfg.TenantID,
		Folders: s.cfg.FolderIDs, Epoch: s.epoch, After: s.last}); err != nil {
		return err
	}
	if err := s.hello(conn); err != nil {
		return err
	}
	s.attempt = 0
	s.setUp(true)
	return s.readEvents(conn)
}

func (s *Subscriber) dial(ctx context.Context) (*websocket.Conn, error) {
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, TLSClientConfig: s.cfg.TLS,
		HandshakeTimeout: 15 * time.Second, Subprotocols: []string{Protocol}}
	h := http.Header{"Authorization": {"Bearer " + s.cfg.Token}}
	conn, resp, err := d.DialContext(ctx, s.url, h)
	if resp != nil && resp.StatusCode == http.StatusUnauthorized {
		return nil, ErrTokenRefused
	}
	if err != nil {
		return nil, fmt.Errorf("connect to the relay: %w", err)
	}
	conn.SetReadLimit(4 << 20)
	s.alive(conn)
	conn.SetPingHandler(func(data string) error {
		s.alive(conn)
		deadline := time.Now().Add(clientWriteWait)
		err := conn.WriteControl(websocket.PongMessage, []byte(data), deadline)
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	return conn, nil
}

// alive extends the read deadline: the relay was heard from.
func (s *Subscriber) alive(conn *websocket.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(s.cfg.PongWait))
}

// hello reads the relay's answer to the subscribe message.
func (s *Subscriber) hello(conn *websocket.Conn) error {
	var m serverMessage
	if err := conn.ReadJSON(&m); err != nil {
		return fmt.Errorf("no answer to the subscription: %w", err)
	}
	if m.Type == "error" {
		return fmt.Errorf("the relay refused the subscription: %s", m.Message)
	}
	if m.Type != "hello" {
		return fmt.Errorf("the relay answered the subscription with %q", m.Type)
	}
	if m.Epoch != s.epoch {
		s.epoch, s.last = m.Epoch, 0 // a new relay run numbers from 1
	}
	if !m.Resumed && s.cfg.Sink.Resync != nil {
		s.cfg.Sink.Resync()
	}
	return nil
}

// readEvents hands events to the sink and acknowledges them.
func (s *Subscriber) readEvents(conn *websocket.Conn) error {
	for {
		var m serverMessage
		if err := conn.ReadJSON(&m); err != nil {
			return err
		}
		s.alive(conn)
		switch m.Type {
		case "events":
			if err := s.handle(conn, m.Events); err != nil {
				return err
			}
		case "resync":
			if s.cfg.Sink.Resync != nil {
				s.cfg.Sink.Resync()
			}
		case "error":
			return fmt.Errorf("the relay ended the subscription: %s", m.Message)
		}
	}
}

func (s *Subscriber) handle(conn *websocket.Conn, events []JobEvent) error {
	for _, e := range events {
		if e.Seq <= s.last {
			continue // sent again after a resume: handled already
		}
		s.last = e.Seq
		if s.cfg.Sink.Event != nil {
			s.cfg.Sink.Event(e)
		}
	}
	return send(conn, clientMessage{Type: "ack", Seq: s.last})
}

// clientWriteWait bounds one write to the relay.
const clientWriteWait = 10 * time.Second

func send(conn *websocket.Conn, m clientMessage) error {
	_ = conn.SetWriteDeadline(time.Now().Add(clientWriteWait))
	return conn.WriteJSON(m)
}
