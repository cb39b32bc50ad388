//go:build cgo || ci

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"robotbridge/config"
	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/orchestrator"
	"robotbridge/ui"
	"robotbridge/userservice"
)

// Engine start-up and shutdown limits for an engine the app runs itself.
const (
	engineStartWait = 10 * time.Second
	engineStopWait  = 6 * time.Second // the robot's stop grace is 5 s
)

// gui runs the desktop app. It uses the engine that answers on the
// control socket (the user service, or `robotbridge serve`), or runs one
// inside this process until the app quits.
func gui(args []string) error {
	fs := flag.NewFlagSet("gui", flag.ContinueOnError)
	opts := engine.Options{APIPort: -1}
	var origins originList
	// The engine flags apply to an engine the app starts itself.
	fs.StringVar(&opts.ConfigDir, "config-dir", "", "config directory (default: the user's)")
	fs.IntVar(&opts.Port, "port", 0, "discovery port (default 2323; -1: any free port)")
	fs.StringVar(&opts.PackagesDir, "packages", "", "folder of process packages")
	fs.Var(&origins, "allow-origin", "pre-approve a site (repeatable)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	shots := fs.String("screenshots", "",
		"visit every tab, wait for scripts/gui-screenshots.sh to grab it, then quit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	plainLocaleToEnglish()
	logs := ui.NewLogBuffer(2000)
	if err := setupGUILogging(*logLevel, logs); err != nil {
		return err
	}
	if opts.ConfigDir == "" {
		dir, err := config.DefaultDir()
		if err != nil {
			return err
		}
		opts.ConfigDir = dir
	}
	opts.AllowOrigins = origins
	opts.AllowlistEnv = os.Getenv("UIPATH_ROBOTJS_ALLOWLIST")
	opts.Ready = io.Discard

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	api := ui.NewAPI(control.NewClient(control.SocketPath(opts.ConfigDir)))
	secrets := orchestrator.NewSecrets(orchestrator.SystemKeyring(), 0)
	uiOpts := ui.Options{API: api, Logs: logs, ConfigDir: opts.ConfigDir, ScreenshotDir: *shots,
		Connections: orchestrator.NewStore(opts.ConfigDir, secrets, slog.Default())}
	if svc, err := userservice.New(userservice.Config{}); err == nil {
		uiOpts.Autostart = serviceAutostart{svc}
	}

	if _, err := api.Status(); err != nil {
		inProcess := startEngine(ctx, opts, api)
		defer inProcess.stop()
		uiOpts.InProcess, uiOpts.EngineDone = true, inProcess.done
	}
	return ui.Run(ctx, uiOpts)
}

// setupGUILogging logs to stderr and into the Logs tab's buffer.
func setupGUILogging(level string, logs *ui.LogBuffer) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: l}
	slog.SetDefault(slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(os.Stderr, o), slog.NewTextHandler(logs, o))))
	return nil
}

// inProcessEngine is an engine this app runs and stops.
type inProcessEngine struct {
	cancel   context.CancelFunc
	done     chan error    // the engine's result, for the app
	finished chan struct{} // closed when the engine returned
}

// startEngine runs the engine in a goroutine and waits until its control
// socket answers, it fails, or engineStartWait passes (the app then shows
// what happened).
func startEngine(ctx context.Context, opts engine.Options, api *ui.API) *inProcessEngine {
	ctx, cancel := context.WithCancel(ctx)
	e := &inProcessEngine{cancel: cancel, done: make(chan error, 1), finished: make(chan struct{})}
	go func() {
		defer close(e.finished)
		e.done <- engine.Run(ctx, opts)
	}()

	deadline := time.Now().Add(engineStartWait)
	for time.Now().Before(deadline) {
		if _, err := api.Status(); err == nil {
			return e
		}
		select {
		case <-e.finished:
			return e // failed at start-up; the app shows e.done's error
		case <-time.After(50 * time.Millisecond):
		}
	}
	return e
}

// stop ends the engine and waits a bounded time for it.
func (e *inProcessEngine) stop() {
	e.cancel()
	select {
	case <-e.finished:
	case <-time.After(engineStopWait):
		slog.Warn("gui: the engine did not stop in time", "wait", engineStopWait)
	}
}

// serviceAutostart is "start at login" backed by the user service.
type serviceAutostart struct{ s *userservice.Service }

func (a serviceAutostart) Enabled() (bool, error) {
	_, err := a.s.Status()
	if errors.Is(err, userservice.ErrNotInstalled) {
		return false, nil
	}
	return err == nil, err
}

func (a serviceAutostart) SetEnabled(on bool) error {
	if on {
		return a.s.Install()
	}
	return a.s.Uninstall()
}

// plainLocaleToEnglish tells Fyne to use English when the locale is the
// plain C/POSIX one (services, CI, minimal systems): Fyne cannot parse "C"
// as a language and prints an error at every start otherwise.
func plainLocaleToEnglish() {
	if os.Getenv("LANGUAGE") != "" || os.Getenv("LC_ALL") != "" {
		return
	}
	switch lang := os.Getenv("LANG"); {
	case lang == "", lang == "C", lang == "POSIX", strings.HasPrefix(lang, "C."):
		os.Setenv("LANGUAGE", "en")
	}
}
