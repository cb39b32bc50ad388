package ui

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"

	"robotbridge/control"
	"robotbridge/engine"
)

func TestProcessesTab_ListsSearchesAndRuns(t *testing.T) {
	api := startEngine(t)
	u, loop := newTestUI(t, api, Options{})
	u.start(context.Background())
	loop.until(t, "the process list", func() bool { return len(u.procs.shown) > 0 })

	want := []string{"echo", "events", "fail", "sleep"}
	if got := u.procs.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("the list shows %v, want the engine's samples %v", got, want)
	}
	// What the list widget draws, not just its data.
	drawn := test.RenderObjectToMarkup(u.procs.list)
	for _, name := range want {
		if !strings.Contains(drawn, ">"+name+"<") {
			t.Errorf("the list does not draw %q", name)
		}
	}

	test.Type(u.procs.search, "ARGUMENTS unchanged")
	if got := u.procs.Names(); !reflect.DeepEqual(got, []string{"echo"}) {
		t.Fatalf("search for echo's description shows %v", got)
	}

	u.procs.list.Select(0)
	typeInto(t, u.procs.run.form, "text", "hello")
	typeInto(t, u.procs.run.form, "count", "3")
	test.Tap(u.procs.run.runBtn)
	loop.until(t, "the started job", func() bool {
		return strings.HasPrefix(u.procs.run.result.Text, "Started job")
	})
	loop.until(t, "echo in the jobs list", func() bool {
		return rowOf(u, "echo").State == stateSuccessful
	})
	saveRender(t, u, "processes")
}

func TestProcessesTab_BadArgumentIsShownNotSent(t *testing.T) {
	api := startEngine(t)
	u, loop := newTestUI(t, api, Options{})
	u.procs.Reload()
	loop.until(t, "the process list", func() bool { return len(u.procs.shown) > 0 })

	u.procs.list.Select(0) // echo
	typeInto(t, u.procs.run.form, "count", "many")
	test.Tap(u.procs.run.runBtn)
	if got := u.procs.run.result.Text; !strings.HasPrefix(got, "count: ") {
		t.Fatalf("result after a bad count = %q, want the argument's problem", got)
	}
	jobs, err := api.Jobs()
	if err != nil || len(jobs) != 0 {
		t.Fatalf("jobs after a refused form: %v, %v; want none", jobs, err)
	}
}

// A slow engine never blocks the window: the tab shows progress at once
// and fills in when the answer comes.
func TestProcessesTab_SlowEngineShowsProgress(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/processes", func(w http.ResponseWriter, r *http.Request) {
		<-release
		control.WriteJSON(w, http.StatusOK, []engine.ProcessEntry{{Key: "k", Name: "slow"}})
	})
	u, loop := newTestUI(t, fakeEngine(t, mux), Options{})
	defer close(release)

	u.procs.Reload() // returns at once: the call runs in the background
	if !u.procs.load.busy || len(u.procs.load.content.Objects) != 1 ||
		u.procs.load.content.Objects[0] != u.procs.load.bar {
		t.Fatal("no progress bar while the engine is slow")
	}
	u.procs.Reload() // a second click does not start a second call
	release <- struct{}{}
	loop.until(t, "the slow list", func() bool { return len(u.procs.shown) == 1 })
	if u.procs.load.busy || len(u.procs.load.content.Objects) != 0 {
		t.Fatal("the progress bar stays after the answer")
	}
}

// A failing engine shows its error and a Retry button that works.
func TestProcessesTab_FailureShowsErrorAndRetry(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/processes", func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			control.WriteError(w, http.StatusInternalServerError, errorString("disk on fire"))
			return
		}
		control.WriteJSON(w, http.StatusOK, []engine.ProcessEntry{{Key: "k", Name: "back"}})
	})
	u, loop := newTestUI(t, fakeEngine(t, mux), Options{})

	u.procs.Reload()
	loop.until(t, "the error", func() bool { return u.procs.load.Message() != "" })
	if got := u.procs.load.Message(); !strings.Contains(got, "disk on fire") {
		t.Fatalf("error line = %q, want the engine's message", got)
	}
	fail.Store(false)
	test.Tap(u.procs.load.retry)
	loop.until(t, "the list after Retry", func() bool { return len(u.procs.shown) == 1 })
}

func TestProcessCaption(t *testing.T) {
	p := engine.ProcessEntry{Version: "1.2.0", Newer: "1.3.0", Source: "folder",
		Inputs: []engine.ArgumentEntry{{Name: "a"}, {Name: "b"}}}
	want := "v1.2.0 · v1.3.0 installed too · folder · 2 arguments"
	if got := processCaption(p); got != want {
		t.Errorf("processCaption = %q, want %q", got, want)
	}
}

func TestFilterProcesses(t *testing.T) {
	all := []engine.ProcessEntry{
		{Key: "inv", Name: "Invoices", Description: "Books incoming invoices"},
		{Key: "pay", Name: "Payroll", Description: "Monthly pay run"},
	}
	cases := map[string][]string{
		"":              {"Invoices", "Payroll"},
		"invoice":       {"Invoices"},
		"PAY run":       {"Payroll"},
		"books payroll": nil,
		"inv":           {"Invoices"},
	}
	for q, want := range cases {
		var got []string
		for _, p := range filterProcesses(all, q) {
			got = append(got, p.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("filterProcesses(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestRunPane_ProcessWithAProblemCannotRun(t *testing.T) {
	u, _ := newTestUI(t, NewAPI(control.NewClient(control.SocketPath(shortDir(t)))), Options{})
	u.procs.run.Show(engine.ProcessEntry{Key: "k", Name: "broken",
		Problem: "pinned version 2.0.0 is not installed"})
	if !u.procs.run.runBtn.Disabled() || !strings.Contains(u.procs.run.result.Text, "2.0.0") {
		t.Fatalf("run button disabled %v, message %q; want it grey with the problem",
			u.procs.run.runBtn.Disabled(), u.procs.run.result.Text)
	}
}

// With no engine on the socket, the window says so and keeps trying.
func TestNoEngine_StatusSaysSoAndRetries(t *testing.T) {
	u, loop := newTestUI(t, NewAPI(control.NewClient(control.SocketPath(shortDir(t)))), Options{})
	u.start(context.Background())
	loop.until(t, "the status line", func() bool {
		return strings.Contains(u.status.text.Text, "Engine not reachable")
	})
	if !strings.Contains(u.status.text.Text, "trying again") || !u.status.down {
		t.Fatalf("status %q, down %v", u.status.text.Text, u.status.down)
	}
}
