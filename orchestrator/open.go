package orchestrator

// OpenStore is the store of the profiles in dir (the config directory)
// with their secrets in the OS keyring: what the CLI, the desktop app and
// the engine all use.
func OpenStore(dir string) *Store {
	return NewStore(dir, NewSecrets(SystemKeyring(), 0), nil)
}

// Client returns a client of the stored connection name, with its secret
// read from the keyring. cfg supplies the other settings; its Profile
// and Secret are replaced. An unavailable keyring gives an error that
// matches ErrKeyringUnavailable.
func (s *Store) Client(name string, cfg Config) (*Client, error) {
	p, err := s.Get(name)
	if err != nil {
		return nil, err
	}
	secret, err := s.Secret(p)
	if err != nil {
		return nil, err
	}
	cfg.Profile, cfg.Secret = p, secret
	return New(cfg)
}
