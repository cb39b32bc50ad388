//go:build !cgo && !ci

package main

import "errors"

// gui is the desktop app, which needs cgo (OpenGL); this build has none.
func gui([]string) error {
	return errors.New("this robotbridge was built without the desktop app (CGO_ENABLED=0); " +
		"use `robotbridge serve`, or build with CGO_ENABLED=1 (make build)")
}
