package ui

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// orchEngine is a fake control API with one local process and one
// Orchestrator connection, "prod", that has one process.
type orchEngine struct {
	fail   atomic.Bool           // the Orchestrator's process list fails
	conn   chan string           // the connection each process list asks for
	runs   chan map[string]any   // the bodies of POST /v1/orchestrator/jobs
	stops  chan string           // the paths of stop calls
	procs  []engine.ProcessEntry // the engine's own processes
	remote []engine.OrchestratorProcess
}

func newOrchEngine() *orchEngine {
	return &orchEngine{conn: make(chan string, 10), runs: make(chan map[string]any, 10),
		stops: make(chan string, 10),
		procs: []engine.ProcessEntry{{Key: "echo", Name: "echo"}},
		remote: []engine.OrchestratorProcess{{Name: "InvoiceBot", Key: "rel-1",
			Version: "1.0.3", Folder: "Finance/AP", Inputs: []engine.ArgumentEntry{
				{Name: "in_Amount", Type: "System.Int32", Required: true}}}}}
}

func (e *orchEngine) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/processes", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, e.procs)
	})
	mux.HandleFunc("GET /v1/orchestrator/processes", func(w http.ResponseWriter, r *http.Request) {
		e.conn <- r.URL.Query().Get("connection")
		if e.fail.Load() {
			control.WriteError(w, http.StatusBadGateway, errorString("Orchestrator unreachable"))
			return
		}
		control.WriteJSON(w, http.StatusOK, e.remote)
	})
	mux.HandleFunc("POST /v1/orchestrator/jobs", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			control.WriteError(w, http.StatusBadRequest, err)
			return
		}
		e.runs <- body
		control.WriteJSON(w, http.StatusOK, engine.OrchestratorJob{Connection: "prod",
			Folder: "Finance/AP", Process: "InvoiceBot", ID: "105", State: statePending})
	})
	mux.HandleFunc("POST /v1/orchestrator/jobs/{conn}/{id}/stop",
		func(w http.ResponseWriter, r *http.Request) {
			e.stops <- r.URL.Path
			control.WriteJSON(w, http.StatusOK, struct{}{})
		})
	return mux
}

// orchUI is the app on an orchEngine with the connection "prod" saved.
func orchUI(t *testing.T, e *orchEngine) (*ui, *uiLoop) {
	t.Helper()
	store := orchestrator.NewStore(t.TempDir(),
		orchestrator.NewSecrets(orchestratortest.NewKeyring(), 0), nil)
	err := store.Add(orchestrator.Profile{Name: "prod", URL: "https://orch.example.com",
		Auth: orchestrator.AuthClientCredentials, User: "app-id-1", Folder: "Finance/AP"},
		"not-a-real-secret", false)
	if err != nil {
		t.Fatal(err)
	}
	return newTestUI(t, fakeEngine(t, e.handler()), Options{Connections: store})
}

// chooseProd loads the sources and picks the connection "prod".
func chooseProd(t *testing.T, u *ui, loop *uiLoop) {
	t.Helper()
	u.procs.Reload()
	u.procs.ReloadSources()
	loop.until(t, "the local list and the connections", func() bool {
		return len(u.procs.conns) == 1 && len(u.procs.shown) == 1 && !u.procs.load.busy
	})
	want := []string{thisComputer, "prod"}
	if got := u.procs.source.Options; !reflect.DeepEqual(got, want) {
		t.Fatalf("source options = %v, want %v", got, want)
	}
	u.procs.source.SetSelected("prod")
}

func TestProcessesTab_ListsAConnectionsProcessesAndRunsThere(t *testing.T) {
	e := newOrchEngine()
	u, loop := orchUI(t, e)
	chooseProd(t, u, loop)
	if !u.procs.load.busy {
		t.Fatal("no progress while the connection's processes load")
	}
	loop.until(t, "the connection's processes", func() bool {
		return reflect.DeepEqual(u.procs.Names(), []string{"InvoiceBot"})
	})
	if got := <-e.conn; got != "prod" {
		t.Fatalf("the process list asked for connection %q, want prod", got)
	}

	u.procs.list.Select(0)
	typeInto(t, u.procs.run.form, "in_Amount", "42")
	test.Tap(u.procs.run.runBtn)
	loop.until(t, "the started job", func() bool {
		return strings.HasPrefix(u.procs.run.result.Text, "Started job 105 in prod")
	})
	body := <-e.runs
	want := map[string]any{"connection": "prod", "folder": "Finance/AP",
		"process": "InvoiceBot", "arguments": map[string]any{"in_Amount": json.Number("42")}}
	if !reflect.DeepEqual(body, want) {
		t.Fatalf("POST /v1/orchestrator/jobs body = %v, want %v", body, want)
	}

	u.procs.source.SetSelected(thisComputer)
	loop.until(t, "the local list again", func() bool {
		return reflect.DeepEqual(u.procs.Names(), []string{"echo"})
	})
	if u.procs.run.proc != nil {
		t.Error("the run pane still shows the Orchestrator process")
	}
}

func TestProcessesTab_ConnectionFailureShowsErrorAndRetry(t *testing.T) {
	e := newOrchEngine()
	e.fail.Store(true)
	u, loop := orchUI(t, e)
	chooseProd(t, u, loop)
	loop.until(t, "the error", func() bool { return u.procs.load.Message() != "" })
	if got := u.procs.load.Message(); !strings.Contains(got, "Orchestrator unreachable") {
		t.Fatalf("error line = %q, want the engine's message", got)
	}
	if len(u.procs.shown) != 0 {
		t.Fatalf("the list shows %v after a failure, want nothing", u.procs.Names())
	}
	e.fail.Store(false)
	test.Tap(u.procs.load.retry)
	loop.until(t, "the list after Retry", func() bool { return len(u.procs.shown) == 1 })
}

// orchEvent is an orchestrator.job.state event of job 105 in prod.
func orchEvent(state string) feed.Event {
	return feed.Event{Type: feed.OrchestratorJobState, At: time.Now(), JobID: "105",
		Process: "InvoiceBot", State: state, Connection: "prod", Folder: "Finance/AP"}
}

// orchRow is the jobs tab's row of job 105 in prod.
func orchRow(u *ui) (int, jobRow) {
	for i, r := range u.jobs.rows {
		if r.Connection == "prod" && r.ID == "105" {
			return i, r
		}
	}
	return -1, jobRow{}
}

func TestOrchestratorJobEvents_ShowAsJobsAndNotify(t *testing.T) {
	e := newOrchEngine()
	u, loop := orchUI(t, e)
	sent := &sentNotes{added: make(chan struct{}, 10)}
	u.notes = newNotifier(sent.send, func() bool { return true })

	u.handleEvent(orchEvent(statePending), true)
	i, r := orchRow(u)
	if i < 0 || r.State != statePending {
		t.Fatalf("after a pending event the row is %+v (at %d), want job 105 pending", r, i)
	}
	if got := cellText(u, i, 2); got != "Orchestrator prod · Finance/AP" {
		t.Errorf("the source cell = %q, want the connection and folder", got)
	}
	if len(sent.notes) != 0 {
		t.Errorf("a pending job notified: %+v", sent.notes)
	}

	u.handleEvent(orchEvent(stateRunning), true)
	// The engine's own job 105 is another job.
	u.handleEvent(feed.Event{Type: feed.JobState, At: time.Now(), JobID: "105",
		Process: "echo", State: stateRunning, Origin: "local"}, false)
	if i, r = orchRow(u); r.State != stateRunning || len(u.jobs.rows) != 2 {
		t.Fatalf("rows %+v; want job 105 in prod running next to the engine's 105", u.jobs.rows)
	}
	if len(sent.notes) != 1 || sent.notes[0].Title != "InvoiceBot started" ||
		!strings.Contains(sent.notes[0].Content, "Orchestrator prod") {
		t.Fatalf("notifications %+v; want InvoiceBot started in prod", sent.notes)
	}

	u.jobs.table.Select(widget.TableCellID{Row: i, Col: 0})
	if u.jobs.detail.stop.Disabled() || !u.jobs.detail.openLog.Disabled() {
		t.Fatal("a running Orchestrator job has no Stop, or has Open log")
	}
	test.Tap(u.jobs.detail.stop)
	if got := <-e.stops; got != "/v1/orchestrator/jobs/prod/105/stop" {
		t.Fatalf("Stop called %s", got)
	}
	loop.until(t, "the stop answer", func() bool { return !u.jobs.detail.msg.Visible() })

	done := orchEvent(stateSuccessful)
	done.Output = map[string]any{"out_Total": 1}
	u.handleEvent(done, true)
	if _, r = orchRow(u); r.State != stateSuccessful {
		t.Fatalf("after the final event the row is %+v", r)
	}
	if !u.jobs.detail.stop.Disabled() || !strings.Contains(u.jobs.detail.output.Text, "out_Total") {
		t.Error("the ended job's detail keeps Stop or lacks its output")
	}
	if len(sent.notes) != 2 || sent.notes[1].Title != "InvoiceBot finished" {
		t.Fatalf("notifications %+v; want a second one, InvoiceBot finished", sent.notes)
	}
}
