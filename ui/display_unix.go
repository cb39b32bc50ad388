//go:build cgo && !ci && (linux || freebsd || openbsd || netbsd)

package ui

import (
	"errors"
	"os"
)

// checkDisplay says clearly when there is no graphical session; GLFW
// would otherwise panic with a stack trace.
func checkDisplay() error {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("no graphical display (DISPLAY and WAYLAND_DISPLAY are unset); " +
			"`robotbridge serve` runs the engine without a window")
	}
	return nil
}
