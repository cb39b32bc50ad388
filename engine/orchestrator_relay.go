package engine

import (
	"log/slog"
	"net/url"

	"robotbridge/feed"
	"robotbridge/orchestrator"
	"robotbridge/relay"
)

// subscribe starts a relay subscriber for the connection when its
// profile names a relay: pushed job states then reach the follower, which
// polls at its slower reconciliation rate while the relay is up. Without
// a relay, or when its token cannot be read, the follower polls alone.
func (o *orchestrators) subscribe(p orchestrator.Profile, f *orchestrator.Follower) {
	if p.RelayURL == "" {
		return
	}
	token, err := o.store.Secrets().Get(p.Name, orchestrator.SecretRelayToken)
	if err != nil {
		slog.Warn("engine: relay not used, polling only: no subscriber token",
			"connection", p.Name, "error", err)
		return
	}
	sink := relay.FollowerSink(f)
	up := sink.Up
	sink.Up = func(ok bool) {
		up(ok)
		o.feed.Publish(feed.Event{Type: feed.OrchestratorRelay, Connection: p.Name,
			State: map[bool]string{true: "up", false: "down"}[ok]})
	}
	sub, err := relay.NewSubscriber(relay.SubscriberConfig{URL: p.RelayURL, Token: token,
		Sink: sink, Logger: slog.Default()})
	if err != nil {
		slog.Warn("engine: relay not used, polling only", "connection", p.Name,
			"error", err)
		return
	}
	go sub.Run(o.ctx)
	slog.Info("engine: relay subscriber started", "connection", p.Name,
		"relay", relayHost(p.RelayURL))
}

// relayHost is the relay's host for logs.
func relayHost(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}
