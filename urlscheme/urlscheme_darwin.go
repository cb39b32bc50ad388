package urlscheme

import "errors"

// Dirs is unused on macOS.
type Dirs struct{}

// DefaultDirs returns nothing to configure on macOS.
func DefaultDirs() (Dirs, error) { return Dirs{}, nil }

// errBundle explains how macOS registers URL schemes: through the app
// bundle's Info.plist, which `make package` (GUI issue) will write.
var errBundle = errors.New("on macOS the uipath-web scheme is registered by the " +
	"robotbridge.app bundle (CFBundleURLTypes in its Info.plist); install the app " +
	"bundle instead")

// Install is not possible from the command line on macOS.
func Install(_ Dirs, _ string, _ func(string, []byte) error) error { return errBundle }

// Uninstall is not possible from the command line on macOS.
func Uninstall(_ Dirs, _ func(string, []byte) error) error { return errBundle }
