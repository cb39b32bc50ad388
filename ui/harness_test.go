package ui

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"robotbridge/assets/samples"
	"robotbridge/control"
	"robotbridge/engine"
)

func TestMain(m *testing.M) {
	// The engine runs the sample processes as children of this binary.
	samples.RunIfRequested()
	os.Exit(m.Run())
}

// testWait bounds every wait in these tests.
const testWait = 15 * time.Second

// uiLoop stands in for Fyne's UI goroutine: background work hands it
// functions, and the test goroutine runs them while it waits.
type uiLoop struct {
	mu     sync.Mutex
	queue  []func()
	wakeup chan struct{}
}

func newUILoop() *uiLoop { return &uiLoop{wakeup: make(chan struct{}, 1)} }

// do queues f; safe from any goroutine.
func (l *uiLoop) do(f func()) {
	l.mu.Lock()
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	select {
	case l.wakeup <- struct{}{}:
	default:
	}
}

// runQueued runs what is queued now.
func (l *uiLoop) runQueued() {
	l.mu.Lock()
	q := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, f := range q {
		f()
	}
}

// until runs queued UI work until cond holds, failing the test after
// testWait.
func (l *uiLoop) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(testWait)
	defer deadline.Stop()
	for {
		l.runQueued()
		if cond() {
			return
		}
		select {
		case <-l.wakeup:
		case <-deadline.C:
			t.Fatalf("gave up after %s waiting for %s", testWait, what)
		}
	}
}

// shortDir is a temporary folder with a short path: a unix socket path
// must stay under about 100 bytes, and test names make TempDir long.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rbui")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startEngine runs a real engine on free ports and returns its API.
func startEngine(t *testing.T) *API {
	t.Helper()
	dir := filepath.Join(shortDir(t), "cfg")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- engine.Run(ctx, engine.Options{ConfigDir: dir, Port: -1, APIPort: 0,
			Ready: io.Discard})
	}()
	t.Cleanup(func() { cancel(); <-done })

	api := NewAPI(control.NewClient(control.SocketPath(dir)))
	deadline := time.Now().Add(testWait)
	for {
		_, err := api.Status()
		if err == nil {
			return api
		}
		select {
		case err := <-done:
			t.Fatalf("engine stopped at start: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine did not answer: %v", err)
		}
	}
}

// fakeEngine serves a hand-written control API on a real control socket.
func fakeEngine(t *testing.T, h http.Handler) *API {
	t.Helper()
	path := control.SocketPath(shortDir(t))
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Serve(ctx, ln, h) }()
	t.Cleanup(func() { cancel(); <-done })
	return NewAPI(control.NewClient(path))
}

// newTestUI builds the app on Fyne's headless driver, with the test's
// loop as the UI goroutine.
func newTestUI(t *testing.T, api *API, opts Options) (*ui, *uiLoop) {
	t.Helper()
	a := test.NewTempApp(t)
	loop := newUILoop()
	opts.API = api
	u := newUI(a, opts, loop.do)
	u.win.Resize(fyne.NewSize(960, 620))
	u.win.Show()
	t.Cleanup(func() {
		u.stop()
		u.win.Close()
	})
	return u, loop
}
