package ui

import (
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// LogBuffer keeps the newest log lines of this process for the Logs tab.
// It is an io.Writer for a slog text handler (one Write per record); it
// holds only what the log holds, which by project rule has no secrets or
// argument values. Safe for concurrent use.
type LogBuffer struct {
	max int

	mu sync.Mutex
	// guarded by mu:
	lines   []string
	changed chan struct{} // closed and replaced on every write
}

// NewLogBuffer keeps the newest max lines.
func NewLogBuffer(max int) *LogBuffer {
	return &LogBuffer{max: max, changed: make(chan struct{})}
}

// Write stores each line of p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		b.lines = append(b.lines, line)
	}
	if over := len(b.lines) - b.max; over > 0 {
		b.lines = append(b.lines[:0:0], b.lines[over:]...)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// Lines returns a copy of the kept lines, oldest first, and a channel
// that is closed at the next write.
func (b *LogBuffer) Lines() ([]string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...), b.changed
}

// logRedrawPause is the least time between two redraws of the Logs tab.
const logRedrawPause = 250 * time.Millisecond

// logsTab shows the LogBuffer, newest line last.
type logsTab struct {
	u       *ui
	lines   []string
	list    *widget.List
	content fyne.CanvasObject
}

func newLogsTab(u *ui) *logsTab {
	t := &logsTab{u: u}
	t.list = widget.NewList(func() int { return len(t.lines) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("log line")
			l.TextStyle.Monospace = true
			l.SizeName = theme.SizeNameCaptionText
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(t.lines[i]) })
	copyAll := widget.NewButtonWithIcon("Copy all", theme.ContentCopyIcon(), func() {
		u.app.Clipboard().SetContent(strings.Join(t.lines, "\n"))
	})
	about := widget.NewLabel(logsAbout(u.opts))
	about.Wrapping = fyne.TextWrapWord
	top := container.NewBorder(nil, nil, nil, copyAll, about)
	t.content = container.NewBorder(top, nil, nil, nil, t.list)
	return t
}

// logsAbout says whose log this is.
func logsAbout(o Options) string {
	if o.Logs == nil {
		return "This app logs to its standard error."
	}
	if o.InProcess {
		return "The log of this app and of the engine inside it (warnings and " +
			"errors by default; never argument values or secrets)."
	}
	return "The log of this app. The engine runs separately: as a user service its " +
		"log is in the journal (journalctl --user -u robotbridge)."
}

// follow redraws the list whenever the buffer changes, at most a few
// times a second; it returns when stop is closed.
func (t *logsTab) follow(stop <-chan struct{}) {
	if t.u.opts.Logs == nil {
		return
	}
	for {
		_, changed := t.u.opts.Logs.Lines()
		select {
		case <-stop:
			return
		case <-changed:
		}
		t.u.do(t.Refresh)
		select { // coalesce a burst of lines into one redraw
		case <-stop:
			return
		case <-time.After(logRedrawPause):
		}
	}
}

// Refresh shows the buffer's current lines.
func (t *logsTab) Refresh() {
	if t.u.opts.Logs == nil {
		return
	}
	t.lines, _ = t.u.opts.Logs.Lines()
	t.list.Refresh()
	t.list.ScrollToBottom()
}
