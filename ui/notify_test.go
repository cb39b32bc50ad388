package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"robotbridge/feed"
)

func TestJobNotification(t *testing.T) {
	cases := []struct {
		name      string
		ev        feed.Event
		wantOK    bool
		wantTitle string
		wantBody  string
	}{
		{"started locally", feed.Event{Type: feed.JobState, Process: "echo", State: stateRunning,
			Origin: "local"}, true, "echo started", "this computer"},
		{"started by a site", feed.Event{Type: feed.JobState, Process: "echo",
			State: stateRunning, Origin: "https://a.example"}, true, "echo started",
			"https://a.example"},
		{"finished", feed.Event{Type: feed.JobState, Process: "echo", State: stateSuccessful},
			true, "echo finished", "completed"},
		{"faulted with error", feed.Event{Type: feed.JobState, Process: "fail",
			State: stateFaulted, Error: "no invoice"}, true, "fail faulted", "no invoice"},
		{"stopped", feed.Event{Type: feed.JobState, Process: "sleep", State: stateStopped},
			true, "sleep stopped", "stopped"},
		{"pending is quiet", feed.Event{Type: feed.JobState, State: statePending}, false, "", ""},
		{"status text is quiet", feed.Event{Type: feed.JobStatus, Text: "50%"}, false, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, ok := jobNotification(c.ev)
			if ok != c.wantOK || n.Title != c.wantTitle || !strings.Contains(n.Content, c.wantBody) {
				t.Fatalf("jobNotification = %+v, %v; want %q with %q, %v",
					n, ok, c.wantTitle, c.wantBody, c.wantOK)
			}
		})
	}
}

func TestThrottle_BurstThenOnePerInterval(t *testing.T) {
	th := newThrottle(3, 5*time.Second)
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return start.Add(d) }

	for i := range 3 {
		if !th.Allow(at(0)) {
			t.Fatalf("notification %d of the burst was held", i+1)
		}
	}
	if th.Allow(at(time.Second)) || th.Allow(at(2*time.Second)) {
		t.Fatal("a 4th and 5th notification within the interval were allowed")
	}
	if got := th.Held(); got != 2 {
		t.Fatalf("Held() = %d, want 2", got)
	}
	if got := th.Flush(at(3 * time.Second)); got != 0 {
		t.Fatalf("Flush before a token is back = %d, want 0 (still held)", got)
	}
	if got := th.Flush(at(7 * time.Second)); got != 2 {
		t.Fatalf("Flush once a token is back = %d, want 2", got)
	}
	if got := th.Flush(at(60 * time.Second)); got != 0 {
		t.Fatalf("Flush with nothing held = %d, want 0", got)
	}
	for i := range 3 {
		if !th.Allow(at(time.Hour)) {
			t.Fatalf("after a quiet hour, notification %d was held", i+1)
		}
	}
}

// sentNotes records what a notifier sends; safe from the timer goroutine.
type sentNotes struct {
	mu    sync.Mutex
	notes []fyne.Notification
	added chan struct{}
}

func (s *sentNotes) send(n *fyne.Notification) {
	s.mu.Lock()
	s.notes = append(s.notes, *n)
	s.mu.Unlock()
	s.added <- struct{}{}
}

// fakeClock is a settable clock, safe from any goroutine.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestNotifier_BurstIsSummedUp(t *testing.T) {
	sent := &sentNotes{added: make(chan struct{}, 10)}
	n := newNotifier(sent.send, func() bool { return true })
	defer n.Stop()
	clock := &fakeClock{t: time.Now()}
	n.now, n.every = clock.Now, 20*time.Millisecond // the summary timer runs on real time

	for i := range 6 {
		n.OnEvent(feed.Event{Type: feed.JobState, Process: "echo", State: stateSuccessful,
			JobID: string(rune('a' + i))})
	}
	for range 3 {
		<-sent.added
	}
	clock.Add(notifyEvery) // a token is back for the summary
	select {
	case <-sent.added:
	case <-time.After(testWait):
		t.Fatal("no summary of the held-back notifications")
	}
	sent.mu.Lock()
	defer sent.mu.Unlock()
	if len(sent.notes) != 4 || !strings.Contains(sent.notes[3].Content, "3 more job updates") {
		t.Fatalf("sent %+v; want 3 notifications and a summary of 3 more", sent.notes)
	}
}

func TestNotifier_OffSendsNothing(t *testing.T) {
	sent := &sentNotes{added: make(chan struct{}, 10)}
	n := newNotifier(sent.send, func() bool { return false })
	n.OnEvent(feed.Event{Type: feed.JobState, Process: "echo", State: stateRunning})
	if len(sent.notes) != 0 {
		t.Fatalf("notifications off, but sent %+v", sent.notes)
	}
}
