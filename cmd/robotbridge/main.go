// Command robotbridge is the desktop robot bridge: the engine that serves
// RobotJS pages on localhost and runs process packages. This file only
// parses flags and wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"robotbridge/assets/samples"
	"robotbridge/engine"
)

const usage = `robotbridge: a local robot bridge for RobotJS web pages

Usage:
  robotbridge                      the desktop app (tray and window; gui -h for flags)
  robotbridge serve [flags]        run the engine without GUI (see -h)
  robotbridge service COMMAND      install|uninstall|start|stop|status the user service
  robotbridge status               is the engine running; last browser contact
  robotbridge processes            installed processes ("processes use NAME VERSION" pins one)
  robotbridge run PROCESS [JSON]   run a process and follow it to its end
  robotbridge jobs [--follow]      job history; stop|kill JOB; --follow streams events
  robotbridge connections COMMAND  add, list, remove and test Orchestrator connections
  robotbridge doctor [CONNECTION]  check connections and the local robot, one line per check
  robotbridge orchestrator run CONNECTION PROCESS [JSON]  run it in Orchestrator, follow to the end
  robotbridge relay [flags]        the webhook relay server; token|secret|register (relay help)
  robotbridge sites COMMAND        approve, deny, list and revoke sites
  robotbridge consent URL          handle a uipath-web:// consent link
  robotbridge protocol install     register robotbridge for uipath-web:// links
  robotbridge protocol uninstall   remove that registration
  robotbridge version              print the version

`

var version = "dev"

func main() {
	// The engine runs the embedded samples as child processes of this
	// same binary: "robotbridge sample NAME".
	samples.RunIfRequested()

	if len(os.Args) < 2 {
		os.Args = append(os.Args, "gui") // no arguments: the desktop app
	}

	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "gui":
		err = gui(args)
	case "service":
		err = serviceCmd(args)
	case "serve":
		err = serve(args)
	case "status":
		err = status(args)
	case "processes":
		err = processes(args)
	case "run":
		err = run(args)
	case "jobs":
		err = jobs(args)
	case "connections":
		err = connections(args)
	case "doctor":
		err = doctor(args)
	case "orchestrator":
		err = orchestratorCmd(args)
	case "relay":
		err = relayCmd(args)
	case "sites":
		err = sites(args)
	case "consent":
		err = consentLink(args)
	case "protocol":
		err = protocol(args)
	case "version":
		fmt.Println("robotbridge", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "robotbridge: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package printed the usage asked for
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "robotbridge:", err)
		os.Exit(1)
	}
}

// originList is a repeatable --allow-origin flag.
type originList []string

func (o *originList) String() string     { return strings.Join(*o, ",") }
func (o *originList) Set(v string) error { *o = append(*o, v); return nil }

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var opts engine.Options
	var origins originList
	fs.StringVar(&opts.ConfigDir, "config-dir", "",
		"config directory (default: the user config dir)")
	fs.IntVar(&opts.Port, "port", 0, "discovery port (default 2323)")
	fs.IntVar(&opts.APIPort, "api-port", -1,
		"API port; 0 picks a free one (default: settings, else free)")
	fs.Var(&origins, "allow-origin",
		"pre-approve a site, e.g. https://app.example.com (repeatable)")
	fs.StringVar(&opts.PackagesDir, "packages", "", "folder of process packages")
	fs.StringVar(&opts.DemoAddr, "demo", "",
		"serve the demo page on this loopback address, e.g. 127.0.0.1:2380")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	if err := setupLogging(*logLevel); err != nil {
		return err
	}
	opts.AllowOrigins = origins
	opts.AllowlistEnv = os.Getenv("UIPATH_ROBOTJS_ALLOWLIST")
	opts.Ready = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return engine.Run(ctx, opts)
}

func setupLogging(level string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})
	slog.SetDefault(slog.New(h))
	return nil
}
