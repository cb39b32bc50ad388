package orchestrator

import (
	"sync"
	"sync/atomic"
	"time"
)

// Pushed states come from Orchestrator webhooks through the relay
// (package relay). They only make news arrive sooner: webhooks are not
// retried and may be switched off for an hour after one failed delivery,
// so polling stays the source of truth. While pushes arrive the follower
// polls at the slower ReconcileInterval; when they stop it polls at once
// and then at the normal Interval again.

// DefaultReconcileInterval is the poll interval while pushed states
// arrive, when FollowOptions.ReconcileInterval is zero.
const DefaultReconcileInterval = 30 * time.Second

// Pushed is a job state learnt from a webhook.
type Pushed struct {
	JobID int64
	State JobState
	// StartTime and EndTime are the job's times when the event had them
	// (zero: unknown).
	StartTime, EndTime time.Time
}

// pushState is the part of a Follower that pushes change.
type pushState struct {
	up  atomic.Bool
	now chan struct{} // capacity 1: Run polls at once

	// mu serialises state changes with their OnChange calls, so that a
	// poll and a push of the same job cannot report out of order.
	mu sync.Mutex
}

// SetPushUp says whether pushed states arrive (the relay subscription is
// up). Going down makes Run poll at once: events may have been lost.
func (f *Follower) SetPushUp(up bool) {
	if was := f.push.up.Swap(up); was && !up {
		f.PollNow()
	}
}

// PushUp reports whether pushed states arrive.
func (f *Follower) PushUp() bool { return f.push.up.Load() }

// PollNow makes Run poll at once instead of at the end of its wait; calls
// while a poll is already due add nothing.
func (f *Follower) PollNow() {
	select {
	case f.push.now <- struct{}{}:
	default:
	}
}

// Push applies a pushed state to a followed job; other jobs are ignored.
// A push never changes a final state (the by-id read decides that) and
// never moves a job backwards. A final state makes Run poll at once, which
// reads the job by id for its outputs and ends its handle.
func (f *Follower) Push(p Pushed) {
	f.mu.Lock()
	x := f.jobs[p.JobID]
	f.mu.Unlock()
	if x == nil || p.State == "" {
		return
	}
	f.push.mu.Lock()
	j := x.Job()
	changed := false
	if !j.State.Final() {
		j.State = p.State
		if !p.StartTime.IsZero() {
			j.StartTime = Timestamp{p.StartTime}
		}
		if !p.EndTime.IsZero() {
			j.EndTime = Timestamp{p.EndTime}
		}
		changed = f.applyLocked(x, j)
	}
	f.push.mu.Unlock()
	if changed && p.State.Final() {
		f.PollNow()
	}
}

// apply records a job's new state and tells OnChange.
func (f *Follower) apply(x *Followed, j Job) {
	f.push.mu.Lock()
	defer f.push.mu.Unlock()
	f.applyLocked(x, j)
}

// applyLocked is apply with push.mu held; it reports a change.
func (f *Follower) applyLocked(x *Followed, j Job) bool {
	if !x.setJob(j) {
		return false
	}
	if f.opts.OnChange != nil {
		f.opts.OnChange(Update{JobID: x.ID, Folder: x.Scope, State: j.State})
	}
	return true
}

// interval is the wait between two good polls.
func (f *Follower) interval() time.Duration {
	if f.push.up.Load() {
		return max(f.opts.ReconcileInterval, f.opts.Interval)
	}
	return f.opts.Interval
}

// Rank orders states along a job's life; a job never moves to a lower
// rank. Running, Suspended and Resumed share a rank because a job may go
// round between them; the final states share the highest.
func (s JobState) Rank() int {
	switch s {
	case "":
		return -1
	case JobPending:
		return 0
	case JobStopping:
		return 2
	case JobTerminating:
		return 3
	case JobFaulted, JobSuccessful, JobStopped:
		return 4
	default: // Running, Suspended, Resumed, and states newer than this client
		return 1
	}
}
