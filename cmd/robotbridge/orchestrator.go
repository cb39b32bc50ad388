package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"robotbridge/config"
	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
)

const orchestratorUsage = `usage:
  robotbridge orchestrator run CONNECTION PROCESS ['{"arg": "value"}'] [flags]
  robotbridge orchestrator install CONNECTION PROCESS [flags]

  run starts PROCESS in the Orchestrator of CONNECTION through the running
  engine and follows the job to its end, printing its states and output
  arguments; install downloads the version of PROCESS that its release pins
  from the Orchestrator's feed into the engine's packages folder, so it runs
  on this computer (pages see it in their process list)

flags:
  --folder PATH       the folder (default: the connection's default folder)
  --config-dir DIR    config directory of the engine (default: the user config dir)`

// orchestratorCmd runs Orchestrator jobs through the engine.
func orchestratorCmd(args []string) error {
	fs := flag.NewFlagSet("orchestrator", flag.ContinueOnError)
	dir := fs.String("config-dir", "", "config directory of the engine")
	folder := fs.String("folder", "", "the folder (default: the connection's)")
	rest, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if *dir == "" {
		if *dir, err = config.DefaultDir(); err != nil {
			return err
		}
	}
	c := control.NewClient(control.SocketPath(*dir))
	if len(rest) == 3 && rest[0] == "install" {
		return orchestratorInstall(c, engine.InstallRequest{Connection: rest[1],
			Process: rest[2], Folder: *folder})
	}
	if len(rest) < 3 || len(rest) > 4 || rest[0] != "run" {
		return errors.New(orchestratorUsage)
	}
	req := engine.OrchestratorRunRequest{Connection: rest[1], Process: rest[2],
		Folder: *folder}
	if len(rest) == 4 {
		dec := json.NewDecoder(strings.NewReader(rest[3]))
		dec.UseNumber()
		if err := dec.Decode(&req.Arguments); err != nil {
			return fmt.Errorf("input arguments must be one JSON object: %w", err)
		}
	}
	return orchestratorRun(c, req)
}

// orchestratorInstall installs a process from the Orchestrator's feed.
func orchestratorInstall(c *control.Client, req engine.InstallRequest) error {
	var got engine.InstallAnswer
	if err := c.Do("POST", "/v1/orchestrator/install", req, &got); err != nil {
		return err
	}
	fmt.Printf("Installed %s %s (process key %s) from %s into %s.\n", got.Name, got.Version,
		got.Key, req.Connection, got.File)
	return nil
}

// orchestratorRun starts the job and follows its events to the end.
func orchestratorRun(c *control.Client, req engine.OrchestratorRunRequest) error {
	after := uint64(0)
	var status engine.Status
	if err := c.Do("GET", "/v1/status", nil, &status); err == nil {
		after = status.LastEvent
	}
	var job engine.OrchestratorJob
	if err := c.Do("POST", "/v1/orchestrator/jobs", req, &job); err != nil {
		return err
	}
	fmt.Printf("job %s started (%s in folder %s of %s)\n", job.ID, job.Process, job.Folder,
		job.Connection)
	return followUntil(c, after, func(e feed.Event) (show, end bool) {
		mine := e.Type == feed.OrchestratorJobState && e.Connection == job.Connection &&
			e.JobID == job.ID
		return mine, mine && isEnd(e.State)
	})
}

// printOrchestratorEvent prints an Orchestrator job's state, with its
// error or output arguments at the end.
func printOrchestratorEvent(w io.Writer, at string, e feed.Event) {
	line := fmt.Sprintf("%s %s/%s %s: %s", at, e.Connection, e.JobID, e.Process, e.State)
	if e.Error != "" {
		line += ": " + e.Error
	}
	fmt.Fprintln(w, line)
	if len(e.Output) > 0 {
		out, _ := json.MarshalIndent(e.Output, "", "  ")
		fmt.Fprintf(w, "%s %s/%s output: %s\n", at, e.Connection, e.JobID, out)
	}
}
