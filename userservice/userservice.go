// Package userservice runs robotbridge's engine as a user-level service of
// the operating system's service manager (a systemd user unit on Linux, a
// launchd agent on macOS), through github.com/kardianos/service. It
// installs, removes, starts, stops and reports the service, and runs the
// engine under the manager following the library's contract: Start
// returns at once, Stop finishes within a few seconds.
package userservice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kardianos/service"
)

// DefaultName is the service's name (the unit is robotbridge.service).
const DefaultName = "robotbridge"

// stopWait bounds how long Stop waits for the engine to end.
const stopWait = 5 * time.Second

// Managers that run per-user services, by kardianos platform name.
var userManagers = map[string]bool{"linux-systemd": true, "darwin-launchd": true}

// ErrNoManager means this computer has no service manager that runs
// user services (for example a container without systemd).
var ErrNoManager = errors.New("no service manager for user services is available here")

// ErrNotInstalled means the service is not installed.
var ErrNotInstalled = errors.New("the robotbridge user service is not installed")

// State is the service's state as the manager reports it.
type State string

// Service states.
const (
	Running State = "running"
	Stopped State = "stopped"
	Unknown State = "unknown"
)

// Config names the service and what it runs. Zero fields get defaults.
type Config struct {
	Name       string   // DefaultName when empty
	Executable string   // os.Executable() when empty
	Arguments  []string // what the manager passes; default: service run
	Logger     *slog.Logger
}

// Service is the engine's user service.
type Service struct {
	name     string
	platform string
	svc      service.Service
	prog     *program
	log      *slog.Logger
}

// New describes the service; it touches nothing yet.
func New(cfg Config) (*Service, error) {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.Arguments == nil {
		cfg.Arguments = []string{"service", "run"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	prog := &program{log: cfg.Logger}
	svc, err := service.New(prog, &service.Config{
		Name:        cfg.Name,
		DisplayName: "robotbridge engine",
		Description: "robotbridge: runs automation processes for web pages on this computer",
		Executable:  cfg.Executable,
		Arguments:   cfg.Arguments,
		Option: service.KeyValue{
			"UserService":   true,
			"SystemdScript": systemdUserUnit,
			"KeepAlive":     true, // launchd: restart after a crash
			"RunAtLoad":     true, // launchd: start at login
			"RunWait":       prog.waitForEnd,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("user service: %w", err)
	}
	return &Service{name: cfg.Name, platform: service.Platform(), svc: svc, prog: prog,
		log: cfg.Logger}, nil
}

// Platform names the service manager found (e.g. linux-systemd).
func (s *Service) Platform() string { return s.platform }

// Available returns nil when a user service manager runs here, else an
// error wrapping ErrNoManager that says what to do instead.
func (s *Service) Available() error {
	if userManagers[s.platform] {
		return nil
	}
	found := s.platform
	if found == "" {
		found = "none"
	}
	return fmt.Errorf("%w (found: %s); start `robotbridge serve` from your session's "+
		"autostart instead, or just run `robotbridge`", ErrNoManager, found)
}

// Install writes the service definition and enables it at login. It does
// not start it (an engine may be running in the desktop app right now).
func (s *Service) Install() error {
	if err := s.Available(); err != nil {
		return err
	}
	if err := s.svc.Install(); err != nil {
		return s.managerError("install", err)
	}
	return nil
}

// Uninstall stops the service if it runs and removes its definition.
func (s *Service) Uninstall() error {
	if err := s.Available(); err != nil {
		return err
	}
	_ = s.svc.Stop() // not running is fine; removal is what counts
	if err := s.svc.Uninstall(); err != nil {
		return s.managerError("uninstall", err)
	}
	return nil
}

// Start starts the installed service now.
func (s *Service) Start() error {
	if err := s.Available(); err != nil {
		return err
	}
	return s.managerError("start", s.svc.Start())
}

// Stop stops the running service.
func (s *Service) Stop() error {
	if err := s.Available(); err != nil {
		return err
	}
	return s.managerError("stop", s.svc.Stop())
}

// Status reports whether the service runs. A service that is not
// installed gives ErrNotInstalled; no manager gives ErrNoManager.
func (s *Service) Status() (State, error) {
	if err := s.Available(); err != nil {
		return Unknown, err
	}
	st, err := s.svc.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return Unknown, ErrNotInstalled
	case err != nil:
		return Unknown, s.managerError("status", err)
	case st == service.StatusRunning:
		return Running, nil
	case st == service.StatusStopped:
		return Stopped, nil
	}
	return Unknown, nil
}

// managerError explains a failed manager call; nil stays nil.
func (s *Service) managerError(action string, err error) error {
	if err == nil {
		return nil
	}
	hint := ""
	if s.platform == "linux-systemd" {
		hint = "; check that your user manager runs: systemctl --user status"
	}
	return fmt.Errorf("user service %s: %s failed: %w%s", s.name, action, err, hint)
}

// Run runs work under the service manager until the manager stops the
// service (work's ctx is cancelled, and Run waits up to a few seconds for
// it to return) or work ends by itself (its error is returned).
func (s *Service) Run(work func(ctx context.Context) error) error {
	s.prog.work = work
	s.prog.done = make(chan error, 1)
	if err := s.svc.Run(); err != nil {
		return err
	}
	return s.prog.err
}

// program is the kardianos Interface: Start launches the work in a
// goroutine, Stop cancels it and waits a bounded time.
type program struct {
	log    *slog.Logger
	work   func(ctx context.Context) error
	done   chan error
	cancel context.CancelFunc
	err    error // what work returned; read after Run
}

var _ service.Interface = (*program)(nil)

func (p *program) Start(service.Service) error {
	if p.work == nil {
		return errors.New("user service: nothing to run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- p.work(ctx) }()
	return nil
}

func (p *program) Stop(service.Service) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	select {
	case err := <-p.done:
		p.err = err
	case <-time.After(stopWait):
		p.log.Warn("userservice: the engine did not stop in time", "wait", stopWait)
	}
	return nil
}

// waitForEnd is the RunWait option: it returns on SIGINT or SIGTERM (the
// manager's stop) or when the work ended by itself.
func (p *program) waitForEnd() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case err := <-p.done:
		p.err = err
		p.done <- err // Stop reads it again
	}
}
