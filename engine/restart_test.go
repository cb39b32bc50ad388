package engine_test

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"robotbridge/control"
	"robotbridge/engine"
)

// childEngineEnv makes the test binary run an engine instead of tests.
const childEngineEnv = "ROBOTBRIDGE_TEST_ENGINE_DIR"

func init() {
	if dir := os.Getenv(childEngineEnv); dir != "" {
		os.Unsetenv(childEngineEnv) // the engine's own children are samples
		err := engine.Run(context.Background(), engine.Options{ConfigDir: dir, Port: -1})
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
}

func startChildEngine(t *testing.T, dir string) (*exec.Cmd, *control.Client) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEngineEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	c := control.NewClient(control.SocketPath(dir))
	waitUntil(t, "child engine answers", func() bool {
		return c.Do("GET", "/v1/status", nil, nil) == nil
	})
	return cmd, c
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill the engine with SIGKILL in the middle of a job: after a restart
// the history is whole and the job shows as ended with an unknown result.
func TestRestart_AfterSIGKILLTheRunningJobIsEndedUnknown(t *testing.T) {
	dir := t.TempDir()
	cmd, c := startChildEngine(t, dir)

	var done, running engine.JobDetail
	if err := c.Do("POST", "/v1/jobs", engine.RunRequest{Process: "echo"}, &done); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "echo ended", func() bool {
		var d engine.JobDetail
		return c.Do("GET", "/v1/jobs/"+done.ID, nil, &d) == nil && d.State == "successful"
	})
	if err := c.Do("POST", "/v1/jobs", engine.RunRequest{Process: "sleep"}, &running); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "sleep running", func() bool {
		var d engine.JobDetail
		return c.Do("GET", "/v1/jobs/"+running.ID, nil, &d) == nil && d.State == "running"
	})

	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	_, c = startChildEngine(t, dir)

	var list []engine.JobEntry
	if err := c.Do("GET", "/v1/jobs", nil, &list); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, j := range list {
		states[j.ID] = j.State
	}
	if len(list) != 2 || states[done.ID] != "successful" || states[running.ID] != "unknown" {
		t.Fatalf("history after the crash: %+v", list)
	}
}
