package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"robotbridge/control"
	"robotbridge/orchestrator"
)

// orchestratorRoutes serves Orchestrator processes and jobs through the
// engine's connections (docs/orchestrator.md, "From the engine").
func (e *Engine) orchestratorRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/orchestrator/processes", e.orchProcesses)
	mux.HandleFunc("GET /v1/orchestrator/jobs", e.orchJobs)
	mux.HandleFunc("POST /v1/orchestrator/jobs", e.orchRun)
	mux.HandleFunc("POST /v1/orchestrator/jobs/{connection}/{id}/stop", e.orchStop)
	mux.HandleFunc("POST /v1/orchestrator/install", e.orchInstall)
}

// OrchestratorProcess is one process (release) of an Orchestrator folder.
type OrchestratorProcess struct {
	Name        string          `json:"name"`
	Key         string          `json:"key"`
	ProcessKey  string          `json:"processKey"`
	Version     string          `json:"version"`
	Description string          `json:"description,omitempty"`
	Folder      string          `json:"folder"`
	Inputs      []ArgumentEntry `json:"inputs"`
	Outputs     []ArgumentEntry `json:"outputs"`
}

// OrchestratorRunRequest starts a job in an Orchestrator.
type OrchestratorRunRequest struct {
	Connection string `json:"connection"`
	Folder     string `json:"folder,omitempty"` // "": the connection's default folder
	Process    string `json:"process"`          // release name or package id
	// Arguments are the input arguments; sent, never logged.
	Arguments map[string]any `json:"arguments,omitempty"`
}

// OrchestratorJob is a job the engine follows, or one that ended lately
// (with its outputs: the control API is the local user's own).
type OrchestratorJob struct {
	Connection string         `json:"connection"`
	Folder     string         `json:"folder"`
	Process    string         `json:"process"`
	ID         string         `json:"id"`
	State      string         `json:"state"`
	Error      string         `json:"error,omitempty"`
	Output     map[string]any `json:"output,omitempty"`
	Created    time.Time      `json:"created"`
	Ended      time.Time      `json:"ended,omitzero"`
}

// entry is the job for the control API; orchestrators.mu is held.
func (j *orchJob) entry() OrchestratorJob {
	return OrchestratorJob{Connection: j.key.conn, Folder: j.folder, Process: j.process,
		ID: strconv.FormatInt(j.key.id, 10), State: j.state, Error: j.err, Output: j.output,
		Created: j.created, Ended: j.ended}
}

func (e *Engine) orchProcesses(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := e.orch.connection(q.Get("connection"))
	if err != nil {
		writeOrchError(w, err)
		return
	}
	folder, err := folderOf(c, q.Get("folder"))
	if err != nil {
		writeOrchError(w, err)
		return
	}
	scope, err := c.client.ResolveFolder(r.Context(), folder)
	if err != nil {
		writeOrchError(w, err)
		return
	}
	rels, err := c.client.Releases(r.Context(), scope)
	if err != nil {
		writeOrchError(w, err)
		return
	}
	list := []OrchestratorProcess{}
	for _, rel := range rels {
		list = append(list, OrchestratorProcess{Name: rel.Name, Key: rel.Key,
			ProcessKey: rel.ProcessKey, Version: rel.ProcessVersion,
			Description: rel.Description, Folder: scope.Path,
			Inputs: arguments(rel.Inputs), Outputs: arguments(rel.Outputs)})
	}
	control.WriteJSON(w, http.StatusOK, list)
}

func arguments(list []orchestrator.Argument) []ArgumentEntry {
	out := []ArgumentEntry{}
	for _, a := range list {
		out = append(out, ArgumentEntry(a))
	}
	return out
}

func (e *Engine) orchJobs(w http.ResponseWriter, r *http.Request) {
	control.WriteJSON(w, http.StatusOK, e.orch.list())
}

func (e *Engine) orchRun(w http.ResponseWriter, r *http.Request) {
	var req OrchestratorRunRequest
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.Connection == "" || req.Process == "" {
		control.WriteError(w, http.StatusBadRequest, errors.New(`send {"connection": "prod", `+
			`"process": "InvoiceBot", "folder": "Finance/AP", "arguments": {...}}`))
		return
	}
	job, err := e.orch.start(r.Context(), req)
	if err != nil {
		writeOrchError(w, err)
		return
	}
	control.WriteJSON(w, http.StatusOK, job)
}

func (e *Engine) orchStop(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		control.WriteError(w, http.StatusBadRequest, errors.New("the job id is a number"))
		return
	}
	var req StopRequest
	_ = json.NewDecoder(r.Body).Decode(&req) // an empty body means a soft stop
	if err := e.orch.stop(r.Context(), r.PathValue("connection"), id, req.Kill); err != nil {
		writeOrchError(w, err)
		return
	}
	control.WriteJSON(w, http.StatusOK, struct{}{})
}

// writeOrchError answers an Orchestrator error with its remedy.
func writeOrchError(w http.ResponseWriter, err error) {
	if fix := orchestrator.Remedy(err); fix != "" {
		err = fmt.Errorf("%w (fix: %s)", err, fix)
	}
	control.WriteError(w, orchStatus(err), err)
}

func orchStatus(err error) int {
	is := func(targets ...error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
	switch {
	case is(orchestrator.ErrNoProfile, errNotFollowed, orchestrator.ErrNotFound):
		return http.StatusNotFound
	case is(orchestrator.ErrKeyringUnavailable):
		return http.StatusServiceUnavailable
	case is(orchestrator.ErrFolderRequired):
		return http.StatusBadRequest
	case is(orchestrator.ErrForbidden, orchestrator.ErrFolderAccess):
		return http.StatusForbidden
	case is(orchestrator.ErrNoRobot, errJobEnded):
		return http.StatusConflict
	}
	return http.StatusBadGateway
}
