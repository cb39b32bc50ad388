// Package feed is the engine's event log: a bounded ring of events with
// increasing sequence numbers that any number of readers follow at their
// own pace. Publishing never waits for a reader; a reader that falls
// further behind than the ring reaches is told to resync instead of
// slowing anyone down.
package feed

import (
	"encoding/json"
	"sync"
	"time"
)

// SchemaVersion is the version of the Event shape (docs/events.md).
const SchemaVersion = 1

// Event types.
const (
	JobState         = "job.state"  // State (and Error at the end) changed
	JobStatus        = "job.status" // Text is a status message
	JobEvent         = "job.event"  // Name and Payload are a workflow event
	JobOutput        = "job.output" // Output arguments at the end
	ProcessesChanged = "processes.changed"
	ConsentPending   = "consent.pending" // Origin and Code wait for the user
	ConsentDecided   = "consent.decided" // State: approved or denied
	BridgePaused     = "bridge.paused"   // State: paused or resumed
	// OrchestratorJobState: an Orchestrator job the engine follows changed
	// State (Connection, Folder, Process, JobID; Error and Output at the
	// end). Control API only: Origin stays empty, so no page sees it.
	OrchestratorJobState = "orchestrator.job.state"
	// OrchestratorRelay: the relay subscription of Connection is State up
	// or down (pushed job states flow, or polling alone goes on).
	OrchestratorRelay = "orchestrator.relay"
)

// Event is one thing that happened in the engine.
type Event struct {
	V       int            `json:"v"`
	Seq     uint64         `json:"seq"`
	Type    string         `json:"type"`
	At      time.Time      `json:"at"`
	JobID   string         `json:"jobId,omitempty"`
	Process string         `json:"process,omitempty"`
	Origin  string         `json:"origin,omitempty"`
	State   string         `json:"state,omitempty"`
	Text    string         `json:"text,omitempty"`
	Name    string         `json:"name,omitempty"`
	Payload string         `json:"payload,omitempty"`
	Output  map[string]any `json:"output,omitempty"`
	Error   string         `json:"error,omitempty"`
	// ErrorType is the error's short category (JobError.Type).
	ErrorType string `json:"errorType,omitempty"`
	Code      string `json:"code,omitempty"`
	// Connection and Folder place an Orchestrator job.
	Connection string `json:"connection,omitempty"`
	Folder     string `json:"folder,omitempty"`

	// JSON is the event encoded once at publish time, so fanning it out
	// to many readers costs no encoding per reader.
	JSON []byte `json:"-"`
}

// Log is the ring. The zero value is not usable; call New.
type Log struct {
	mu sync.Mutex
	// guarded by mu:
	ring    []Event // ring[i%len] holds seq i+1's event once published
	next    uint64  // seq of the next event (first is 1)
	changed chan struct{}
}

// New returns a log that keeps the newest size events.
func New(size int) *Log {
	if size < 1 {
		size = 1
	}
	return &Log{ring: make([]Event, size), next: 1, changed: make(chan struct{})}
}

// Publish stamps and appends an event and wakes every reader.
func (l *Log) Publish(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.V, e.Seq = SchemaVersion, l.next
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.JSON, _ = json.Marshal(e) // plain data: cannot fail
	l.ring[(e.Seq-1)%uint64(len(l.ring))] = e
	l.next++
	close(l.changed)
	l.changed = make(chan struct{})
}

// Batch is what one Read returns.
type Batch struct {
	Events  []Event
	Next    uint64          // the after value for the next Read
	Resync  bool            // events after the asked position were dropped, or it never existed
	Changed <-chan struct{} // closed when something new is published
}

// Read returns up to max events with Seq > after, oldest first.
func (l *Log) Read(after uint64, max int) Batch {
	l.mu.Lock()
	defer l.mu.Unlock()

	oldest := uint64(1)
	if size := uint64(len(l.ring)); l.next-1 > size {
		oldest = l.next - size
	}
	b := Batch{Changed: l.changed}
	if after > l.next-1 {
		// A position this log never reached (the engine restarted): the
		// reader must learn the state afresh.
		b.Resync, b.Next = true, l.next-1
		return b
	}
	from := after + 1
	if from < oldest {
		b.Resync = after != 0 // a new reader (after 0) simply starts at the oldest
		from = oldest
	}
	for seq := from; seq < l.next && len(b.Events) < max; seq++ {
		b.Events = append(b.Events, l.ring[(seq-1)%uint64(len(l.ring))])
	}
	b.Next = from - 1 + uint64(len(b.Events))
	return b
}

// Last returns the seq of the newest event (0 when none).
func (l *Log) Last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1
}
