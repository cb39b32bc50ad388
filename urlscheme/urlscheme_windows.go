package urlscheme

import (
	"fmt"
	"os/exec"
)

// Dirs is unused on Windows: the registration lives in the registry.
type Dirs struct{}

// DefaultDirs returns nothing to configure on Windows.
func DefaultDirs() (Dirs, error) { return Dirs{}, nil }

// Install registers the scheme for the current user under
// HKCU\Software\Classes\uipath-web (no administrator rights needed).
// Untested here: CI runs on Linux.
func Install(_ Dirs, exe string, _ func(string, []byte) error) error {
	key := `HKCU\Software\Classes\` + Scheme
	steps := [][]string{
		{"add", key, "/ve", "/d", "URL:robotbridge consent", "/f"},
		{"add", key, "/v", "URL Protocol", "/d", "", "/f"},
		{"add", key + `\shell\open\command`, "/ve", "/d",
			fmt.Sprintf(`"%s" consent "%%1"`, exe), "/f"},
	}
	for _, args := range steps {
		if out, err := exec.Command("reg", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("reg %v: %v: %s", args, err, out)
		}
	}
	return nil
}

// Uninstall removes the registration.
func Uninstall(_ Dirs, _ func(string, []byte) error) error {
	key := `HKCU\Software\Classes\` + Scheme
	if out, err := exec.Command("reg", "delete", key, "/f").CombinedOutput(); err != nil {
		return fmt.Errorf("reg delete %s: %v: %s", key, err, out)
	}
	return nil
}
