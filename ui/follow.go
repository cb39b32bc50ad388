package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
	"robotbridge/feed"
)

// errStreamEnded means the engine closed the event stream.
var errStreamEnded = errors.New("the engine closed the stream")

// Reconnect backoff after the engine could not be reached.
const (
	retryFirst = time.Second
	retryMax   = 10 * time.Second
)

// follow keeps the app connected to the engine: it checks the engine
// answers, reloads every list, then applies the event stream until it
// breaks, and starts over after a growing pause. It returns when ctx ends.
func (u *ui) follow(ctx context.Context) {
	wait := retryFirst
	for ctx.Err() == nil {
		st, err := u.api.Status()
		if err == nil {
			wait = retryFirst
			u.do(func() { u.status.Up(st); u.reloadAll() })
			err = u.stream(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		u.log.Warn("ui: engine not reachable", "error", err, "retry", wait)
		down := fmt.Errorf("%w (trying again in %s)", err, wait)
		u.do(func() { u.status.Down(down) })

		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, retryMax)
	}
}

// stream applies events until the stream breaks. Events older than the
// connection are replayed history: they update lists only.
func (u *ui) stream(ctx context.Context) error {
	connected := time.Now().Add(-time.Second)
	return u.api.Events(ctx, 0, func(ev feed.Event) {
		live := !ev.At.Before(connected)
		u.do(func() { u.handleEvent(ev, live) })
	})
}

// watchEngine reports the end of an engine this app runs in-process.
func (u *ui) watchEngine(ctx context.Context) {
	select {
	case <-ctx.Done():
	case err := <-u.opts.EngineDone:
		if err == nil {
			err = errors.New("it stopped")
		}
		u.log.Error("ui: the engine inside the app stopped", "error", err)
		u.do(func() { u.status.Stopped(err) })
	}
}

// statusBar is the line under the tabs: is the engine there, where does
// it listen, how many jobs run.
type statusBar struct {
	u       *ui
	text    *widget.Label
	content fyne.CanvasObject
	st      engine.Status
	up      bool  // the engine answered last time
	down    bool  // the engine failed to answer (false while first connecting)
	stopped error // the in-process engine ended; final
}

func newStatusBar(u *ui) *statusBar {
	s := &statusBar{u: u, text: widget.NewLabel("Connecting to the engine…")}
	s.text.Truncation = fyne.TextTruncateEllipsis
	s.content = container.NewVBox(widget.NewSeparator(), s.text)
	return s
}

// Up records a fresh engine status.
func (s *statusBar) Up(st engine.Status) {
	s.st, s.up, s.down = st, true, false
	s.render()
}

// Down records that the engine cannot be reached.
func (s *statusBar) Down(err error) {
	s.up, s.down = false, true
	if s.stopped == nil {
		s.text.SetText("Engine not reachable: " + err.Error())
		s.text.Importance = widget.DangerImportance
		s.text.Refresh()
	}
	s.u.tray.Refresh()
}

// Stopped records that the in-process engine ended for good.
func (s *statusBar) Stopped(err error) {
	s.stopped, s.up, s.down = err, false, true
	s.text.SetText("The engine stopped: " + err.Error() + ". Quit and start robotbridge again.")
	s.text.Importance = widget.DangerImportance
	s.text.Refresh()
	s.u.tray.Refresh()
}

// SetPaused records that the bridge was paused or resumed.
func (s *statusBar) SetPaused(paused bool) {
	s.st.Paused = paused
	if s.up {
		s.render()
	}
	s.u.tray.Refresh()
}

// JobsChanged refreshes the running-jobs count.
func (s *statusBar) JobsChanged() {
	if s.up {
		s.render()
	}
}

func (s *statusBar) render() {
	s.text.SetText(statusLine(s.st, s.u.opts.InProcess, s.u.jobs.model.Running()))
	s.text.Importance = widget.MediumImportance
	s.text.Refresh()
}

// statusLine is the status bar's text for a reachable engine.
func statusLine(st engine.Status, inProcess bool, running int) string {
	where := "Using the engine that was already running"
	if inProcess {
		where = "Engine running inside this app"
	}
	jobs := "no job running"
	switch {
	case running == 1:
		jobs = "1 job running"
	case running > 1:
		jobs = fmt.Sprintf("%d jobs running", running)
	}
	line := fmt.Sprintf("%s · pages find it on localhost:%d · %s", where, st.DiscoveryPort, jobs)
	if st.Paused {
		line += " · PAUSED: pages are refused until you resume it"
	}
	return line
}
