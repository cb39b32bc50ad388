package orchestratortest

import (
	"sort"
	"sync"

	"github.com/zalando/go-keyring"
)

// Keyring is an in-memory OS keyring. Like Windows Credential Manager it
// refuses values longer than MaxBytes (0: no limit). Set Err to make
// every call fail (a keyring that is unavailable), or Block to make every
// call wait until the channel is closed (a locked keyring waiting for an
// unlock prompt).
type Keyring struct {
	MaxBytes int
	Err      error
	Block    chan struct{}

	mu      sync.Mutex // guards entries
	entries map[[2]string]string
}

// NewKeyring returns an empty keyring with Windows' 2,560-byte limit.
func NewKeyring() *Keyring {
	return &Keyring{MaxBytes: 2560, entries: map[[2]string]string{}}
}

func (k *Keyring) wait() error {
	if k.Block != nil {
		<-k.Block
	}
	return k.Err
}

func (k *Keyring) Set(service, user, secret string) error {
	if err := k.wait(); err != nil {
		return err
	}
	if k.MaxBytes > 0 && len(secret) > k.MaxBytes {
		return keyring.ErrSetDataTooBig
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.entries[[2]string{service, user}] = secret
	return nil
}

func (k *Keyring) Get(service, user string) (string, error) {
	if err := k.wait(); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.entries[[2]string{service, user}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *Keyring) Delete(service, user string) error {
	if err := k.wait(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	key := [2]string{service, user}
	if _, ok := k.entries[key]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.entries, key)
	return nil
}

// Users lists the entry names (user fields) of a service, sorted.
func (k *Keyring) Users(service string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key := range k.entries {
		if key[0] == service {
			out = append(out, key[1])
		}
	}
	sort.Strings(out)
	return out
}

// Values returns every stored value, for tests that look for leaks.
func (k *Keyring) Values() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for _, v := range k.entries {
		out = append(out, v)
	}
	return out
}
