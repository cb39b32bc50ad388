package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"robotbridge/consent"
	"robotbridge/control"
	"robotbridge/feed"
	"robotbridge/robot"
)

// ControlHandler serves the control API (docs/control-api.md). It is only
// reachable through the user-only control socket.
func (e *Engine) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", e.status)
	mux.HandleFunc("GET /v1/sites", e.sites)
	mux.HandleFunc("GET /v1/sites/pending", e.pendingSites)
	mux.HandleFunc("POST /v1/sites/approve", e.codeAction(e.gate.Approve, "approved"))
	mux.HandleFunc("POST /v1/sites/deny", e.codeAction(e.gate.Deny, "denied"))
	mux.HandleFunc("POST /v1/bridge/pause", e.pause(true))
	mux.HandleFunc("POST /v1/bridge/resume", e.pause(false))
	mux.HandleFunc("POST /v1/sites/revoke", e.revoke)
	mux.HandleFunc("POST /v1/consent-link", e.consentLink)
	mux.HandleFunc("GET /v1/processes", e.processes)
	mux.HandleFunc("GET /v1/packages/problems", e.packageProblems)
	mux.HandleFunc("POST /v1/processes/use", e.useVersion)
	mux.HandleFunc("GET /v1/jobs", e.jobs)
	mux.HandleFunc("POST /v1/jobs", e.runJob)
	mux.HandleFunc("GET /v1/jobs/{id}", e.getJob)
	mux.HandleFunc("POST /v1/jobs/{id}/stop", e.stopJob)
	mux.HandleFunc("GET /v1/events", e.events)
	e.settingsRoutes(mux)
	e.orchestratorRoutes(mux)
	return mux
}

// Status is the engine's state for `robotbridge status` and the tray.
type Status struct {
	DiscoveryPort int            `json:"discoveryPort"`
	APIPort       int            `json:"apiPort"`
	LastContact   *ContactInfo   `json:"lastContact,omitempty"`
	Pending       int            `json:"pendingConsents"`
	Jobs          map[string]int `json:"jobs"`
	Paused        bool           `json:"paused"`
	// LastEvent is the newest event's seq: follow from here with
	// /v1/events?after=LastEvent to see only what happens next.
	LastEvent uint64 `json:"lastEvent"`
}

// ContactInfo is the last browser contact.
type ContactInfo struct {
	Origin string    `json:"origin"`
	At     time.Time `json:"at"`
	Served bool      `json:"served"`
}

func (e *Engine) status(w http.ResponseWriter, r *http.Request) {
	st := Status{
		DiscoveryPort: e.listeners.DiscoveryPort(),
		APIPort:       e.listeners.APIPort(),
		Pending:       len(e.gate.PendingRequests()),
		Jobs:          map[string]int{},
		LastEvent:     e.feed.Last(),
		Paused:        e.bridge.Paused(),
	}
	if c := e.bridge.LastContact(); !c.At.IsZero() {
		st.LastContact = &ContactInfo{Origin: c.Origin, At: c.At,
			Served: c.Verdict == consent.Allow}
	}
	for _, j := range e.robot.Jobs() {
		st.Jobs[string(j.State())]++
	}
	control.WriteJSON(w, http.StatusOK, st)
}

// SiteEntry is one approved site in the control API.
type SiteEntry struct {
	Origin      string    `json:"origin"`
	PreApproved bool      `json:"preApproved"`
	ApprovedAt  time.Time `json:"approvedAt,omitzero"`
	ExpiresAt   time.Time `json:"expiresAt,omitzero"`
}

func (e *Engine) sites(w http.ResponseWriter, r *http.Request) {
	list := []SiteEntry{}
	for _, s := range e.gate.Sites() {
		list = append(list, SiteEntry{s.Origin, s.PreApproved, s.ApprovedAt, s.ExpiresAt})
	}
	control.WriteJSON(w, http.StatusOK, list)
}

// PendingEntry is one waiting consent request.
type PendingEntry struct {
	Code    string    `json:"code"`
	Origin  string    `json:"origin"`
	Expires time.Time `json:"expires"`
	Error   string    `json:"error,omitempty"`
}

func pendingEntry(p consent.Pending) PendingEntry {
	return PendingEntry{Code: p.Code, Origin: p.Origin, Expires: p.Expires, Error: p.Err}
}

func (e *Engine) pendingSites(w http.ResponseWriter, r *http.Request) {
	list := []PendingEntry{}
	for _, p := range e.gate.PendingRequests() {
		list = append(list, pendingEntry(p))
	}
	control.WriteJSON(w, http.StatusOK, list)
}

// CodeRequest names a consent request: its code, and the site's origin
// when more than one site waits with the same code.
type CodeRequest struct {
	Code   string `json:"code"`
	Origin string `json:"origin,omitempty"`
}

func (e *Engine) codeAction(act func(code, origin string) (consent.Pending, error),
	verdict string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req CodeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Code == "" {
			control.WriteError(w, http.StatusBadRequest, errors.New(`send {"code": "123456"}`))
			return
		}
		p, err := act(req.Code, req.Origin)
		switch {
		case errors.Is(err, consent.ErrAmbiguousCode):
			control.WriteError(w, http.StatusConflict, err)
		case errors.Is(err, consent.ErrUnknownCode):
			control.WriteError(w, http.StatusNotFound, fmt.Errorf("code %s: %w", req.Code, err))
		case err != nil:
			control.WriteError(w, http.StatusInternalServerError, err)
		default:
			e.feed.Publish(feed.Event{Type: feed.ConsentDecided, Origin: p.Origin,
				Code: p.Code, State: verdict})
			control.WriteJSON(w, http.StatusOK, pendingEntry(p))
		}
	}
}

// pause pauses or resumes the bridge (the tray's "Pause" item).
func (e *Engine) pause(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.bridge.SetPaused(paused)
		state := map[bool]string{true: "paused", false: "resumed"}[paused]
		e.feed.Publish(feed.Event{Type: feed.BridgePaused, State: state})
		control.WriteJSON(w, http.StatusOK, struct{}{})
	}
}

// OriginRequest names a site.
type OriginRequest struct {
	Origin string `json:"origin"`
}

func (e *Engine) revoke(w http.ResponseWriter, r *http.Request) {
	var req OriginRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		control.WriteError(w, http.StatusBadRequest, errors.New(`send {"origin": "https://..."}`))
		return
	}
	if err := e.gate.Revoke(req.Origin); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, consent.ErrNotApproved) {
			status = http.StatusNotFound
		}
		control.WriteError(w, status, err)
		return
	}
	control.WriteJSON(w, http.StatusOK, struct{}{})
}

// LinkRequest carries a uipath-web:// link the OS handed to robotbridge.
type LinkRequest struct {
	URL string `json:"url"`
}

// LinkAnswer pairs the link with the request the bridge recorded.
type LinkAnswer struct {
	Pending    PendingEntry `json:"pending"`
	LinkOrigin string       `json:"linkOrigin"`
	// Mismatch is set when the link names another origin than the one
	// the bridge saw with the code: a sign of a forged link.
	Mismatch bool `json:"mismatch"`
}

// consentLink finds the waiting request a consent link belongs to. The
// browser opens the link before the page's first poll reaches the bridge,
// so it waits a few seconds for the code to appear.
func (e *Engine) consentLink(w http.ResponseWriter, r *http.Request) {
	var req LinkRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		control.WriteError(w, http.StatusBadRequest, errors.New(`send {"url": "uipath-web://..."}`))
		return
	}
	link, err := consent.ParseLink(req.URL)
	if err != nil {
		control.WriteError(w, http.StatusBadRequest, err)
		return
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := e.gate.Lookup(link.Code, "")
		if errors.Is(err, consent.ErrAmbiguousCode) {
			p, err = e.gate.Lookup(link.Code, link.Origin)
		}
		if err == nil {
			control.WriteJSON(w, http.StatusOK, LinkAnswer{Pending: pendingEntry(p),
				LinkOrigin: link.Origin, Mismatch: link.Origin != "" && link.Origin != p.Origin})
			return
		}
		if time.Now().After(deadline) || r.Context().Err() != nil {
			control.WriteError(w, http.StatusNotFound, fmt.Errorf("code %s: %w", link.Code, err))
			return
		}
		time.Sleep(100 * time.Millisecond) // the page's poll runs every 250 ms
	}
}

// ProcessEntry is one installed process: the pinned version that runs,
// and the other installed versions.
type ProcessEntry struct {
	Key         string          `json:"key"`
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Versions    []string        `json:"versions"`
	Newer       string          `json:"newerVersion,omitempty"`
	Source      string          `json:"source"`
	Description string          `json:"description"`
	Inputs      []ArgumentEntry `json:"inputs"`
	Problem     string          `json:"problem,omitempty"`
}

// ArgumentEntry is one input argument of a process's schema.
type ArgumentEntry struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Required   bool   `json:"required"`
	HasDefault bool   `json:"hasDefault"`
}

func (e *Engine) processes(w http.ResponseWriter, r *http.Request) {
	list := []ProcessEntry{}
	for _, info := range e.robot.Catalog() {
		list = append(list, processEntry(info))
	}
	control.WriteJSON(w, http.StatusOK, list)
}

// packageProblems lists packages of the packages folder that could not be
// installed, with the reason.
func (e *Engine) packageProblems(w http.ResponseWriter, r *http.Request) {
	list := append([]robot.PackageProblem{}, e.folder.Problems()...)
	control.WriteJSON(w, http.StatusOK, list)
}

func processEntry(info robot.ProcessInfo) ProcessEntry {
	p := info.Active
	if p == nil {
		return ProcessEntry{Name: info.Pinned, Version: info.Pinned, Versions: info.Versions,
			Inputs: []ArgumentEntry{}, Problem: "the pinned version " + info.Pinned +
				" is not installed"}
	}
	entry := ProcessEntry{Key: p.Key, Name: p.Name, Version: p.Version,
		Versions: info.Versions, Newer: info.Newer, Source: p.Source,
		Description: p.Description, Inputs: []ArgumentEntry{}}
	for _, a := range p.Inputs {
		entry.Inputs = append(entry.Inputs, ArgumentEntry(a))
	}
	return entry
}

// JobEntry is one job's metadata (never its arguments or outputs).
type JobEntry struct {
	ID      string    `json:"id"`
	Process string    `json:"process"`
	Version string    `json:"version"`
	Origin  string    `json:"origin"`
	State   string    `json:"state"`
	Created time.Time `json:"created"`
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	Error   string    `json:"error,omitempty"`
}

// jobs lists jobs from the history, newest first: ?limit= (default 50)
// and ?offset=.
func (e *Engine) jobs(w http.ResponseWriter, r *http.Request) {
	limit, offset := intParam(r, "limit", 50), intParam(r, "offset", 0)
	list := []JobEntry{}
	for _, rec := range e.robot.History().List(offset, limit) {
		list = append(list, JobEntry{ID: rec.ID, Process: rec.Process, Version: rec.Version,
			Origin: rec.Origin, State: string(rec.State), Created: rec.Created,
			Started: rec.Started, Ended: rec.Ended, Error: rec.Error})
	}
	control.WriteJSON(w, http.StatusOK, list)
}

func intParam(r *http.Request, name string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 0 {
		return def
	}
	return n
}

// UseRequest pins a process to an installed version.
type UseRequest struct {
	Process string `json:"process"` // key or name
	Version string `json:"version"`
}

func (e *Engine) useVersion(w http.ResponseWriter, r *http.Request) {
	var req UseRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		control.WriteError(w, http.StatusBadRequest, errors.New(`send {"process", "version"}`))
		return
	}
	pkg, err := e.findProcess(req.Process)
	if err != nil {
		control.WriteError(w, http.StatusNotFound, err)
		return
	}
	if err := e.robot.Use(pkg.Key, req.Version); err != nil {
		control.WriteError(w, http.StatusBadRequest, err)
		return
	}
	control.WriteJSON(w, http.StatusOK, struct{}{})
}
