package orchestrator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"robotbridge/config"
)

// ProfilesFile is the name of the profiles file in the config directory.
const ProfilesFile = "connections.json"

// profilesVersion is the schema version of connections.json.
const profilesVersion = 1

type profilesDoc struct {
	Version     int       `json:"version"`
	Connections []Profile `json:"connections"`
}

var (
	// ErrNoProfile means no connection has that name.
	ErrNoProfile = errors.New("no such connection")
	// ErrProfileExists means a connection of that name exists already.
	ErrProfileExists = errors.New("connection exists already")
)

// Store keeps connection profiles in connections.json and their secrets
// in the keyring. Its methods are safe for concurrent use within one
// process.
type Store struct {
	path    string
	secrets *Secrets
	log     *slog.Logger

	mu sync.Mutex // serialises read-modify-write of the file
}

// NewStore keeps profiles in dir/connections.json and secrets in
// secrets. A nil logger means slog.Default().
func NewStore(dir string, secrets *Secrets, log *slog.Logger) *Store {
	if log == nil {
		log = slog.Default()
	}
	return &Store{path: filepath.Join(dir, ProfilesFile), secrets: secrets, log: log}
}

// Secrets is the store's keyring access.
func (s *Store) Secrets() *Secrets { return s.secrets }

// List returns the profiles sorted by name.
func (s *Store) List() ([]Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

// Get returns the profile called name.
func (s *Store) Get(name string) (Profile, error) {
	list, err := s.List()
	if err != nil {
		return Profile{}, err
	}
	for _, p := range list {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("connection %q: %w; list them with `robotbridge "+
		"connections list`", name, ErrNoProfile)
}

// Add validates p, stores secret in the keyring and then the profile in
// the file. With replace false an existing profile of that name is an
// error. If the keyring is unavailable nothing is written anywhere.
func (s *Store) Add(p Profile, secret string, replace bool) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if secret == "" {
		return fmt.Errorf("connection %s: the %s is empty; enter it at the prompt "+
			"or on standard input", p.Name, p.Auth.SecretKind())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.load()
	if err != nil {
		return err
	}
	i := indexOf(list, p.Name)
	if i >= 0 && !replace {
		return fmt.Errorf("connection %s: %w; remove it first or replace it", p.Name,
			ErrProfileExists)
	}

	if err := s.secrets.Set(p.Name, p.Auth.SecretKind(), secret); err != nil {
		return fmt.Errorf("connection %s: store the %s: %w", p.Name, p.Auth.SecretKind(), err)
	}
	if i >= 0 {
		list[i] = p
	} else {
		list = append(list, p)
	}
	if err := s.save(list); err != nil {
		if i < 0 {
			_ = s.secrets.Delete(p.Name, p.Auth.SecretKind()) // no profile, no secret
		}
		return err
	}
	s.dropOtherSecrets(p)
	s.log.Info("orchestrator: connection saved", "connection", p.Name, "auth", string(p.Auth))
	return nil
}

// dropOtherSecrets removes secrets of kinds the profile no longer uses
// (after its auth kind changed).
func (s *Store) dropOtherSecrets(p Profile) {
	for _, k := range secretKinds {
		if k != p.Auth.SecretKind() {
			if err := s.secrets.Delete(p.Name, k); err != nil {
				s.log.Warn("orchestrator: old secret not removed", "connection", p.Name,
					"kind", string(k), "error", err)
			}
		}
	}
}

// Remove deletes the profile's secrets, then the profile. When the
// keyring cannot delete them the profile stays, so that no secret is left
// without a profile that names it.
func (s *Store) Remove(name string) error {
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
	if err := s.secrets.DeleteAll(name); err != nil {
		return fmt.Errorf("connection %s: delete its secrets: %w; the connection is "+
			"kept, try again when the keyring is available", name, err)
	}
	if err := s.save(append(list[:i], list[i+1:]...)); err != nil {
		return err
	}
	s.log.Info("orchestrator: connection removed", "connection", name)
	return nil
}

// Secret returns the secret the profile's auth kind needs.
func (s *Store) Secret(p Profile) (string, error) {
	v, err := s.secrets.Get(p.Name, p.Auth.SecretKind())
	if errors.Is(err, ErrSecretNotFound) {
		return "", fmt.Errorf("connection %s: its %s is not in the OS keyring; store it "+
			"again with `robotbridge connections add %s ... --replace`: %w", p.Name,
			p.Auth.SecretKind(), p.Name, err)
	}
	if err != nil {
		return "", fmt.Errorf("connection %s: read the %s: %w", p.Name, p.Auth.SecretKind(), err)
	}
	return v, nil
}

func indexOf(list []Profile, name string) int {
	for i, p := range list {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func (s *Store) load() ([]Profile, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("connections: read %s: %w", s.path, err)
	}
	var doc profilesDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("connections: %s is not valid: %w; fix or remove it "+
			"(it holds no secrets: those are in the OS keyring)", s.path, err)
	}
	if doc.Version > profilesVersion {
		return nil, fmt.Errorf("connections: %s has version %d, newer than this "+
			"robotbridge understands (%d); upgrade robotbridge", s.path, doc.Version,
			profilesVersion)
	}
	for _, p := range doc.Connections {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("connections: %s: %w", s.path, err)
		}
	}
	return doc.Connections, nil
}

func (s *Store) save(list []Profile) error {
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	if list == nil {
		list = []Profile{}
	}
	data, err := json.MarshalIndent(profilesDoc{Version: profilesVersion, Connections: list},
		"", "  ")
	if err != nil {
		return fmt.Errorf("connections: encode: %w", err)
	}
	if err := config.WriteFileAtomic(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("connections: %w", err)
	}
	return nil
}
