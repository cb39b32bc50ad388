package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Followed is the handle of one followed job.
type Followed struct {
	ID    int64
	Scope FolderScope
	since time.Time
	done  chan struct{} // closed by finish

	mu     sync.Mutex // guards the fields below
	job    Job
	result JobResult
	err    error
}

// JobResult is a job at its final state with its outputs decoded.
type JobResult struct {
	Job     Job
	Outputs map[string]any
}

// Done is closed when the job reached a final state or was given up.
func (x *Followed) Done() <-chan struct{} { return x.done }

// Job is the latest known state of the job.
func (x *Followed) Job() Job {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.job
}

// Wait blocks until the job is done or ctx ends. A successful job gives
// its outputs; a faulted or stopped one a *JobFailedError; one that no
// robot took in time a *PendingTimeoutError.
func (x *Followed) Wait(ctx context.Context) (JobResult, error) {
	select {
	case <-ctx.Done():
		return JobResult{}, ctx.Err()
	case <-x.done:
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.result, x.err
}

// setJob records j and reports whether the state changed. A state of a
// lower rank than the current one is stale (a late webhook, a poll answer
// overtaken by a push) and ignored: a job's state never goes backwards.
func (x *Followed) setJob(j Job) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if j.State.Rank() < x.job.State.Rank() {
		return false
	}
	changed := x.job.State != j.State
	x.job = j
	return changed
}

func (x *Followed) finish(r JobResult, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	select {
	case <-x.done:
		return // finished already
	default:
	}
	x.result, x.err = r, err
	close(x.done)
}

// resultOf turns a job at its final state into the result and error.
func resultOf(j Job) (JobResult, error) {
	r := JobResult{Job: j}
	switch j.State {
	case JobSuccessful:
		out, err := j.Outputs()
		if err != nil {
			return r, err
		}
		r.Outputs = out
		return r, nil
	default:
		return r, &JobFailedError{JobID: j.ID, State: j.State, Info: j.Info}
	}
}

// ErrJobFailed matches a *JobFailedError.
var ErrJobFailed = errors.New("job did not succeed")

// JobFailedError is a job that ended Faulted or Stopped; Info is the
// Orchestrator's message (for a fault, the exception).
type JobFailedError struct {
	JobID int64
	State JobState
	Info  string
}

func (e *JobFailedError) Error() string {
	msg := fmt.Sprintf("job %d %s", e.JobID, e.State)
	if e.Info != "" {
		msg += ": " + e.Info
	}
	return msg
}

func (e *JobFailedError) Is(target error) bool { return target == ErrJobFailed }

// ErrStillPending matches a *PendingTimeoutError.
var ErrStillPending = errors.New("job still pending")

// PendingTimeoutError is a job that no robot took within the follower's
// PendingTimeout. The job itself stays queued in the Orchestrator.
type PendingTimeoutError struct {
	JobID  int64
	Folder FolderScope
	Waited time.Duration
	Info   string
}

func (e *PendingTimeoutError) Error() string {
	return fmt.Sprintf("job %d still Pending after %s in folder %s: no robot is "+
		"available to run it (no connected, licensed robot or machine is assigned to the "+
		"folder); assign one in Orchestrator, or stop the job", e.JobID,
		e.Waited.Round(time.Second), e.Folder)
}

func (e *PendingTimeoutError) Is(target error) bool {
	return target == ErrStillPending || target == ErrNoRobot
}
