package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// JobEvent is one job lifecycle event as subscribers receive it: job
// metadata only. Output arguments, Info and the rest of the webhook body
// are never forwarded or kept.
type JobEvent struct {
	// Seq numbers the relay's events (from 1 after each start; see Epoch
	// in the protocol). A subscriber resumes after the last Seq it saw.
	Seq uint64 `json:"seq"`
	// EventID is the Orchestrator's EventId; several jobs of one call
	// share it.
	EventID string `json:"eventId"`
	// Type is the webhook event type, e.g. "job.completed".
	Type string `json:"type"`
	// At is the event's Timestamp (when the relay got it, if absent).
	At       time.Time `json:"at"`
	TenantID int64     `json:"tenantId"`
	FolderID int64     `json:"folderId,omitempty"`
	JobID    int64     `json:"jobId"`
	JobKey   string    `json:"jobKey,omitempty"`
	// State is the job's state, e.g. "Successful".
	State      string     `json:"state"`
	StartTime  *time.Time `json:"startTime,omitempty"`
	EndTime    *time.Time `json:"endTime,omitempty"`
	ProcessKey string     `json:"processKey,omitempty"`
}

// hook is a parsed webhook call.
type hook struct {
	Type, EventID string
	At            time.Time
	TenantID      int64
	FolderID      int64
	Jobs          []JobEvent // one per job, Seq not yet set
}

// isJob reports whether the call is a job lifecycle event.
func (h *hook) isJob() bool { return strings.HasPrefix(h.Type, "job.") }

type hookBody struct {
	Type      string          `json:"Type"`
	EventID   flexString      `json:"EventId"`
	Timestamp string          `json:"Timestamp"`
	TenantID  flexInt         `json:"TenantId"`
	OrgUnitID flexInt         `json:"OrganizationUnitId"`
	FolderID  flexInt         `json:"FolderId"`
	Job       json.RawMessage `json:"Job"`
	Jobs      json.RawMessage `json:"Jobs"`
}

type hookJob struct {
	ID        flexInt `json:"Id"`
	Key       string  `json:"Key"`
	State     string  `json:"State"`
	StartTime *string `json:"StartTime"`
	EndTime   *string `json:"EndTime"`
	OrgUnitID flexInt `json:"OrganizationUnitId"`
	Release   *struct {
		ProcessKey string `json:"ProcessKey"`
	} `json:"Release"`
}

// stateOfType is the job state an event type implies, for bodies whose
// job has no State.
var stateOfType = map[string]string{"job.created": "Pending", "job.started": "Running",
	"job.completed": "Successful", "job.faulted": "Faulted", "job.stopped": "Stopped",
	"job.suspended": "Suspended", "job.resumed": "Resumed"}

// parseHook reads a webhook body leniently: unknown fields, Job or Jobs
// (an object or an array in either), numbers as strings. received stands
// in for a missing Timestamp.
func parseHook(body []byte, received time.Time) (*hook, error) {
	var b hookBody
	if err := json.Unmarshal(body, &b); err != nil {
		// Not %v: a syntax error quotes the body, which is not logged.
		return nil, errors.New("the body is not a JSON webhook event")
	}
	if !eventWord.MatchString(b.Type) {
		return nil, errors.New("the event's Type is missing or not a word such as " +
			"job.completed")
	}
	if err := checkEventID(string(b.EventID)); err != nil {
		return nil, err
	}
	h := &hook{Type: b.Type, EventID: string(b.EventID), TenantID: int64(b.TenantID),
		FolderID: int64(b.FolderID), At: received}
	if h.FolderID == 0 {
		h.FolderID = int64(b.OrgUnitID)
	}
	if t, ok := parseTime(&b.Timestamp); ok {
		h.At = t
	}
	if !h.isJob() {
		return h, nil
	}
	jobs, err := decodeJobs(b.Job, b.Jobs)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		e := h.event(j)
		if !eventWord.MatchString(e.State) {
			return nil, fmt.Errorf("job %d: its State is missing or not a word such as "+
				"Successful", e.JobID)
		}
		h.Jobs = append(h.Jobs, e)
	}
	return h, nil
}

func (h *hook) event(j hookJob) JobEvent {
	e := JobEvent{EventID: h.EventID, Type: h.Type, At: h.At, TenantID: h.TenantID,
		FolderID: h.FolderID, JobID: int64(j.ID), JobKey: j.Key, State: j.State}
	if e.FolderID == 0 {
		e.FolderID = int64(j.OrgUnitID)
	}
	if e.State == "" {
		e.State = stateOfType[h.Type]
	}
	if t, ok := parseTime(j.StartTime); ok {
		e.StartTime = &t
	}
	if t, ok := parseTime(j.EndTime); ok {
		e.EndTime = &t
	}
	if j.Release != nil {
		e.ProcessKey = j.Release.ProcessKey
	}
	return e
}

// decodeJobs accepts the job as an object or an array under Job or Jobs
// (the spec's examples show all four).
func decodeJobs(one, many json.RawMessage) ([]hookJob, error) {
	var out []hookJob
	for _, raw := range []json.RawMessage{one, many} {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var list []hookJob
		if raw[0] == '[' {
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, errors.New("the event's jobs are malformed")
			}
		} else {
			var j hookJob
			if err := json.Unmarshal(raw, &j); err != nil {
				return nil, errors.New("the event's job is malformed")
			}
			list = []hookJob{j}
		}
		out = append(out, list...)
	}
	for _, j := range out {
		if j.ID <= 0 {
			return nil, errors.New("a job of the event has no Id")
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the job event has no Job or Jobs")
	}
	return out, nil
}

// eventWord is what Type and State look like; they are stored one line
// per event in the de-duplication files.
var eventWord = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,63}$`)

// maxEventID bounds an EventId; real ones are GUIDs or numbers.
const maxEventID = 128

// checkEventID accepts printable ASCII without spaces: ids go into the
// de-duplication files one per line.
func checkEventID(id string) error {
	if id == "" {
		return errors.New("the event has no EventId")
	}
	if len(id) > maxEventID {
		return fmt.Errorf("the EventId is longer than %d characters", maxEventID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] >= 0x7f {
			return errors.New("the EventId holds a space or a character that is " +
				"not printable ASCII")
		}
	}
	return nil
}

// parseTime reads the API's times (RFC 3339 with up to 7 fractional
// digits; UTC when there is no offset).
func parseTime(s *string) (time.Time, bool) {
	if s == nil || *s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, *s); err == nil {
		return t.UTC(), true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", *s, time.UTC)
	return t, err == nil
}

// flexInt is an integer sent as a JSON number or a numeric string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("a number field holds something else") // no value echoed
	}
	*n = flexInt(v)
	return nil
}

// flexString is a string sent as a JSON string or number.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("the EventId is neither a string nor a number")
	}
	*s = flexString(n.String())
	return nil
}
