package ui

import (
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"robotbridge/feed"
)

// Throttle limits: a burst of notifyBurst notifications, then one every
// notifyEvery; what was held back is summed up in one notification.
const (
	notifyBurst = 3
	notifyEvery = 5 * time.Second
)

// jobNotification is the notification for a job.state or an
// orchestrator.job.state event; ok is false for states that do not
// deserve one.
func jobNotification(ev feed.Event) (n fyne.Notification, ok bool) {
	if ev.Type == feed.OrchestratorJobState {
		return orchestratorNotification(ev)
	}
	if ev.Type != feed.JobState {
		return n, false
	}
	name := ev.Process
	if name == "" {
		name = "A job"
	}
	switch ev.State {
	case stateRunning:
		return fyne.Notification{Title: name + " started", Content: whoStarted(ev.Origin)}, true
	case stateSuccessful:
		return fyne.Notification{Title: name + " finished", Content: "The job completed."}, true
	case stateFaulted:
		msg := ev.Error
		if msg == "" {
			msg = "The job faulted."
		}
		return fyne.Notification{Title: name + " faulted", Content: msg}, true
	case stateStopped:
		return fyne.Notification{Title: name + " stopped", Content: "The job was stopped."}, true
	}
	return n, false
}

// whoStarted says where a job came from.
func whoStarted(origin string) string {
	if origin == "" || origin == "local" {
		return "Started from this computer."
	}
	return "Started by " + origin + "."
}

// throttle is a token bucket: it allows a burst, then one per interval,
// and counts what it held back. Safe for concurrent use.
type throttle struct {
	burst int
	every time.Duration

	mu sync.Mutex
	// guarded by mu:
	tokens float64
	last   time.Time
	held   int
}

func newThrottle(burst int, every time.Duration) *throttle {
	return &throttle{burst: burst, every: every, tokens: float64(burst)}
}

// Allow takes a token if one is left at now. When it returns false the
// notification is counted as held back.
func (t *throttle) Allow(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.takeLocked(now) {
		return true
	}
	t.held++
	return false
}

// Flush returns the count of held-back notifications and clears it, if
// a token is left for their summary; else 0, and they stay held.
func (t *throttle) Flush(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held == 0 || !t.takeLocked(now) {
		return 0
	}
	n := t.held
	t.held = 0
	return n
}

// Held is the count of held-back notifications.
func (t *throttle) Held() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.held
}

// takeLocked refills the bucket for the time since the last call and
// takes a token if there is one. t.mu must be held.
func (t *throttle) takeLocked(now time.Time) bool {
	if !t.last.IsZero() {
		t.tokens += float64(now.Sub(t.last)) / float64(t.every)
		t.tokens = min(t.tokens, float64(t.burst))
	}
	t.last = now
	if t.tokens >= 1 {
		t.tokens--
		return true
	}
	return false
}

// heldSummary is the notification that sums up held-back ones.
func heldSummary(n int) fyne.Notification {
	return fyne.Notification{Title: "robotbridge",
		Content: fmt.Sprintf("%d more job updates; open robotbridge to see them.", n)}
}

// notifier sends job notifications through send, throttled. A timer sends
// the summary of held-back ones once the burst is over.
type notifier struct {
	send    func(*fyne.Notification)
	enabled func() bool
	now     func() time.Time // must be safe from any goroutine
	every   time.Duration    // pause before a summary
	t       *throttle

	mu sync.Mutex
	// guarded by mu:
	flush   *time.Timer
	stopped bool
}

func newNotifier(send func(*fyne.Notification), enabled func() bool) *notifier {
	return &notifier{send: send, enabled: enabled, now: time.Now, every: notifyEvery,
		t: newThrottle(notifyBurst, notifyEvery)}
}

// OnEvent notifies about a job.state event if notifications are on.
func (n *notifier) OnEvent(ev feed.Event) {
	note, ok := jobNotification(ev)
	if !ok || !n.enabled() {
		return
	}
	if n.t.Allow(n.now()) {
		n.send(&note)
		return
	}
	n.scheduleSummary()
}

// scheduleSummary arms one timer that sends the summary of held-back
// notifications once a token is free again.
func (n *notifier) scheduleSummary() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.flush != nil || n.stopped {
		return
	}
	n.flush = time.AfterFunc(n.every, n.sendSummary)
}

func (n *notifier) sendSummary() {
	n.mu.Lock()
	n.flush = nil
	n.mu.Unlock()
	if held := n.t.Flush(n.now()); held > 0 {
		note := heldSummary(held)
		n.send(&note)
	}
	if n.t.Held() > 0 {
		n.scheduleSummary()
	}
}

// Stop cancels a pending summary; nothing is sent afterwards.
func (n *notifier) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopped = true
	if n.flush != nil {
		n.flush.Stop()
		n.flush = nil
	}
}
