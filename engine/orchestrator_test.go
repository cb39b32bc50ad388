package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// orchFixture is an engine with one connection, "prod", to a fake
// Orchestrator whose InvoiceBot runs in Finance/AP.
type orchFixture struct {
	s       *orchestratortest.Server
	keyring *orchestratortest.Keyring
	c       *control.Client
	relay   chan feed.Event // orchestrator.relay events, once stream runs
}

func newOrchFixture(t *testing.T) *orchFixture {
	t.Helper()
	return newOrchFixtureWith(t, orchSetup{interval: 10 * time.Millisecond})
}

// orchSetup varies the fixture: the follower's poll interval, and a relay
// for the connection.
type orchSetup struct {
	interval          time.Duration
	relayURL, relayTk string
}

func newOrchFixtureWith(t *testing.T, setup orchSetup) *orchFixture {
	t.Helper()
	s := orchestratortest.New(t, orchestratortest.Options{})
	s.AddUser(orchestratortest.User{Name: "jdoe", Password: "pw", Tenant: "Default"})
	s.AddRelease("Finance/AP", orchestratortest.Release{Name: "InvoiceBot",
		ProcessKey: "InvoiceBot", ProcessVersion: "1.0.2",
		Input: `[{"name":"in_Amount","type":"System.Int32, mscorlib","required":true,` +
			`"hasDefault":false}]`})
	dir := filepath.Join(t.TempDir(), "cfg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	kr := orchestratortest.NewKeyring()
	secrets := orchestrator.NewSecrets(kr, 0)
	store := orchestrator.NewStore(dir, secrets, nil)
	err := store.Add(orchestrator.Profile{Name: "prod", URL: s.URL,
		Auth: orchestrator.AuthPassword, User: "jdoe", Tenant: "Default",
		Folder: "Finance/AP", CAFile: ca}, "pw", false)
	if err == nil && setup.relayURL != "" {
		err = store.SetRelay("prod", setup.relayURL, setup.relayTk)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := startEngineWith(t, engine.Options{ConfigDir: dir, Port: -1, APIPort: 0,
		Ready: io.Discard, Orchestrator: engine.OrchestratorOptions{Secrets: secrets,
			Follow: orchestrator.FollowOptions{Interval: setup.interval}}})
	return &orchFixture{s: s, keyring: kr, c: c, relay: make(chan feed.Event, 16)}
}

// startEngineWith runs the engine with opts until the test ends and waits
// until its control socket answers.
func startEngineWith(t *testing.T, opts engine.Options) *control.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- engine.Run(ctx, opts) }()
	t.Cleanup(func() { cancel(); <-done })
	c := control.NewClient(control.SocketPath(opts.ConfigDir))
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Do("GET", "/v1/status", nil, nil)
		if err == nil {
			return c
		}
		select {
		case err := <-done:
			t.Fatalf("engine stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine did not answer: %v", err)
		}
	}
}

// stream follows the engine's feed from now on: its job events arrive on
// the channel, relay events on fx.relay.
func (fx *orchFixture) stream(t *testing.T) <-chan feed.Event {
	t.Helper()
	var st engine.Status
	if err := fx.c.Do("GET", "/v1/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	body, err := fx.c.Stream(ctx, fmt.Sprintf("/v1/events?after=%d", st.LastEvent))
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan feed.Event, 100)
	go func() {
		defer body.Close()
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			var e feed.Event
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			switch e.Type {
			case feed.OrchestratorJobState:
				ch <- e
			case feed.OrchestratorRelay:
				fx.relay <- e
			}
		}
	}()
	return ch
}

// next is the next event of job id; it fails the test after 15 s.
func next(t *testing.T, ch <-chan feed.Event, id string) feed.Event {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.JobID == id {
				return e
			}
		case <-timeout:
			t.Fatalf("no event of job %s within 15 s", id)
		}
	}
}

// expect checks that job id's next event has the state and an error
// containing errText ("" : no error).
func expect(t *testing.T, ch <-chan feed.Event, id, state, errText string) feed.Event {
	t.Helper()
	e := next(t, ch, id)
	if e.State != state || e.Connection != "prod" || e.Folder != "Finance/AP" ||
		e.Process != "InvoiceBot" || (errText == "") != (e.Error == "") ||
		!strings.Contains(e.Error, errText) {
		t.Fatalf("event %+v, want state %s of prod Finance/AP InvoiceBot, error %q",
			e, state, errText)
	}
	return e
}

func (fx *orchFixture) start(t *testing.T) engine.OrchestratorJob {
	t.Helper()
	var job engine.OrchestratorJob
	err := fx.c.Do("POST", "/v1/orchestrator/jobs", engine.OrchestratorRunRequest{
		Connection: "prod", Process: "InvoiceBot",
		Arguments: map[string]any{"in_Amount": 42}}, &job)
	if err != nil || job.ID == "" || job.State != "pending" {
		t.Fatalf("start: %+v, %v", job, err)
	}
	return job
}

func TestOrchestratorJob_StartedThroughControlAPI_EventsToOutputs(t *testing.T) {
	fx := newOrchFixture(t)
	var procs []engine.OrchestratorProcess
	err := fx.c.Do("GET", "/v1/orchestrator/processes?connection=prod", nil, &procs)
	if err != nil || len(procs) != 1 || procs[0].Name != "InvoiceBot" ||
		len(procs[0].Inputs) != 1 || procs[0].Inputs[0].Type != "System.Int32" {
		t.Fatalf("processes: %+v, %v", procs, err)
	}

	events := fx.stream(t)
	job := fx.start(t)
	expect(t, events, job.ID, "pending", "")
	fx.s.Advance(time.Second) // the default script: Pending 1 s, Running 3 s
	expect(t, events, job.ID, "running", "")
	fx.s.Advance(3 * time.Second)
	end := expect(t, events, job.ID, "successful", "")
	if fmt.Sprint(end.Output["out_Total"]) != "1" {
		t.Fatalf("outputs %v, want out_Total 1", end.Output)
	}

	var list []engine.OrchestratorJob
	if err := fx.c.Do("GET", "/v1/orchestrator/jobs", nil, &list); err != nil ||
		len(list) != 1 || list[0].ID != job.ID || list[0].State != "successful" ||
		list[0].Ended.IsZero() || fmt.Sprint(list[0].Output["out_Total"]) != "1" {
		t.Fatalf("jobs: %+v, %v", list, err)
	}
}

func TestOrchestratorJob_StoppedAndFaulted_ErrorArrives(t *testing.T) {
	fx := newOrchFixture(t)
	events := fx.stream(t)

	stopped := fx.start(t)
	expect(t, events, stopped.ID, "pending", "")
	fx.s.Advance(time.Second)
	expect(t, events, stopped.ID, "running", "")
	path := "/v1/orchestrator/jobs/prod/" + stopped.ID + "/stop"
	if err := fx.c.Do("POST", path, engine.StopRequest{}, nil); err != nil {
		t.Fatalf("stop: %v", err)
	}
	expect(t, events, stopped.ID, "stopping", "")
	fx.s.Advance(time.Second) // the fake's StopDelay
	expect(t, events, stopped.ID, "stopped", "Job stopped")
	err := fx.c.Do("POST", path, engine.StopRequest{Kill: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "has ended") {
		t.Fatalf("stopping an ended job: %v", err)
	}

	faulted := fx.start(t)
	expect(t, events, faulted.ID, "pending", "")
	var id int64
	fmt.Sscan(faulted.ID, &id)
	fx.s.SetJob(id, "Faulted", "System.Exception: no invoices found", nil)
	expect(t, events, faulted.ID, "faulted", "no invoices found")

	err = fx.c.Do("POST", "/v1/orchestrator/jobs/prod/999999/stop", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "does not follow") {
		t.Fatalf("stopping an unknown job: %v", err)
	}
}

func TestOrchestrator_KeyringUnavailable_ClearErrorEngineServes(t *testing.T) {
	fx := newOrchFixture(t)
	fx.keyring.Err = errors.New("no D-Bus session")
	err := fx.c.Do("POST", "/v1/orchestrator/jobs", engine.OrchestratorRunRequest{
		Connection: "prod", Process: "InvoiceBot"}, nil)
	if err == nil || !strings.Contains(err.Error(), "OS keyring unavailable") {
		t.Fatalf("start without a keyring: %v", err)
	}
	err = fx.c.Do("GET", "/v1/orchestrator/processes?connection=nope", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no such connection") {
		t.Fatalf("unknown connection: %v", err)
	}
	if err := fx.c.Do("GET", "/v1/status", nil, nil); err != nil {
		t.Fatalf("status after the failures: %v", err)
	}
}
