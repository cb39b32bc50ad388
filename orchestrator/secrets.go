package orchestrator

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// SecretKind names one kind of secret of a profile.
type SecretKind string

const (
	SecretPassword     SecretKind = "password"
	SecretClientSecret SecretKind = "client-secret"
	SecretToken        SecretKind = "token"
)

// secretKinds are all kinds a profile may have; deleting a profile
// deletes each of them.
var secretKinds = []SecretKind{SecretPassword, SecretClientSecret, SecretToken}

// KeyringService is the service name of every robotbridge keyring entry.
const KeyringService = "robotbridge"

// MaxEntryBytes is the largest value one keyring entry holds on every
// platform (Windows Credential Manager's limit). Longer secrets are split.
const MaxEntryBytes = 2560

// Keyring is the OS keyring as robotbridge uses it. SystemKeyring is the
// real one; tests use orchestratortest.Keyring. Get reports a missing
// entry with go-keyring's keyring.ErrNotFound.
type Keyring interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

var (
	// ErrKeyringUnavailable means the OS keyring cannot be used at all.
	// Nothing is ever stored elsewhere instead.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrSecretNotFound means the keyring has no such secret.
	ErrSecretNotFound = errors.New("secret not found in the OS keyring")
)

// KeyringError says why the OS keyring could not be used.
type KeyringError struct {
	Reason string
}

func (e *KeyringError) Error() string { return "OS keyring unavailable: " + e.Reason }

// Is makes errors.Is(err, ErrKeyringUnavailable) true.
func (e *KeyringError) Is(target error) bool { return target == ErrKeyringUnavailable }

// Secrets stores the secrets of profiles in a Keyring: one entry per
// profile and kind, split into chunks when longer than MaxEntryBytes.
type Secrets struct {
	kr      Keyring
	timeout time.Duration
}

// DefaultKeyringTimeout bounds one keyring call: a locked keyring may
// wait forever for an unlock prompt nobody can see.
const DefaultKeyringTimeout = 10 * time.Second

// NewSecrets uses kr; timeout 0 means DefaultKeyringTimeout.
func NewSecrets(kr Keyring, timeout time.Duration) *Secrets {
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	return &Secrets{kr: kr, timeout: timeout}
}

// Entry format of the head entry: "rb1:" + value, or, for a value split
// into n chunks of generation gen, "rb1-chunks:gen:n:sha256hex". Chunk i
// lives under the head's user name + "#gen.i". A new generation is written
// before the head points to it, so a crash leaves the old value or the new
// one, never a mix.
const (
	smallPrefix = "rb1:"
	chunkPrefix = "rb1-chunks:"
)

func entryUser(profile string, kind SecretKind) string {
	return profile + "/" + string(kind)
}

func chunkUser(head, gen string, i int) string {
	return head + "#" + gen + "." + strconv.Itoa(i)
}

// Set stores value as the profile's secret of that kind.
func (s *Secrets) Set(profile string, kind SecretKind, value string) error {
	head := entryUser(profile, kind)
	old, oldErr := s.get(head)
	if oldErr != nil && !errors.Is(oldErr, ErrSecretNotFound) {
		return oldErr
	}

	if len(smallPrefix)+len(value) <= MaxEntryBytes {
		if err := s.set(head, smallPrefix+value); err != nil {
			return err
		}
	} else if err := s.setChunked(head, value); err != nil {
		return err
	}
	if oldErr == nil {
		s.deleteChunks(head, old) // the old generation, if it had one
	}
	return nil
}

func (s *Secrets) setChunked(head, value string) error {
	gen, err := newGeneration()
	if err != nil {
		return err
	}
	parts := splitUTF8(value, MaxEntryBytes)
	for i, part := range parts {
		if err := s.set(chunkUser(head, gen, i), part); err != nil {
			s.deleteChunks(head, fmt.Sprintf("%s%s:%d:", chunkPrefix, gen, i))
			return err
		}
	}
	sum := sha256.Sum256([]byte(value))
	marker := fmt.Sprintf("%s%s:%d:%s", chunkPrefix, gen, len(parts), hex.EncodeToString(sum[:]))
	return s.set(head, marker)
}

// Get returns the profile's secret of that kind.
func (s *Secrets) Get(profile string, kind SecretKind) (string, error) {
	head := entryUser(profile, kind)
	v, err := s.get(head)
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(v, smallPrefix):
		return strings.TrimPrefix(v, smallPrefix), nil
	case strings.HasPrefix(v, chunkPrefix):
		return s.join(head, v)
	default:
		return v, nil // written by another tool: take it as it is
	}
}

func (s *Secrets) join(head, marker string) (string, error) {
	gen, n, sum, ok := parseMarker(marker)
	if !ok {
		return "", fmt.Errorf("keyring entry %s is damaged; store the secret again", head)
	}
	var b strings.Builder
	for i := range n {
		part, err := s.get(chunkUser(head, gen, i))
		if err != nil {
			return "", fmt.Errorf("keyring entry %s: part %d of %d: %w; store the secret "+
				"again", head, i+1, n, err)
		}
		b.WriteString(part)
	}
	got := sha256.Sum256([]byte(b.String()))
	if hex.EncodeToString(got[:]) != sum {
		return "", fmt.Errorf("keyring entry %s does not reassemble (checksum differs); "+
			"store the secret again", head)
	}
	return b.String(), nil
}

// Delete removes the profile's secret of that kind; a missing one is no
// error.
func (s *Secrets) Delete(profile string, kind SecretKind) error {
	head := entryUser(profile, kind)
	v, err := s.get(head)
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.del(head); err != nil && !errors.Is(err, ErrSecretNotFound) {
		return err
	}
	s.deleteChunks(head, v)
	return nil
}

// DeleteAll removes every secret of the profile, its webhook secret and
// relay token too.
func (s *Secrets) DeleteAll(profile string) error {
	for _, k := range append(slices.Clone(secretKinds), SecretWebhook, SecretRelayToken) {
		if err := s.Delete(profile, k); err != nil {
			return err
		}
	}
	return nil
}

// Check reports whether the keyring answers at all.
func (s *Secrets) Check() error {
	_, err := s.get(entryUser(".probe", SecretToken))
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	return err
}

// deleteChunks removes the chunks a head value points to, best effort:
// a left-over chunk is unreachable garbage, never a wrong secret.
func (s *Secrets) deleteChunks(head, marker string) {
	gen, n, _, ok := parseMarker(marker)
	if !ok {
		return
	}
	for i := range n {
		_ = s.del(chunkUser(head, gen, i))
	}
}

func parseMarker(v string) (gen string, n int, sum string, ok bool) {
	if !strings.HasPrefix(v, chunkPrefix) {
		return "", 0, "", false
	}
	f := strings.Split(strings.TrimPrefix(v, chunkPrefix), ":")
	if len(f) != 3 {
		return "", 0, "", false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > 1000 {
		return "", 0, "", false
	}
	return f[0], n, f[2], true
}

func newGeneration() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("keyring: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// splitUTF8 cuts s into parts of at most max bytes without splitting a
// character (the Secret Service only takes valid UTF-8 strings).
func splitUTF8(s string, max int) []string {
	var parts []string
	for len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}

// The three calls below go through the timeout and turn the keyring's
// errors into ErrSecretNotFound or a KeyringError.

func (s *Secrets) set(user, value string) error {
	return s.call(func() error { return s.kr.Set(KeyringService, user, value) })
}

func (s *Secrets) del(user string) error {
	return s.call(func() error { return s.kr.Delete(KeyringService, user) })
}

func (s *Secrets) get(user string) (string, error) {
	var v string
	err := s.call(func() error {
		var err error
		v, err = s.kr.Get(KeyringService, user)
		return err
	})
	return v, err
}

// call runs fn with a deadline. On timeout the call goes on in the
// background (the keyring API cannot be cancelled) and is abandoned.
func (s *Secrets) call(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return classifyKeyringError(err)
	case <-timer.C:
		return &KeyringError{Reason: fmt.Sprintf("no answer within %s (a locked keyring "+
			"may be waiting for an unlock prompt that cannot be shown); unlock the "+
			"keyring or start a desktop session", s.timeout)}
	}
}

func classifyKeyringError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound), errors.Is(err, ErrSecretNotFound):
		return ErrSecretNotFound
	case errors.Is(err, ErrKeyringUnavailable):
		return err
	default:
		return &KeyringError{Reason: err.Error()}
	}
}
