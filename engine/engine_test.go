package engine_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/assets/samples"
	"robotbridge/control"
	"robotbridge/engine"
)

func TestMain(m *testing.M) {
	samples.RunIfRequested()
	os.Exit(m.Run())
}

// startEngine runs the engine on free ports and waits until its control
// socket answers.
func startEngine(t *testing.T, dir string) *control.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- engine.Run(ctx, engine.Options{ConfigDir: dir, Port: -1, APIPort: 0,
			Ready: io.Discard, AllowlistEnv: "https://a.example;http://127.0.0.1:8080"})
	}()
	t.Cleanup(func() { cancel(); <-done })

	c := control.NewClient(control.SocketPath(dir))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st engine.Status
		err := c.Do("GET", "/v1/status", nil, &st)
		if err == nil {
			return c
		}
		select {
		case err := <-done:
			t.Fatalf("engine stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine did not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestControlSocket_UserOnlyAndServesSitesAndProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	c := startEngine(t, dir)

	for path, want := range map[string]os.FileMode{dir: 0o700, control.SocketPath(dir): 0o600} {
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != want {
			t.Fatalf("%s: mode %v, want %v (%v)", path, info.Mode().Perm(), want, err)
		}
	}

	var sites []engine.SiteEntry
	if err := c.Do("GET", "/v1/sites", nil, &sites); err != nil || len(sites) != 2 {
		t.Fatalf("sites %+v, %v", sites, err)
	}
	var procs []engine.ProcessEntry
	if err := c.Do("GET", "/v1/processes", nil, &procs); err != nil || len(procs) != 4 {
		t.Fatalf("processes %+v, %v", procs, err)
	}
	err := c.Do("POST", "/v1/sites/approve", engine.CodeRequest{Code: "999999"}, nil)
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("approving an unknown code: %v", err)
	}
}

func TestSecondEngine_OnTheSameConfigDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	c := startEngine(t, dir)
	var first engine.JobDetail
	if err := c.Do("POST", "/v1/jobs", engine.RunRequest{Process: "sleep"}, &first); err != nil {
		t.Fatal(err)
	}
	history, _ := os.ReadFile(filepath.Join(dir, "history.jsonl"))

	err := engine.Run(context.Background(), engine.Options{ConfigDir: dir, Port: -1,
		APIPort: 0, Ready: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "another robotbridge engine") {
		t.Fatalf("got %v", err)
	}
	// The refused engine must not have touched the running one's files
	// (it would have marked the running job unknown and rewritten them).
	after, _ := os.ReadFile(filepath.Join(dir, "history.jsonl"))
	if !strings.HasPrefix(string(after), string(history)) || len(history) == 0 ||
		strings.Contains(string(after), `"unknown"`) {
		t.Fatalf("history changed by the refused engine:\nbefore %s\nafter %s", history, after)
	}
}

func TestStartup_BadSettingsStopWithAClearMessage(t *testing.T) {
	cases := map[string]engine.Options{
		"wildcard flag": {AllowOrigins: []string{"*"}},
		"bad env":       {AllowlistEnv: "https://a.example;null"},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			opts.ConfigDir, opts.Port, opts.APIPort, opts.Ready = t.TempDir(), -1, 0, io.Discard
			err := engine.Run(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), "cannot be approved") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestNoEngine_ClientSaysSo(t *testing.T) {
	c := control.NewClient(control.SocketPath(t.TempDir()))
	if err := c.Do("GET", "/v1/status", nil, nil); err != control.ErrNoEngine {
		t.Fatalf("got %v", err)
	}
}

func TestPauseAndResume_ThroughTheControlAPI(t *testing.T) {
	c := startEngine(t, filepath.Join(t.TempDir(), "cfg"))
	var st engine.Status
	if err := c.Do("POST", "/v1/bridge/pause", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do("GET", "/v1/status", nil, &st); err != nil || !st.Paused {
		t.Fatalf("after pause: %+v %v", st, err)
	}
	if err := c.Do("POST", "/v1/bridge/resume", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do("GET", "/v1/status", nil, &st); err != nil || st.Paused {
		t.Fatalf("after resume: %+v %v", st, err)
	}
}
