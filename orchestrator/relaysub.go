package orchestrator

import (
	"errors"
	"fmt"
	"net/url"
)

// SecretRelayToken is the keyring kind of a connection's relay subscriber
// token (see Profile.RelayURL and docs/relay.md).
const SecretRelayToken SecretKind = "relay-token"

// checkRelayURL is a light check of RelayURL; the relay subscriber checks
// it fully (ws:// only to loopback) when the engine uses it.
func (p Profile) checkRelayURL() error {
	if p.RelayURL == "" {
		return nil
	}
	u, err := url.Parse(p.RelayURL)
	if err != nil || u.Host == "" || (u.Scheme != "wss" && u.Scheme != "ws") {
		return fmt.Errorf("connection %s: relay URL %q: want wss://HOST/v1/subscribe",
			p.Name, p.RelayURL)
	}
	return nil
}

// SetRelay makes the engine subscribe to a relay for the connection's
// jobs: the token goes into the keyring first, then the URL into the
// profile. An empty relayURL removes both.
func (s *Store) SetRelay(name, relayURL, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.load()
	if err != nil {
		return err
	}
	i := indexOf(list, name)
	if i < 0 {
		return fmt.Errorf("connection %q: %w", name, ErrNoProfile)
	}
	p := list[i]
	p.RelayURL = relayURL
	if err := p.Validate(); err != nil {
		return err
	}
	switch {
	case relayURL == "":
		err = s.secrets.Delete(name, SecretRelayToken)
	case token == "":
		err = errors.New("the token is empty; enter it at the prompt or on standard input")
	default:
		err = s.secrets.Set(name, SecretRelayToken, token)
	}
	if err != nil {
		return fmt.Errorf("connection %s: relay token: %w", name, err)
	}
	list[i] = p
	return s.save(list)
}
