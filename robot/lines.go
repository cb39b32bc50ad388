package robot

import (
	"bytes"
	"strings"
	"sync"
)

// lineWriter splits a process's stdout into lines and hands each to
// onLine. A line longer than max is never buffered whole: onTooLong is
// called once and everything after it is discarded.
type lineWriter struct {
	max       int
	onLine    func([]byte)
	onTooLong func()

	buf      []byte
	tooLong  bool
	overflow bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.overflow {
		return n, nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.appendPart(p)
			break
		}
		w.appendPart(p[:i])
		if w.overflow {
			break
		}
		w.onLine(w.buf)
		w.buf = w.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) appendPart(p []byte) {
	if len(w.buf)+len(p) > w.max {
		w.overflow = true
		w.buf = nil
		w.onTooLong()
		return
	}
	w.buf = append(w.buf, p...)
}

// tailBuffer keeps the last max bytes written to it: enough of a
// process's stderr to explain a crash, never all of it.
type tailBuffer struct {
	max int

	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLine returns the last non-empty line of s, trimmed and capped.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if len(last) > 300 {
		last = last[:300] + "…"
	}
	return last
}
