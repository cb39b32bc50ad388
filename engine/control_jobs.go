package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"robotbridge/control"
	"robotbridge/feed"
	"robotbridge/robot"
)

// RunRequest starts a job from the CLI or the desktop app.
type RunRequest struct {
	Process   string         `json:"process"` // key or name
	Version   string         `json:"version"` // empty: the pinned version
	Arguments map[string]any `json:"arguments"`
}

// JobDetail is one job with what the control API may show: the local
// user's own tools see output arguments while the job is in memory.
type JobDetail struct {
	JobEntry
	Output map[string]any `json:"output,omitempty"`
}

func jobDetail(j *robot.Job) JobDetail {
	snap := j.Summary()
	d := JobDetail{
		JobEntry: JobEntry{ID: j.ID, Process: j.Package.Name, Version: j.Package.Version,
			Origin: j.Origin, State: string(snap.State), Created: j.Created,
			Started: snap.Started, Ended: snap.Ended},
		Output: snap.Output,
	}
	if snap.Err != nil {
		d.Error = snap.Err.Message
	}
	return d
}

func (e *Engine) findProcess(nameOrKey string) (*robot.Package, error) {
	if p, err := e.robot.Process(nameOrKey); err == nil {
		return p, nil
	}
	if key, ok := e.robot.KeyByName(nameOrKey); ok {
		return e.robot.Process(key)
	}
	for _, p := range e.folder.Problems() {
		base := strings.TrimSuffix(filepath.Base(p.Path), filepath.Ext(p.Path))
		if base == nameOrKey || strings.HasPrefix(base, nameOrKey+".") {
			return nil, fmt.Errorf("the package of %q is broken, so it is not installed: %s",
				nameOrKey, p.Error)
		}
	}
	return nil, errors.New("no process named or keyed " + strconv.Quote(nameOrKey) +
		"; `robotbridge processes` lists them")
}

func (e *Engine) runJob(w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		control.WriteError(w, http.StatusBadRequest,
			errors.New(`send {"process": "echo", "arguments": {...}}: `+err.Error()))
		return
	}
	pkg, err := e.findProcess(req.Process)
	if err != nil {
		control.WriteError(w, http.StatusNotFound, err)
		return
	}
	job, err := e.robot.Start(robot.StartRequest{ProcessKey: pkg.Key, Version: req.Version,
		Arguments: req.Arguments, Origin: "local"})
	if err != nil {
		control.WriteError(w, robotStatus(err), err)
		return
	}
	control.WriteJSON(w, http.StatusOK, jobDetail(job))
}

func robotStatus(err error) int {
	var argErr *robot.ArgumentError
	switch {
	case errors.As(err, &argErr):
		return http.StatusBadRequest
	case errors.Is(err, robot.ErrUnknownJob), errors.Is(err, robot.ErrUnknownProcess):
		return http.StatusNotFound
	case errors.Is(err, robot.ErrNotRunning):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func (e *Engine) getJob(w http.ResponseWriter, r *http.Request) {
	job, err := e.robot.Job(r.PathValue("id"))
	if err != nil {
		control.WriteError(w, http.StatusNotFound, err)
		return
	}
	control.WriteJSON(w, http.StatusOK, jobDetail(job))
}

// StopRequest asks to stop a job; Kill skips the polite stop.
type StopRequest struct {
	Kill bool `json:"kill"`
}

func (e *Engine) stopJob(w http.ResponseWriter, r *http.Request) {
	var req StopRequest
	_ = json.NewDecoder(r.Body).Decode(&req) // an empty body means a polite stop
	stop := e.robot.StopJob
	if req.Kill {
		stop = e.robot.KillJob
	}
	if err := stop(r.PathValue("id")); err != nil {
		control.WriteError(w, robotStatus(err), err)
		return
	}
	control.WriteJSON(w, http.StatusOK, struct{}{})
}

// events streams the engine's feed as JSON lines, starting after the
// ?after= sequence number (0: the oldest kept). A line {"type":"resync"}
// says events were dropped because the reader fell too far behind.
func (e *Engine) events(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)

	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		b := e.feed.Read(after, 256)
		if b.Resync {
			_ = enc.Encode(feed.Event{V: feed.SchemaVersion, Type: "resync", Seq: after})
		}
		for _, ev := range b.Events {
			if _, err := w.Write(append(ev.JSON, '\n')); err != nil {
				return
			}
		}
		after = b.Next
		if flusher != nil {
			flusher.Flush()
		}

		select {
		case <-b.Changed:
		case <-keepalive.C:
			if _, err := w.Write([]byte("\n")); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}
