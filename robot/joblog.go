package robot

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// maxJobLogBytes caps one job's log; a process that prints gigabytes
// fills it once and the rest is counted, not kept.
const maxJobLogBytes = 10 << 20

// jobLog is a job's stdout and stderr on disk, capped. A nil *jobLog
// ignores Close (job logs off).
type jobLog struct {
	mu      sync.Mutex
	f       *os.File
	written int64
	dropped int64
}

// JobLogPath is where a job's log lives when job logs are on.
func JobLogPath(dir, jobID string) string {
	return filepath.Join(dir, jobID+".log")
}

func openJobLog(dir, jobID string) (*jobLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("job log: %w", err)
	}
	f, err := os.OpenFile(JobLogPath(dir, jobID), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("job log: %w", err)
	}
	return &jobLog{f: f}, nil
}

func (l *jobLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	room := maxJobLogBytes - l.written
	keep := int64(len(p))
	if keep > room {
		keep = room
	}
	if keep > 0 {
		n, err := l.f.Write(p[:keep])
		l.written += int64(n)
		if err != nil {
			l.dropped += int64(len(p)) - int64(n)
			return len(p), nil // a full disk must not stop the process
		}
	}
	l.dropped += int64(len(p)) - keep
	return len(p), nil
}

// Close notes what the cap dropped and closes the file.
func (l *jobLog) Close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		fmt.Fprintf(l.f, "\n[robotbridge: log limit of %d MiB reached; %d more bytes "+
			"were not kept]\n", maxJobLogBytes>>20, l.dropped)
	}
	l.f.Close()
}
