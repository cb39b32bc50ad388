package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Config configures a relay Server. Zero values mean the defaults named
// on each field.
type Config struct {
	// Secrets are the webhook secrets; a call must be signed with one of
	// them. Several allow a rotation. At least one is required.
	Secrets [][]byte
	// Tokens are the subscribers that may connect (see ParseTokens).
	Tokens []Token
	// Allow lists the networks webhook calls may come from (nil: any
	// address; see docs/relay.md for why an allowlist is better).
	Allow []netip.Prefix
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (nil: the header is ignored and the TCP peer counts).
	TrustedProxies []netip.Prefix
	// StateDir keeps the de-duplication memory across restarts ("" : in
	// memory only).
	StateDir string
	// DedupeWindow is how long event ids are remembered (0: 48 h). It
	// must be at least 24 h.
	DedupeWindow time.Duration
	// MaxRemembered caps the remembered event ids (0: 500,000); past it
	// the oldest are forgotten early, with a warning.
	MaxRemembered int
	// MaxBody caps a webhook body (0: 1 MiB).
	MaxBody int64
	// Buffer is how many unacknowledged events a subscriber may have (0:
	// 4096); past it the oldest go, a connected subscriber is cut off (it
	// does not keep up) and told to resync when it comes back.
	Buffer int
	// ResumeWindow is how long a disconnected subscriber's buffer is kept
	// for it to resume (0: 10 min).
	ResumeWindow time.Duration
	// PingInterval, PongWait and WriteWait are the websocket keepalive:
	// a ping every PingInterval (0: 25 s), the connection is dropped when
	// nothing arrives for PongWait (0: 60 s) or a write takes longer than
	// WriteWait (0: 10 s).
	PingInterval, PongWait, WriteWait time.Duration
	// ReadHeaderTimeout and ReadTimeout bound slow clients (0: 5 s, 10 s).
	ReadHeaderTimeout, ReadTimeout time.Duration
	// Logger receives the relay's logs (nil: slog.Default()). No payload,
	// secret or token is ever logged.
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// withDefaults checks the config and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if len(c.Secrets) == 0 {
		return c, errors.New("relay: no webhook secret configured; set " +
			"ROBOTBRIDGE_RELAY_SECRET or --secret-file")
	}
	for i, s := range c.Secrets {
		if len(s) < 16 {
			return c, fmt.Errorf("relay: webhook secret %d is shorter than 16 bytes; use "+
				"a long random one (`robotbridge relay secret` makes one)", i+1)
		}
	}
	if c.DedupeWindow == 0 {
		c.DedupeWindow = 48 * time.Hour
	}
	if c.DedupeWindow < 24*time.Hour {
		return c, fmt.Errorf("relay: de-duplication window %s is shorter than 24 h",
			c.DedupeWindow)
	}
	setDefault(&c.MaxRemembered, 500_000)
	setDefault(&c.MaxBody, 1<<20)
	setDefault(&c.Buffer, 4096)
	setDefault(&c.ResumeWindow, 10*time.Minute)
	setDefault(&c.PingInterval, 25*time.Second)
	setDefault(&c.PongWait, 60*time.Second)
	setDefault(&c.WriteWait, 10*time.Second)
	setDefault(&c.ReadHeaderTimeout, 5*time.Second)
	setDefault(&c.ReadTimeout, 10*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
