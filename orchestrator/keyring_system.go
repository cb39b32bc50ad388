package orchestrator

import "github.com/zalando/go-keyring"

// SystemKeyring is the OS keyring: the Secret Service on Linux (through
// D-Bus), the Keychain on macOS, the Credential Manager on Windows.
func SystemKeyring() Keyring { return systemKeyring{} }

type systemKeyring struct{}

func (systemKeyring) Set(service, user, secret string) error {
	if err := keyringPreflight(); err != nil {
		return err
	}
	return keyring.Set(service, user, secret)
}

func (systemKeyring) Get(service, user string) (string, error) {
	if err := keyringPreflight(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (systemKeyring) Delete(service, user string) error {
	if err := keyringPreflight(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}
