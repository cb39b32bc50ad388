package robot

import (
	"fmt"
	"math"
	"sync"
	"time"

	"robotbridge/feed"
)

// State is a job's place in its lifecycle.
type State string

const (
	Pending    State = "pending"
	Running    State = "running"
	Stopping   State = "stopping"
	Successful State = "successful"
	Faulted    State = "faulted"
	Stopped    State = "stopped"
)

// Terminal reports whether the job has ended.
func (s State) Terminal() bool {
	return s == Successful || s == Faulted || s == Stopped || s == Unknown
}

// UpdateKind says what an Update carries.
type UpdateKind int

const (
	StatusUpdate UpdateKind = iota // Text is a human-readable status message
	EventUpdate                    // Name and Payload are a workflow event
	StateUpdate                    // State changed
)

// Update is one thing that happened to a job, in order.
type Update struct {
	Seq     int
	Kind    UpdateKind
	Text    string
	Name    string
	Payload string
	State   State
	At      time.Time
}

// JobError is why a job faulted or stopped.
type JobError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
}

// maxUpdates bounds the updates kept per job; a chatty process loses its
// oldest messages, never the engine's memory.
const maxUpdates = 10000

// Job is one run of a process. Its fields are safe for concurrent use
// through its methods.
type Job struct {
	ID      string
	Package *Package
	Origin  string // who started it: a web origin, "cli", ...
	Created time.Time

	mu sync.Mutex
	// guarded by mu:
	state    State
	started  time.Time
	ended    time.Time
	output   map[string]any
	err      *JobError
	updates  []Update
	firstSeq int           // Seq of updates[0]
	changed  chan struct{} // closed and replaced on every change

	stopOnce sync.Once
	stopCh   chan struct{} // closed when someone asks the job to stop
	killOnce sync.Once
	killCh   chan struct{} // closed when the job must end at once
	done     chan struct{} // closed when the job reaches a terminal state
	inbox    chan engineMessage
	feed     *feed.Log // may be nil
}

func newJob(id string, pkg *Package, origin string, now time.Time) *Job {
	return &Job{
		ID:      id,
		Package: pkg,
		Origin:  origin,
		Created: now,
		changed: make(chan struct{}),
		stopCh:  make(chan struct{}),
		killCh:  make(chan struct{}),
		done:    make(chan struct{}),
		inbox:   make(chan engineMessage, 64),
	}
}

// doneCh is closed when the job has ended.
func (j *Job) doneCh() <-chan struct{} { return j.done }

// Snapshot is a consistent view of a job.
type Snapshot struct {
	State   State
	Started time.Time
	Ended   time.Time
	Output  map[string]any
	Err     *JobError
	Updates []Update // those after the cursor asked for
	Next    int      // cursor for the next call
	Changed <-chan struct{}
}

// Since returns the job's state and the updates with Seq >= cursor, plus a
// channel that is closed at the next change. Updates dropped because the
// job produced more than the buffer holds are skipped.
func (j *Job) Since(cursor int) Snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()

	start := cursor - j.firstSeq
	if start < 0 {
		start = 0
	}
	var ups []Update
	if start < len(j.updates) {
		ups = append(ups, j.updates[start:]...)
	}
	return Snapshot{
		State:   j.state,
		Started: j.started,
		Ended:   j.ended,
		Output:  j.output,
		Err:     j.err,
		Updates: ups,
		Next:    j.firstSeq + len(j.updates),
		Changed: j.changed,
	}
}

// Summary is a snapshot without updates: state, times, output, error.
func (j *Job) Summary() Snapshot { return j.Since(math.MaxInt) }

// State returns the job's current state.
func (j *Job) State() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// appendLocked records an update and wakes waiters. j.mu must be held.
func (j *Job) appendLocked(u Update) {
	u.Seq = j.firstSeq + len(j.updates)
	u.At = time.Now()
	j.updates = append(j.updates, u)
	if len(j.updates) > maxUpdates {
		drop := len(j.updates) - maxUpdates
		j.updates = append(j.updates[:0:0], j.updates[drop:]...)
		j.firstSeq += drop
	}
	close(j.changed)
	j.changed = make(chan struct{})
	j.publishLocked(u)
}

// publishLocked mirrors an update to the engine's feed. j.mu must be held
// (so the feed sees each job's updates in order).
func (j *Job) publishLocked(u Update) {
	if j.feed == nil {
		return
	}
	e := feed.Event{At: u.At, JobID: j.ID, Process: j.Package.Name, Origin: j.Origin}
	switch u.Kind {
	case StatusUpdate:
		e.Type, e.Text = feed.JobStatus, u.Text
	case EventUpdate:
		e.Type, e.Name, e.Payload = feed.JobEvent, u.Name, u.Payload
	case StateUpdate:
		e.Type, e.State = feed.JobState, string(u.State)
		if u.State.Terminal() && j.err != nil {
			e.Error, e.ErrorType = j.err.Message, j.err.Type
		}
		if u.State == Successful {
			j.feed.Publish(feed.Event{Type: feed.JobOutput, JobID: j.ID, Process: j.Package.Name,
				Origin: j.Origin, Output: j.output})
		}
	}
	j.feed.Publish(e)
}

func (j *Job) addStatus(text string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.appendLocked(Update{Kind: StatusUpdate, Text: text})
}

func (j *Job) addEvent(name, payload string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.appendLocked(Update{Kind: EventUpdate, Name: name, Payload: payload})
}

// setState moves the job forward. A terminal job never changes again, so
// a late report from a dying process cannot rewrite its result.
func (j *Job) setState(s State) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.setStateLocked(s)
}

func (j *Job) setStateLocked(s State) bool {
	if j.state.Terminal() || j.state == s || (j.state == Stopping && s == Running) {
		return false
	}
	now := time.Now()
	if s == Running {
		j.started = now
	}
	if s.Terminal() {
		j.ended = now
		defer close(j.done)
	}
	j.state = s
	j.appendLocked(Update{Kind: StateUpdate, State: s})
	return true
}

// finish records the end of the job with its output or error.
func (j *Job) finish(s State, output map[string]any, err *JobError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state.Terminal() {
		return
	}
	if output == nil {
		output = map[string]any{}
	}
	j.output = output
	j.err = err
	j.setStateLocked(s)
}

// requestStop asks a pending or running job to stop. It reports whether
// the job was still executing.
func (j *Job) requestStop() bool {
	j.mu.Lock()
	if j.state.Terminal() {
		j.mu.Unlock()
		return false
	}
	j.setStateLocked(Stopping)
	j.mu.Unlock()

	j.stopOnce.Do(func() { close(j.stopCh) })
	return true
}

// endedAt returns the job's state and, once it ended, when.
func (j *Job) endedAt() (State, time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.ended
}

// deliver queues a client message for the running process. It never
// blocks: a process that does not read its messages gets ErrBusy.
func (j *Job) deliver(channel string, payload []byte) error {
	if s := j.State(); s != Running {
		return fmt.Errorf("%w: job %s is %s", ErrNotRunning, j.ID, s)
	}
	select {
	case j.inbox <- engineMessage{Type: "message", Channel: channel, Payload: payload}:
		return nil
	default:
		return fmt.Errorf("%w: job %s has %d unread messages", ErrBusy, j.ID, cap(j.inbox))
	}
}

// Result returns the job's state and, once it faulted or stopped, why.
func (j *Job) Result() (State, *JobError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.err
}

// requestKill asks for an immediate end. It reports whether the job was
// still executing.
func (j *Job) requestKill() bool {
	if !j.requestStop() && j.State().Terminal() {
		return false
	}
	j.killOnce.Do(func() { close(j.killCh) })
	return true
}
