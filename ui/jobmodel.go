package ui

import (
	"fmt"
	"sort"
	"time"

	"robotbridge/engine"
	"robotbridge/feed"
)

// Job states as the engine names them.
const (
	statePending    = "pending"
	stateRunning    = "running"
	stateStopping   = "stopping"
	stateSuccessful = "successful"
	stateFaulted    = "faulted"
	stateStopped    = "stopped"
	stateUnknown    = "unknown" // was running when the engine stopped
)

// maxJobRows bounds the jobs the app keeps and shows.
const maxJobRows = 200

// jobRow is what the Jobs tab shows of one job.
type jobRow struct {
	ID      string
	Process string
	Origin  string
	State   string
	Error   string
	Created time.Time
	Started time.Time // zero until running
	Ended   time.Time // zero until terminal
	// Connection and Folder place an Orchestrator job ("" for the
	// engine's own jobs); Output is its output at a successful end.
	Connection string
	Folder     string
	Output     map[string]any
}

// key identifies a row: the engine's job id, or for an Orchestrator job
// its connection and id (Orchestrator ids are unique per connection only).
func (r jobRow) key() string { return jobKey(r.Connection, r.ID) }

func jobKey(conn, id string) string {
	if conn == "" {
		return id
	}
	return conn + "\x00" + id // a NUL never occurs in an engine job id
}

// isOrchestrator reports whether the job runs in an Orchestrator.
func (r jobRow) isOrchestrator() bool { return r.Connection != "" }

// isTerminal reports whether the job has ended.
func isTerminal(state string) bool {
	switch state {
	case stateSuccessful, stateFaulted, stateStopped, stateUnknown:
		return true
	}
	return false
}

// isActive reports whether the job can still be stopped: it has a state
// and it is not a final one (Orchestrator jobs have more states, such as
// suspended or terminating).
func (r jobRow) isActive() bool {
	return r.State != "" && !isTerminal(r.State)
}

// duration is how long the job ran (so far); ok is false before it runs.
func (r jobRow) duration(now time.Time) (time.Duration, bool) {
	if r.Started.IsZero() {
		return 0, false
	}
	end := now
	if !r.Ended.IsZero() {
		end = r.Ended
	}
	return max(end.Sub(r.Started), 0), true
}

// formatDuration is a short duration for lists: 850ms, 12s, 3m05s, 2h03m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// jobModel is the app's picture of the engine's jobs, fed by the job list
// and by job.state events. It is used on the UI goroutine only.
type jobModel struct {
	rows map[string]*jobRow
}

func newJobModel() *jobModel { return &jobModel{rows: map[string]*jobRow{}} }

// Merge takes in a job list from the engine. The list may be older than
// events already applied (the two travel separately), so a row that has
// ended keeps what the events said; other rows take the list's word.
func (m *jobModel) Merge(list []engine.JobEntry) {
	for _, j := range list {
		old := m.rows[j.ID]
		if old != nil && isTerminal(old.State) {
			continue
		}
		r := &jobRow{ID: j.ID, Process: j.Process, Origin: j.Origin, State: j.State,
			Error: j.Error, Created: j.Created, Started: j.Started, Ended: j.Ended}
		if old != nil && r.Started.IsZero() {
			r.Started = old.Started
		}
		if r.Started.IsZero() && !r.Ended.IsZero() {
			// TODO: the engine's job list leaves out the start time of jobs
			// from its history; until it sends it, such a job's duration
			// counts from its creation (its queueing time included).
			r.Started = r.Created
		}
		m.rows[j.ID] = r
	}
	m.trim()
}

// Apply updates the model from one event and reports whether a row
// changed. Only job.state and orchestrator.job.state events change rows.
func (m *jobModel) Apply(ev feed.Event) bool {
	if !isJobStateEvent(ev) || ev.JobID == "" {
		return false
	}
	k := jobKey(ev.Connection, ev.JobID)
	r := m.rows[k]
	if r == nil {
		r = &jobRow{ID: ev.JobID, Process: ev.Process, Origin: ev.Origin, Created: ev.At,
			Connection: ev.Connection, Folder: ev.Folder}
		m.rows[k] = r
	}
	if isTerminal(r.State) {
		return false // a replayed event must not revive an ended job
	}
	r.State = ev.State
	switch {
	case ev.State == stateRunning && r.Started.IsZero():
		r.Started = ev.At
	case isTerminal(ev.State):
		r.Ended, r.Error, r.Output = ev.At, ev.Error, ev.Output
		if r.Started.IsZero() {
			r.Started = ev.At
		}
	}
	m.trim()
	return true
}

// isJobStateEvent reports whether ev is a state change of an engine job
// or of an Orchestrator job the engine follows.
func isJobStateEvent(ev feed.Event) bool {
	return ev.Type == feed.JobState || ev.Type == feed.OrchestratorJobState &&
		ev.Connection != ""
}

// Row returns the row with this key.
func (m *jobModel) Row(key string) (jobRow, bool) {
	r := m.rows[key]
	if r == nil {
		return jobRow{}, false
	}
	return *r, true
}

// Sorted returns the rows newest first.
func (m *jobModel) Sorted() []jobRow {
	list := make([]jobRow, 0, len(m.rows))
	for _, r := range m.rows {
		list = append(list, *r)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.After(list[j].Created)
		}
		return list[i].key() > list[j].key()
	})
	return list
}

// Running counts the jobs that have not ended.
func (m *jobModel) Running() int {
	n := 0
	for _, r := range m.rows {
		if r.isActive() {
			n++
		}
	}
	return n
}

// trim drops the oldest ended jobs beyond maxJobRows.
func (m *jobModel) trim() {
	if len(m.rows) <= maxJobRows {
		return
	}
	sorted := m.Sorted()
	for _, r := range sorted[maxJobRows:] {
		if isTerminal(r.State) {
			delete(m.rows, r.key())
		}
	}
}
