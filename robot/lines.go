package robot

import (
	"bytes"
	"strings"
	"sync"
)

// lineWriter splits a process's stdout into lines and hands each to
// onLine, buffering at most max bytes. A longer line is never held whole:
// if it is a protocol message (it starts with '{') onTooLong is called
// and everything after it is discarded; any other long line is ordinary
// output and is skipped up to its end.
type lineWriter struct {
	max       int
	onLine    func([]byte)
	onTooLong func()

	buf      []byte
	skipping bool // inside an over-long plain line
	overflow bool // a message was too long: discard the rest
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !w.overflow {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.appendPart(p)
			break
		}
		w.appendPart(p[:i])
		if !w.skipping && !w.overflow {
			w.onLine(w.buf)
		}
		w.buf, w.skipping = w.buf[:0], false
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) appendPart(p []byte) {
	if w.skipping || w.overflow {
		return
	}
	if len(w.buf)+len(p) <= w.max {
		w.buf = append(w.buf, p...)
		return
	}

	head := bytes.TrimLeft(append(w.buf, p...), " \t\r")
	if len(head) > 0 && head[0] == '{' {
		w.overflow = true
		w.onTooLong()
	} else {
		w.skipping = true
	}
	w.buf = w.buf[:0]
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
