package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"robotbridge/config"
	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
)

// API is the engine's control API as the desktop app uses it: the only way
// the app reaches the engine. Every method blocks on the control socket,
// so the app calls them off the UI goroutine (see ui.background).
type API struct {
	c *control.Client
}

// NewAPI wraps a control client.
func NewAPI(c *control.Client) *API { return &API{c: c} }

// Status is the engine's ports, pending consents and job counts.
func (a *API) Status() (engine.Status, error) {
	var st engine.Status
	return st, a.c.Do("GET", "/v1/status", nil, &st)
}

// SetPaused pauses (or resumes) the bridge: pages are refused meanwhile.
func (a *API) SetPaused(paused bool) error {
	path := "/v1/bridge/resume"
	if paused {
		path = "/v1/bridge/pause"
	}
	return a.c.Do("POST", path, nil, nil)
}

// Processes lists the installed processes with their input schemas.
func (a *API) Processes() ([]engine.ProcessEntry, error) {
	var list []engine.ProcessEntry
	return list, a.c.Do("GET", "/v1/processes", nil, &list)
}

// Jobs lists jobs, newest first.
func (a *API) Jobs() ([]engine.JobEntry, error) {
	var list []engine.JobEntry
	return list, a.c.Do("GET", "/v1/jobs", nil, &list)
}

// Job returns one job with its times and, while in memory, its output.
func (a *API) Job(id string) (engine.JobDetail, error) {
	var d engine.JobDetail
	return d, a.c.Do("GET", "/v1/jobs/"+url.PathEscape(id), nil, &d)
}

// Run starts a process (by key or name) with input arguments.
func (a *API) Run(process string, args map[string]any) (engine.JobDetail, error) {
	var d engine.JobDetail
	err := a.c.Do("POST", "/v1/jobs", engine.RunRequest{Process: process, Arguments: args}, &d)
	if err != nil {
		return d, fmt.Errorf("start %s: %w", process, err)
	}
	return d, nil
}

// Stop asks a job to stop; kill skips the polite stop.
func (a *API) Stop(id string, kill bool) error {
	err := a.c.Do("POST", "/v1/jobs/"+url.PathEscape(id)+"/stop", engine.StopRequest{Kill: kill}, nil)
	if err != nil {
		return fmt.Errorf("stop job %s: %w", id, err)
	}
	return nil
}

// JobLog returns a job's log text; the engine keeps logs only when job
// logs are on in Settings, and says so otherwise.
func (a *API) JobLog(id string) (string, error) {
	data, err := a.c.Get("/v1/jobs/" + url.PathEscape(id) + "/log")
	if err != nil {
		return "", fmt.Errorf("log of job %s: %w", id, err)
	}
	return string(data), nil
}

// Settings returns the engine's settings file (config.json).
func (a *API) Settings() (config.Settings, error) {
	var s config.Settings
	return s, a.c.Do("GET", "/v1/settings", nil, &s)
}

// SaveSettings replaces the engine's settings file; the engine reads it
// when it starts.
func (a *API) SaveSettings(s config.Settings) (engine.SettingsAnswer, error) {
	var ans engine.SettingsAnswer
	return ans, a.c.Do("PUT", "/v1/settings", s, &ans)
}

// Sites lists the approved and pre-approved sites.
func (a *API) Sites() ([]engine.SiteEntry, error) {
	var list []engine.SiteEntry
	return list, a.c.Do("GET", "/v1/sites", nil, &list)
}

// Pending lists the consent requests waiting for the user.
func (a *API) Pending() ([]engine.PendingEntry, error) {
	var list []engine.PendingEntry
	return list, a.c.Do("GET", "/v1/sites/pending", nil, &list)
}

// Decide approves or denies the consent request with this code.
func (a *API) Decide(code string, approve bool) (engine.PendingEntry, error) {
	action := "deny"
	if approve {
		action = "approve"
	}
	var p engine.PendingEntry
	if err := a.c.Do("POST", "/v1/sites/"+action, engine.CodeRequest{Code: code}, &p); err != nil {
		return p, fmt.Errorf("%s code %s: %w", action, code, err)
	}
	return p, nil
}

// Revoke withdraws a site's approval.
func (a *API) Revoke(origin string) error {
	err := a.c.Do("POST", "/v1/sites/revoke", engine.OriginRequest{Origin: origin}, nil)
	if err != nil {
		return fmt.Errorf("revoke %s: %w", origin, err)
	}
	return nil
}

// Events reads the engine's event stream after sequence number after and
// calls onEvent for each event, in order, on the calling goroutine. It
// returns when ctx ends (nil) or the stream breaks (the error).
func (a *API) Events(ctx context.Context, after uint64, onEvent func(feed.Event)) error {
	body, err := a.c.Stream(ctx, fmt.Sprintf("/v1/events?after=%d", after))
	if err != nil {
		return err
	}
	defer body.Close()

	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20) // output arguments may be large
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue // keepalive
		}
		var ev feed.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("event stream: bad line: %w", err)
		}
		onEvent(ev)
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("event stream: %w", err)
	}
	return fmt.Errorf("event stream: %w", errStreamEnded)
}

// OrchestratorProcesses lists the processes (releases) of a connection's
// folder ("": the connection's default folder).
func (a *API) OrchestratorProcesses(conn, folder string) ([]engine.OrchestratorProcess, error) {
	q := url.Values{"connection": {conn}}
	if folder != "" {
		q.Set("folder", folder)
	}
	var list []engine.OrchestratorProcess
	if err := a.c.Do("GET", "/v1/orchestrator/processes?"+q.Encode(), nil, &list); err != nil {
		return nil, fmt.Errorf("processes of %s: %w", conn, err)
	}
	return list, nil
}

// RunOrchestrator starts a job in an Orchestrator; the engine follows it
// and reports its states as orchestrator.job.state events.
func (a *API) RunOrchestrator(req engine.OrchestratorRunRequest) (engine.OrchestratorJob, error) {
	var j engine.OrchestratorJob
	if err := a.c.Do("POST", "/v1/orchestrator/jobs", req, &j); err != nil {
		return j, fmt.Errorf("start %s in %s: %w", req.Process, req.Connection, err)
	}
	return j, nil
}

// StopOrchestrator asks the Orchestrator to stop (or kill) a followed job.
func (a *API) StopOrchestrator(conn, id string, kill bool) error {
	path := "/v1/orchestrator/jobs/" + url.PathEscape(conn) + "/" + url.PathEscape(id) + "/stop"
	if err := a.c.Do("POST", path, engine.StopRequest{Kill: kill}, nil); err != nil {
		return fmt.Errorf("stop job %s/%s: %w", conn, id, err)
	}
	return nil
}
