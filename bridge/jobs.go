package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"robotbridge/robot"
)

type processItem struct {
	Key         string `json:"Key"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
}

func (s *Server) robotProcesses(w http.ResponseWriter, r *http.Request) {
	list := []processItem{}
	for _, p := range s.robot.Processes() {
		list = append(list, processItem{Key: p.Key, Name: p.Name, Description: p.Description})
	}
	writeResponse(w, list)
}

type argSchema struct {
	Name       string `json:"Name"`
	Type       string `json:"Type"`
	IsRequired bool   `json:"IsRequired"`
	HasDefault bool   `json:"HasDefault"`
}

type schemaAnswer struct {
	InputArgumentsSchema []argSchema `json:"InputArgumentsSchema"`
}

// installProcess answers at the top level of the body, as the SDK reads it.
// Local packages are ready as soon as they are installed in the robot.
func (s *Server) installProcess(w http.ResponseWriter, r *http.Request) {
	pkg, err := s.robot.Process(r.URL.Query().Get("robotProcessId"))
	if err != nil {
		writeRobotError(w, err)
		return
	}
	schema := []argSchema{}
	for _, a := range pkg.Inputs {
		schema = append(schema, argSchema{a.Name, a.Type, a.Required, a.HasDefault})
	}
	writeJSON(w, http.StatusOK, schemaAnswer{InputArgumentsSchema: schema})
}

// internalWrapper is the InvokeRobot body when the SDK uses the
// InternalArguments feature.
type internalWrapper struct {
	InputArgs    json.RawMessage `json:"inputArgs"`
	InternalArgs json.RawMessage `json:"internalArgs"`
	JobSource    string          `json:"jobSource"`
}

type invokeAnswer struct {
	JobID string `json:"JobId"`
}

func (s *Server) invokeRobot(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}

	args, err := parseInputArguments(body, q.Get("features") == "internalArguments")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	job, err := s.robot.Start(robot.StartRequest{
		ProcessKey: q.Get("robotProcessId"),
		Arguments:  args,
		Origin:     r.Header.Get("Origin"),
		JobID:      q.Get("jobId"),
	})
	if err != nil {
		writeRobotError(w, err)
		return
	}
	s.forgetStaleCursors()
	slog.Info("bridge: job started", "job", job.ID, "process", job.Package.Name,
		"origin", job.Origin)
	writeResponse(w, invokeAnswer{JobID: job.ID})
}

// parseInputArguments accepts what the SDK sends: an object, an empty
// body or null (no arguments), or the InternalArguments wrapper.
func parseInputArguments(body []byte, wrapped bool) (map[string]any, error) {
	if wrapped && len(bytes.TrimSpace(body)) > 0 {
		var wrapper internalWrapper
		if err := decodeStrict(body, &wrapper); err != nil {
			return nil, badJSON(err)
		}
		body = wrapper.InputArgs
	}

	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return map[string]any{}, nil
	}
	if trimmed[0] != '{' {
		return nil, errors.New("input arguments must be a JSON object such as " +
			`{"name": "value"}`)
	}
	var args map[string]any
	if err := decodeStrict(trimmed, &args); err != nil {
		return nil, badJSON(err)
	}
	return args, nil
}

// decodeStrict decodes exactly one JSON value, keeping numbers exact.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("extra data after the JSON value")
	}
	return nil
}

func badJSON(err error) error {
	return fmt.Errorf("the request body is not valid JSON (%v); send the input "+
		"arguments as one JSON object", err)
}

// readBody reads a capped request body, answering 413 when it is too big.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body "+
			"is larger than the bridge's limit of %d KiB; send smaller arguments "+
			"(pass files by path instead of content)", s.cfg.MaxBodyBytes>>10))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body: "+err.Error())
		return nil, false
	}
	return body, true
}

// writeRobotError maps robot errors to the statuses the SDK expects.
func writeRobotError(w http.ResponseWriter, err error) {
	var argErr *robot.ArgumentError
	switch {
	case errors.Is(err, robot.ErrUnknownProcess):
		writeError(w, http.StatusNotFound, sentence(err)+
			"; list the processes (RobotProcesses) for valid ids")
	case errors.Is(err, robot.ErrUnknownJob):
		writeError(w, http.StatusNotFound, sentence(err))
	case errors.Is(err, robot.ErrNotRunning):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, robot.ErrBusy):
		writeError(w, http.StatusServiceUnavailable, err.Error()+"; try again later")
	case errors.As(err, &argErr):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		slog.Error("bridge: robot error", "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// sentence capitalises an error message for the page ("Process not
// found: ..." as the SDK's own texts read).
func sentence(err error) string {
	msg := err.Error()
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// jobFor finds a job the calling origin started; other origins' jobs do
// not exist as far as this caller can tell.
func (s *Server) jobFor(r *http.Request, id string) (*robot.Job, error) {
	job, err := s.robot.Job(id)
	if err != nil {
		return nil, err
	}
	if job.Origin != r.Header.Get("Origin") {
		return nil, fmt.Errorf("%w: %s", robot.ErrUnknownJob, id)
	}
	return job, nil
}

func (s *Server) stopProcess(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("robotProcessId")
	n, err := s.robot.StopProcess(key, r.Header.Get("Origin"))
	if err != nil {
		writeRobotError(w, err)
		return
	}
	slog.Info("bridge: stop requested", "process", key, "jobs", n)
	writeResponse(w, struct{}{})
}

type clientMessage struct {
	ChannelName *string         `json:"channelName"`
	Payload     json.RawMessage `json:"payload"`
}

func (s *Server) sendClientMessage(w http.ResponseWriter, r *http.Request) {
	job, err := s.jobFor(r, r.URL.Query().Get("jobId"))
	if err != nil {
		writeRobotError(w, err)
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}

	var msg clientMessage
	if err := decodeStrict(body, &msg); err != nil {
		writeError(w, http.StatusBadRequest, "the message body is not valid JSON ("+
			err.Error()+`); send {"channelName": "...", "payload": ...}`)
		return
	}
	if msg.ChannelName == nil {
		writeError(w, http.StatusBadRequest, `the message has no "channelName"`)
		return
	}
	if err := s.robot.SendMessage(job.ID, *msg.ChannelName, msg.Payload); err != nil {
		writeRobotError(w, err)
		return
	}
	writeResponse(w, struct{}{})
}

// Wire job states of the RobotJS protocol.
const (
	wireExecuting = 0
	wireClosed    = 1
	wireCanceled  = 2
	wireFaulted   = 3
)

type jobStatusAnswer struct {
	State  int             `json:"State"`
	Status []string        `json:"Status"`
	Events []workflowEvent `json:"Events"`
	Output *jobOutput      `json:"Output,omitempty"`
	Error  *robot.JobError `json:"Error,omitempty"`
}

type workflowEvent struct {
	Name    string `json:"name"`
	Payload string `json:"payload"`
}

type jobOutput struct {
	Arguments map[string]any `json:"Arguments"`
}

// jobStatus answers with the messages since the last answer for this job
// (the SDK dispatches every element it gets, so each is sent once). With
// long polling it holds the request until there is news, the job ends,
// the hold times out or the page goes away.
func (s *Server) jobStatus(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("jobId")
	job, err := s.jobFor(r, id)
	if err != nil {
		s.dropCursor(id)
		writeRobotError(w, err)
		return
	}

	var hold <-chan time.Time // started on the first wait only
	for {
		snap := s.claimUpdates(job)
		answer := statusAnswer(snap)
		if answer.State != wireExecuting || len(answer.Status)+len(answer.Events) > 0 {
			writeResponse(w, answer)
			return
		}
		if hold == nil {
			timer := time.NewTimer(s.cfg.HoldTimeout)
			defer timer.Stop()
			hold = timer.C
		}

		select {
		case <-snap.Changed:
		case <-hold:
			writeResponse(w, answer)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// claimUpdates takes the updates not yet delivered for the job, so that
// two concurrent polls never deliver the same message twice.
func (s *Server) claimUpdates(job *robot.Job) robot.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := job.Since(s.cursors[job.ID])
	s.cursors[job.ID] = snap.Next
	return snap
}

func (s *Server) dropCursor(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cursors, id)
}

// forgetStaleCursors drops cursors of jobs the robot no longer remembers.
func (s *Server) forgetStaleCursors() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.cursors {
		if _, err := s.robot.Job(id); err != nil {
			delete(s.cursors, id)
		}
	}
}

func statusAnswer(snap robot.Snapshot) jobStatusAnswer {
	a := jobStatusAnswer{Status: []string{}, Events: []workflowEvent{}}
	for _, u := range snap.Updates {
		switch u.Kind {
		case robot.StatusUpdate:
			a.Status = append(a.Status, u.Text)
		case robot.EventUpdate:
			a.Events = append(a.Events, workflowEvent{Name: u.Name, Payload: u.Payload})
		}
	}

	switch snap.State {
	case robot.Successful:
		a.State = wireClosed
		a.Output = &jobOutput{Arguments: snap.Output}
	case robot.Stopped:
		a.State = wireCanceled
		a.Error = snap.Err
	case robot.Faulted:
		a.State = wireFaulted
		a.Error = snap.Err
	default:
		a.State = wireExecuting
	}
	return a
}
