// Package engine composes robotbridge's parts into the running engine:
// settings, the robot with its packages, the site gate, the RobotJS bridge
// and the optional demo page. cmd/robotbridge only parses flags and calls
// Run.
package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"robotbridge/assets/samples"
	"robotbridge/bridge"
	"robotbridge/config"
	"robotbridge/consent"
	"robotbridge/control"
	"robotbridge/feed"
	"robotbridge/robot"
)

// Options are the command-line choices; they add to or override the
// settings file.
type Options struct {
	ConfigDir     string   // empty: config.DefaultDir()
	Port          int      // discovery port; 0: settings or 2323; -1: a free port
	APIPort       int      // -1: settings; 0: a free port
	AllowOrigins  []string // added to the settings' list
	AllowlistEnv  string   // UIPATH_ROBOTJS_ALLOWLIST
	PackagesDir   string   // overrides settings
	DemoAddr      string   // serve the demo page here ("" = no demo)
	Ready         io.Writer
	ProcessLimits robot.Limits
	Orchestrator  OrchestratorOptions
}

// DefaultPort is the RobotJS discovery port.
const DefaultPort = 2323

// Run starts the engine and serves until ctx ends.
func Run(ctx context.Context, opts Options) error {
	dir, err := configDir(opts)
	if err != nil {
		return err
	}
	settings, err := config.Load(dir)
	if err != nil {
		return err
	}
	origins, err := allowedOrigins(settings, opts)
	if err != nil {
		return err
	}

	// The control socket is also the one-engine-per-config-dir lock: take
	// it before touching the history, pins or sites a running engine owns.
	ctl, err := control.Listen(control.SocketPath(dir))
	if err != nil {
		return err
	}
	defer ctl.Close()

	events := feed.New(4096)
	bot, err := newRobot(dir, settings, opts, events)
	if err != nil {
		return err
	}
	defer bot.History().Close()
	folder := watchPackages(ctx, bot, dir, settings, opts)

	listeners, err := bridge.Listen(pick(opts.Port, settings.Port, DefaultPort),
		pickAPI(opts.APIPort, settings.APIPort))
	if err != nil {
		return err
	}

	var demo *demoServer
	if opts.DemoAddr != "" {
		demo, err = startDemo(opts.DemoAddr, listeners.DiscoveryPort())
		if err != nil {
			listeners.Close()
			return err
		}
		defer demo.Close()
		origins = append(origins, demo.Origin)
	}

	gate, err := consent.Open(consent.Options{
		PreApproved: origins,
		SitesFile:   consent.SitesPath(dir),
		Write:       config.WriteFileAtomic,
		OnPending: func(p consent.Pending) {
			logPending(p)
			events.Publish(feed.Event{Type: feed.ConsentPending, Origin: p.Origin, Code: p.Code})
		},
	})
	if err != nil {
		listeners.Close()
		return err
	}
	server := bridge.New(bridge.Config{Feed: events}, bot, gate)
	e := &Engine{robot: bot, gate: gate, bridge: server, listeners: listeners, feed: events,
		folder: folder, configDir: dir,
		orch: newOrchestrators(ctx, dir, events, opts.Orchestrator)}
	go func() { _ = control.Serve(ctx, ctl, e.ControlHandler()) }()

	announce(opts.Ready, listeners, demo, origins)
	return server.Serve(ctx, listeners)
}

// Engine is the running engine as the control API sees it.
type Engine struct {
	robot     *robot.Robot
	gate      *consent.Gate
	bridge    *bridge.Server
	listeners *bridge.Listeners
	feed      *feed.Log
	folder    *robot.Folder
	configDir string     // where config.json and logs/ live
	settingMu sync.Mutex // one settings change at a time
	orch      *orchestrators
}

func configDir(opts Options) (string, error) {
	if opts.ConfigDir != "" {
		return opts.ConfigDir, nil
	}
	return config.DefaultDir()
}

// logPending tells whoever watches the log that a site asks for consent;
// the desktop app shows a dialog instead.
func logPending(p consent.Pending) {
	slog.Warn("engine: a site asks to use the robot; approve with "+
		"`robotbridge sites approve CODE` if the page shows the same code",
		"origin", p.Origin, "code", p.Code)
}

// allowedOrigins merges the pre-approved sites from settings, flags and
// the UIPATH_ROBOTJS_ALLOWLIST variable; a malformed entry stops start-up
// with a message naming it.
func allowedOrigins(s config.Settings, opts Options) ([]string, error) {
	var origins []string
	for _, o := range append(append([]string{}, s.AllowedOrigins...), opts.AllowOrigins...) {
		n, err := consent.NormalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("allowed origin: %w", err)
		}
		origins = append(origins, n)
	}
	fromEnv, err := consent.ParseOriginList(opts.AllowlistEnv)
	if err != nil {
		return nil, fmt.Errorf("UIPATH_ROBOTJS_ALLOWLIST: %w", err)
	}
	return append(origins, fromEnv...), nil
}

func newRobot(dir string, s config.Settings, opts Options, events *feed.Log) (*robot.Robot, error) {
	limits := opts.ProcessLimits
	if limits.MaxMessageBytes == 0 && s.MaxMessageMiB > 0 {
		limits.MaxMessageBytes = s.MaxMessageMiB << 20
	}
	ropts := robot.Options{
		Limits:         limits,
		Feed:           events,
		StateDir:       dir,
		MaxForeground:  s.MaxAttendedJobs,
		RefuseWhenBusy: s.RefuseWhenBusy,
		DefaultTimeout: time.Duration(s.JobTimeoutSeconds) * time.Second,
	}
	if s.JobLogs {
		ropts.JobLogDir = filepath.Join(dir, "logs")
	}
	bot, err := robot.New(ropts)
	if err != nil {
		return nil, err
	}

	pkgs, err := samples.Packages()
	if err != nil {
		return nil, fmt.Errorf("embedded samples: %w", err)
	}
	bot.Install(pkgs...)

	return bot, nil
}

// watchPackages keeps the packages folder installed: scanned once now,
// then every two seconds. Without a configured folder it is "packages" in
// the config directory, where packages installed from an Orchestrator go.
func watchPackages(ctx context.Context, bot *robot.Robot, configDir string,
	s config.Settings, opts Options) *robot.Folder {
	dir := opts.PackagesDir
	if dir == "" {
		dir = s.PackagesDir
	}
	if dir == "" {
		dir = filepath.Join(configDir, "packages")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			slog.Warn("engine: cannot create the packages folder", "dir", dir, "err", err)
		}
	}
	folder := &robot.Folder{Dir: dir, Robot: bot,
		CacheDir: filepath.Join(configDir, "cache", "packages")}
	folder.Scan()
	go folder.Watch(ctx, 2*time.Second)
	return folder
}

func pick(flag, setting, def int) int {
	if flag < 0 {
		return 0 // any free port
	}
	if flag > 0 {
		return flag
	}
	if setting > 0 {
		return setting
	}
	return def
}

func pickAPI(flag, setting int) int {
	if flag >= 0 {
		return flag
	}
	return setting
}

// announce prints where the engine listens; tests and `make run` read it.
func announce(w io.Writer, ls *bridge.Listeners, demo *demoServer, origins []string) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "robotbridge: discovery on http://localhost:%d, API on http://localhost:%d\n",
		ls.DiscoveryPort(), ls.APIPort())
	fmt.Fprintf(w, "robotbridge: %d pre-approved site(s)\n", len(origins))
	if demo != nil {
		fmt.Fprintf(w, "robotbridge: demo page at %s/\n", demo.Origin)
	}
}
