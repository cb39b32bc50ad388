//go:build !linux

package orchestrator

// keyringPreflight has nothing to check outside Linux: the Keychain and
// the Credential Manager are part of the user session.
func keyringPreflight() error { return nil }
