package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JobState is an Orchestrator job state.
type JobState string

const (
	JobPending     JobState = "Pending"
	JobRunning     JobState = "Running"
	JobStopping    JobState = "Stopping"
	JobTerminating JobState = "Terminating"
	JobFaulted     JobState = "Faulted"
	JobSuccessful  JobState = "Successful"
	JobStopped     JobState = "Stopped"
	JobSuspended   JobState = "Suspended"
	JobResumed     JobState = "Resumed"
)

// Final reports whether a job in this state will not change any more.
func (s JobState) Final() bool {
	return s == JobFaulted || s == JobSuccessful || s == JobStopped
}

// activeStates are the states a job can leave.
var activeStates = []JobState{JobPending, JobRunning, JobStopping, JobTerminating,
	JobSuspended, JobResumed}

// Job is an Orchestrator job: metadata, and output arguments once it
// succeeded (kept in memory only).
type Job struct {
	ID              int64     `json:"Id"`
	Key             string    `json:"Key"`
	State           JobState  `json:"State"`
	Info            string    `json:"Info"`
	CreationTime    Timestamp `json:"CreationTime"`
	StartTime       Timestamp `json:"StartTime"`
	EndTime         Timestamp `json:"EndTime"`
	ReleaseName     string    `json:"ReleaseName"`
	OutputArguments *string   `json:"OutputArguments"`
}

// Timestamp reads the API's times: ISO 8601 with up to 7 fractional
// digits, normally in UTC with Z; a time without offset is taken as UTC.
// null leaves it zero.
type Timestamp struct{ time.Time }

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		v, err = time.ParseInLocation("2006-01-02T15:04:05.999999999", *s, time.UTC)
	}
	if err != nil {
		return fmt.Errorf("time %q: %w", *s, err)
	}
	t.Time = v
	return nil
}

// Outputs decodes the output arguments, which the API sends as a JSON
// object inside a JSON string. Numbers stay exact (json.Number). A job
// without outputs gives an empty map.
func (j Job) Outputs() (map[string]any, error) {
	out := map[string]any{}
	if j.OutputArguments == nil || strings.TrimSpace(*j.OutputArguments) == "" {
		return out, nil
	}
	dec := json.NewDecoder(strings.NewReader(*j.OutputArguments))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("job %d: output arguments: %w: %v", j.ID, ErrMalformed, err)
	}
	if v != nil {
		out = v
	}
	return out, nil
}

// StartRequest is what a job starts with.
type StartRequest struct {
	// Inputs are the input arguments (nil: none). They are sent, never
	// logged or stored.
	Inputs map[string]any
	// Reference is a caller correlation id (20.10 and later).
	Reference string
	// Strategy ("" : ModernJobsCount; an Orchestrator that does not know
	// it, such as 19.10, is asked again with JobsCount).
	Strategy string
}

type startInfo struct {
	ReleaseKey     string `json:"ReleaseKey"`
	Strategy       string `json:"Strategy"`
	JobsCount      int    `json:"JobsCount"`
	Source         string `json:"Source"`
	InputArguments string `json:"InputArguments,omitempty"`
	Reference      string `json:"Reference,omitempty"`
}

// StartJob starts one job of the release in the folder and returns it
// (normally Pending).
func (c *Client) StartJob(ctx context.Context, f FolderScope, r Release,
	req StartRequest) (Job, error) {
	op := joinOp("start process", fmt.Sprintf("%q", r.Name), "in folder", f.String())
	info := startInfo{ReleaseKey: r.Key, Strategy: req.Strategy, JobsCount: 1,
		Source: "Manual", Reference: req.Reference}
	if info.Strategy == "" {
		info.Strategy = "ModernJobsCount"
	}
	if req.Inputs != nil {
		data, err := marshalExact(req.Inputs)
		if err != nil {
			return Job{}, fmt.Errorf("%s: input arguments: %w", op, err)
		}
		info.InputArguments = string(data)
	}
	jobs, err := c.startJobs(ctx, op, f, info)
	if isUnknownStrategy(err) && req.Strategy == "" {
		info.Strategy = "JobsCount"
		jobs, err = c.startJobs(ctx, op, f, info)
	}
	if err != nil {
		return Job{}, err
	}
	if len(jobs) == 0 {
		return Job{}, fmt.Errorf("%s: %w: no job in the answer", op, ErrMalformed)
	}
	return jobs[0], nil
}

func (c *Client) startJobs(ctx context.Context, op string, f FolderScope,
	info startInfo) ([]Job, error) {
	var ans odataList[Job]
	err := c.do(ctx, call{op: op, method: "POST",
		path:   "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs",
		folder: &f, body: map[string]any{"startInfo": info}, out: &ans})
	return ans.Value, err
}

func isUnknownStrategy(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == 400 &&
		strings.Contains(apiErr.Message, "Strategy")
}

// marshalExact encodes arguments without HTML escaping.
func marshalExact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Job reads one job with its output arguments.
func (c *Client) Job(ctx context.Context, f FolderScope, id int64) (Job, error) {
	var j Job
	err := c.do(ctx, call{op: joinOp("read job", itoa(id), "in folder", f.String()),
		method: "GET", path: "/odata/Jobs(" + itoa(id) + ")", folder: &f, out: &j})
	return j, err
}

// StopStrategy is how a job is stopped.
type StopStrategy string

const (
	// SoftStop asks the workflow to stop at its next check.
	SoftStop StopStrategy = "SoftStop"
	// Kill ends the process.
	Kill StopStrategy = "Kill"
)

// StopJobs stops jobs of one folder. Re-read them to learn the outcome:
// a job that ended meanwhile may make the call fail.
func (c *Client) StopJobs(ctx context.Context, f FolderScope, ids []int64,
	strategy StopStrategy) error {
	if strategy != SoftStop && strategy != Kill {
		return fmt.Errorf("stop jobs: strategy %q: use SoftStop or Kill", strategy)
	}
	if len(ids) == 0 {
		return nil
	}
	return c.do(ctx, call{op: joinOp("stop jobs in folder", f.String()), method: "POST",
		path:   "/odata/Jobs/UiPath.Server.Configuration.OData.StopJobs",
		folder: &f, body: map[string]any{"jobIds": ids, "strategy": strategy}})
}
