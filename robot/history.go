package robot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"robotbridge/config"
)

// Unknown is the state of a job that was running when the engine died:
// it ended, but nobody saw how.
const Unknown State = "unknown"

// maxHistory is how many jobs the history keeps; older ones are dropped
// when the file is compacted.
const maxHistory = 100_000

// Record is a job's metadata as the history keeps it. It never holds
// argument values or outputs.
type Record struct {
	ID         string    `json:"id"`
	ProcessKey string    `json:"processKey"`
	Process    string    `json:"process"`
	Version    string    `json:"version"`
	Origin     string    `json:"origin"`
	State      State     `json:"state"`
	Created    time.Time `json:"created"`
	Started    time.Time `json:"started,omitzero"`
	Ended      time.Time `json:"ended,omitzero"`
	Error      string    `json:"error,omitempty"`
}

// History is the job history: an append-only file of JSON lines, one per
// change of a job, the last line of a job winning. A crash can at worst
// leave a torn last line, which is skipped on load, so the file always
// reads as the old or the new state.
type History struct {
	path string

	mu sync.Mutex
	// guarded by mu:
	file    *os.File
	records []Record       // oldest first
	index   map[string]int // id -> position in records
	lines   int            // lines in the file
}

func historyPath(stateDir string) string {
	if stateDir == "" {
		return ""
	}
	return filepath.Join(stateDir, "history.jsonl")
}

// OpenHistory loads the history ("" keeps it in memory only). Jobs that
// were still running are recorded as ended with an unknown result.
func OpenHistory(path string) (*History, error) {
	h := &History{path: path, index: map[string]int{}}
	if path == "" {
		return h, nil
	}
	if err := h.load(); err != nil {
		return nil, err
	}
	h.markUnknown()
	if err := h.compact(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *History) load() error {
	data, err := os.ReadFile(h.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("history: read %s: %w", h.path, err)
	}

	skipped := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec Record
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.ID == "" {
			skipped++ // a torn line from a crash, or damage: keep the rest
			continue
		}
		h.put(rec)
	}
	if skipped > 0 {
		slog.Warn("history: skipped unreadable lines", "file", h.path, "lines", skipped)
	}
	return nil
}

// markUnknown ends the jobs a previous engine left running.
func (h *History) markUnknown() {
	for i := range h.records {
		if !h.records[i].State.Terminal() {
			h.records[i].State = Unknown
			h.records[i].Error = "the engine stopped while this job was running; " +
				"its result is unknown"
		}
	}
}

// compact rewrites the file with one line per job (the newest maxHistory
// jobs), atomically, and opens it for appending.
func (h *History) compact() error {
	if len(h.records) > maxHistory {
		h.records = append([]Record(nil), h.records[len(h.records)-maxHistory:]...)
		h.reindex()
	}
	var buf bytes.Buffer
	for _, rec := range h.records {
		line, _ := json.Marshal(rec)
		buf.Write(append(line, '\n'))
	}
	if err := config.WriteFileAtomic(h.path, buf.Bytes()); err != nil {
		return fmt.Errorf("history: %w", err)
	}

	if h.file != nil {
		h.file.Close()
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	h.file, h.lines = f, len(h.records)
	return nil
}

func (h *History) reindex() {
	h.index = make(map[string]int, len(h.records))
	for i, rec := range h.records {
		h.index[rec.ID] = i
	}
}

// put stores a record in memory. h.mu must be held (or h not shared yet).
func (h *History) put(rec Record) {
	if i, ok := h.index[rec.ID]; ok {
		h.records[i] = rec
		return
	}
	h.index[rec.ID] = len(h.records)
	h.records = append(h.records, rec)
}

// Record saves the job's current metadata. Failing to write is logged,
// not fatal: the job itself goes on.
func (h *History) Record(job *Job) {
	rec := recordOf(job)
	h.mu.Lock()
	defer h.mu.Unlock()
	if i, ok := h.index[rec.ID]; ok && h.records[i] == rec {
		return
	}
	h.put(rec)
	if h.file == nil {
		return
	}

	line, _ := json.Marshal(rec)
	if _, err := h.file.Write(append(line, '\n')); err != nil {
		slog.Error("history: cannot write", "file", h.path, "err", err)
		return
	}
	h.lines++
	if h.lines > 3*len(h.records)+1000 {
		if err := h.compact(); err != nil {
			slog.Error("history: cannot compact", "err", err)
		}
	}
}

func recordOf(j *Job) Record {
	snap := j.Summary()
	rec := Record{ID: j.ID, ProcessKey: j.Package.Key, Process: j.Package.Name,
		Version: j.Package.Version, Origin: j.Origin, State: snap.State,
		Created: j.Created, Started: snap.Started, Ended: snap.Ended}
	if snap.Err != nil {
		rec.Error = snap.Err.Message
	}
	return rec
}

// List returns up to limit records, newest first, skipping offset.
func (h *History) List(offset, limit int) []Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Record
	for i := len(h.records) - 1 - offset; i >= 0 && len(out) < limit; i-- {
		out = append(out, h.records[i])
	}
	return out
}

// Len is how many jobs the history holds.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.records)
}

// Close closes the file.
func (h *History) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file == nil {
		return nil
	}
	err := h.file.Close()
	h.file = nil
	return err
}
