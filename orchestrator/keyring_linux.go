package orchestrator

import (
	"os"
	"path/filepath"
)

// keyringPreflight fails fast when there is no D-Bus session bus to
// reach the Secret Service. Without this check the D-Bus library would try
// to start a bus of its own with dbus-launch, which leaks a daemon, and
// the error would not say what is missing.
func keyringPreflight() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil &&
			fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
	}
	return &KeyringError{Reason: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is " +
		"unset), so the Secret Service (GNOME Keyring, KWallet) cannot be reached; " +
		"run robotbridge in a desktop session, or on a server start one with " +
		"dbus-run-session and an unlocked gnome-keyring-daemon"}
}
