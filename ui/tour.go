package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"
)

// Tour timing: how long to wait for the engine's lists, for the consent
// request the screenshot script sends, and how often to look.
const (
	tourLoadWait    = 30 * time.Second
	tourConsentWait = 60 * time.Second
	tourShotWait    = 20 * time.Second
	tourPoll        = 150 * time.Millisecond
)

// Files that pace the tour with scripts/gui-screenshots.sh: the tour
// writes loaded when the process list is in, and waits for start (the
// script has run jobs and approved a site); it writes tabs.done once every
// tab is captured, and the script then makes a site ask for consent.
const (
	tourLoadedFile = "loaded"
	tourStartFile  = "start"
	tourReadyFile  = "tabs.done"
)

// tour shows every tab and then a consent dialog, each until the script
// has grabbed it into dir, writes the names the process list shows into
// processes.txt, and quits the app.
func (u *ui) tour(ctx context.Context, dir string) error {
	err := u.runTour(ctx, dir)
	if err != nil {
		u.log.Error("ui: screenshot tour failed", "error", err)
	}
	u.do(u.Quit)
	return err
}

func (u *ui) runTour(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	loaded := func() bool { return len(u.procs.shown) > 0 }
	if err := u.waitUI(ctx, tourLoadWait, "the process list", loaded); err != nil {
		return err
	}
	names := strings.Join(onUI(u, u.procs.Names), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "processes.txt"), []byte(names), 0o644); err != nil {
		return err
	}
	if err := touch(dir, tourLoadedFile); err != nil {
		return err
	}
	started := func() bool { return exists(dir, tourStartFile) && u.consent.Count() == 0 }
	if err := u.waitUI(ctx, tourLoadWait, "the script's start signal", started); err != nil {
		return err
	}

	for _, name := range []string{"Processes", "Jobs", "Sites", "Connections", "Settings", "Logs"} {
		u.do(func() { u.showWindow(name); u.tourPrepare(name) })
		if err := u.capture(ctx, dir, "tab-"+strings.ToLower(name)); err != nil {
			return err
		}
	}
	u.do(func() { u.showWindow("Processes") })
	if err := touch(dir, tourReadyFile); err != nil {
		return err
	}
	asked := func() bool { return u.consent.Count() > 0 }
	if err := u.waitUI(ctx, tourConsentWait, "a consent request", asked); err != nil {
		return err
	}
	return u.capture(ctx, dir, "consent")
}

func touch(dir, name string) error {
	return os.WriteFile(filepath.Join(dir, name), nil, 0o644)
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// tourPrepare picks a process or a job on the shown tab so that the
// screenshot has its details (selecting in a hidden table confuses its
// scrolling).
func (u *ui) tourPrepare(tab string) {
	switch tab {
	case "Processes":
		for i, p := range u.procs.shown {
			if p.Name == "echo" {
				u.procs.list.Select(i)
			}
		}
	case "Jobs":
		u.jobs.table.Select(widget.TableCellID{Row: 0, Col: 1})
	}
}

// waitUI polls cond on the UI goroutine until it holds or time is up.
func (u *ui) waitUI(ctx context.Context, limit time.Duration, what string,
	cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !onUI(u, cond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up waiting %s for %s", limit, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tourPoll):
		}
	}
	return nil
}

// capture asks the screenshot script for a picture of the screen and
// waits until it is written. The script takes it from the X server (as a
// person sees it): reading back Fyne's own GL canvas gives a blank image
// under Xvfb's software OpenGL.
func (u *ui) capture(ctx context.Context, dir, name string) error {
	if err := touch(dir, "want-"+name); err != nil {
		return err
	}
	shot := func() bool { return exists(dir, name+".png") }
	return u.waitUI(ctx, tourShotWait, "the screenshot "+name+".png", shot)
}

// onUI runs f on the UI goroutine and returns its result.
func onUI[T any](u *ui, f func() T) T {
	ch := make(chan T, 1)
	u.do(func() { ch <- f() })
	return <-ch
}
