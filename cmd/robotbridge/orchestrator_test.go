package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func TestPrintEvent_OrchestratorJob(t *testing.T) {
	var b bytes.Buffer
	printEvent(&b, feed.Event{Type: feed.OrchestratorJobState, Connection: "prod",
		JobID: "42", Process: "InvoiceBot", State: "faulted", Error: "boom"})
	printEvent(&b, feed.Event{Type: feed.OrchestratorJobState, Connection: "prod",
		JobID: "43", Process: "InvoiceBot", State: "successful",
		Output: map[string]any{"out_Total": 1}})
	out := b.String()
	for _, want := range []string{"prod/42 InvoiceBot: faulted: boom",
		"prod/43 InvoiceBot: successful", `prod/43 output: {`, `"out_Total": 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("printed %q, want %q in it", out, want)
		}
	}
}

func TestOrchestratorCmd_Usage(t *testing.T) {
	for _, args := range [][]string{nil, {"run", "prod"}, {"list"},
		{"run", "prod", "P", "not json"}} {
		err := orchestratorCmd(args)
		if err == nil || !strings.Contains(err.Error(), "usage") &&
			!strings.Contains(err.Error(), "JSON object") {
			t.Errorf("orchestrator %q = %v, want usage or a JSON error", args, err)
		}
	}
}

// TestOrchestratorRun_FollowsTheJobToItsOutputs runs the command against
// an engine with a connection to the fake Orchestrator.
func TestOrchestratorRun_FollowsTheJobToItsOutputs(t *testing.T) {
	s := orchestratortest.New(t, orchestratortest.Options{})
	s.AddUser(orchestratortest.User{Name: "jdoe", Password: "pw", Tenant: "T"})
	s.AddRelease("Finance/AP", orchestratortest.Release{Name: "InvoiceBot",
		ProcessKey: "InvoiceBot", ProcessVersion: "1.0.2"})
	dir := filepath.Join(t.TempDir(), "cfg")
	ca := filepath.Join(dir, "ca.pem")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, s.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := orchestrator.NewSecrets(orchestratortest.NewKeyring(), 0)
	if err := orchestrator.NewStore(dir, secrets, nil).Add(orchestrator.Profile{Name: "prod",
		URL: s.URL, Auth: orchestrator.AuthPassword, User: "jdoe", Tenant: "T",
		CAFile: ca}, "pw", false); err != nil {
		t.Fatal(err)
	}
	c := runEngine(t, engine.Options{ConfigDir: dir, Port: -1, APIPort: 0, Ready: io.Discard,
		Orchestrator: engine.OrchestratorOptions{Secrets: secrets,
			Follow: orchestrator.FollowOptions{Interval: 10 * time.Millisecond}}})
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() { defer close(finished); finishFirstJob(ctx, t, c, s) }()
	t.Cleanup(func() { cancel(); <-finished })

	out, err := withStdio(t, "", func() error {
		return orchestratorCmd([]string{"run", "prod", "InvoiceBot", `{"in_Amount": 42}`,
			"--folder", "Finance/AP", "--config-dir", dir})
	})
	t.Log(out)
	if err != nil || !strings.Contains(out, "started (InvoiceBot in folder Finance/AP of prod)") ||
		!strings.Contains(out, "InvoiceBot: successful") ||
		!strings.Contains(out, `"out_Total": 7`) {
		t.Fatalf("orchestrator run: %v\n%s", err, out)
	}
}

// finishFirstJob waits (polling, 15 s at most) until the engine follows
// a job, then lets it succeed with out_Total 7.
func finishFirstJob(ctx context.Context, t *testing.T, c *control.Client,
	s *orchestratortest.Server) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var list []engine.OrchestratorJob
		if c.Do("GET", "/v1/orchestrator/jobs", nil, &list) == nil && len(list) == 1 {
			id, err := strconv.ParseInt(list[0].ID, 10, 64)
			if err != nil {
				t.Errorf("job id %q: %v", list[0].ID, err)
				return
			}
			out := `{"out_Total":7}`
			s.SetJob(id, "Successful", "Job completed", &out)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	if ctx.Err() == nil {
		t.Error("the engine never followed a job")
	}
}

// runEngine runs the engine until the test ends and waits for its socket.
func runEngine(t *testing.T, opts engine.Options) *control.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- engine.Run(ctx, opts) }()
	t.Cleanup(func() { cancel(); <-done })
	c := control.NewClient(control.SocketPath(opts.ConfigDir))
	deadline := time.Now().Add(10 * time.Second)
	for c.Do("GET", "/v1/status", nil, nil) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the engine did not answer")
		}
		select {
		case err := <-done:
			t.Fatalf("engine stopped: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return c
}

func TestRelaySubscribe_Refusals(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"subscribe", "prod"}, "--url"},
		{[]string{"unsubscribe", "prod", "--url", "wss://r.example"}, "--url"},
		{[]string{"subscribe", "prod", "--url", "wss://r.example", "--token", "x"},
			"never taken from the command line"},
	}
	for _, c := range cases {
		err := relayCmd(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("relay %q = %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// TestRelaySubscribe_TokenInKeyringURLInProfile uses the real keyring.
func TestRelaySubscribe_TokenInKeyringURLInProfile(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session: make test runs this inside scripts/with-keyring.sh")
	}
	dir := t.TempDir()
	name := fmt.Sprintf("relaytest-%d", time.Now().UnixNano())
	store := orchestrator.OpenStore(dir)
	if err := store.Add(orchestrator.Profile{Name: name, URL: "https://o.example",
		Auth: orchestrator.AuthToken}, "pat", false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Remove(name) })
	_, err := withStdio(t, "tok-secret-1\n", func() error {
		return relayCmd([]string{"subscribe", name, "--url", "wss://r.example/v1/subscribe",
			"--config-dir", dir})
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, orchestrator.ProfilesFile))
	tok, err := store.Secrets().Get(name, orchestrator.SecretRelayToken)
	if !strings.Contains(string(data), "wss://r.example") ||
		strings.Contains(string(data), "tok-secret-1") || tok != "tok-secret-1" || err != nil {
		t.Fatalf("profile %s, keyring %q %v", data, tok, err)
	}
	if _, err := withStdio(t, "", func() error {
		return relayCmd([]string{"unsubscribe", name, "--config-dir", dir})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Secrets().Get(name, orchestrator.SecretRelayToken); err == nil {
		t.Fatal("the token is still in the keyring after unsubscribe")
	}
}
