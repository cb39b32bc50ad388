package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"robotbridge/engine"
	"robotbridge/userservice"
)

const serviceUsage = `usage: robotbridge service COMMAND
  install     install the engine as your user service, started at login
  uninstall   stop it and remove it
  start       start it now
  stop        stop it now
  status      is it installed, is it running
  run         what the service manager runs (not for people)`

// serviceCmd manages the engine's user service.
func serviceCmd(args []string) error {
	if len(args) != 1 {
		return errors.New(serviceUsage)
	}
	svc, err := userservice.New(userservice.Config{})
	if err != nil {
		return err
	}

	switch args[0] {
	case "install":
		return report(svc.Install(), "Installed the robotbridge user service; it starts at "+
			"your next login (or now with `robotbridge service start`).")
	case "uninstall":
		return report(svc.Uninstall(), "Removed the robotbridge user service.")
	case "start":
		return report(svc.Start(), "Started the robotbridge user service.")
	case "stop":
		return report(svc.Stop(), "Stopped the robotbridge user service.")
	case "status":
		return serviceStatus(svc)
	case "run":
		return serviceRun(svc)
	}
	return errors.New(serviceUsage)
}

func report(err error, done string) error {
	if err != nil {
		return err
	}
	fmt.Println(done)
	return nil
}

func serviceStatus(svc *userservice.Service) error {
	st, err := svc.Status()
	switch {
	case errors.Is(err, userservice.ErrNoManager):
		fmt.Println("service manager: none that runs user services here")
		return err
	case errors.Is(err, userservice.ErrNotInstalled):
		fmt.Printf("service: not installed (%s); `robotbridge service install` installs it\n",
			svc.Platform())
		return nil
	case err != nil:
		return err
	}
	fmt.Printf("service: installed, %s (%s)\n", st, svc.Platform())
	return nil
}

// serviceRun is the engine under the service manager, with the settings
// file's options and warnings logged to stderr (the manager keeps them:
// the journal on Linux).
func serviceRun(svc *userservice.Service) error {
	if err := setupLogging("warn"); err != nil {
		return err
	}
	opts := engine.Options{APIPort: -1, AllowlistEnv: os.Getenv("UIPATH_ROBOTJS_ALLOWLIST")}
	return svc.Run(func(ctx context.Context) error { return engine.Run(ctx, opts) })
}
