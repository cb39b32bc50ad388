package engine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"robotbridge/config"
	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
	"robotbridge/robot"
)

func TestSettings_RoundTripAndRefusals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg")
	c := startEngine(t, dir)

	var s config.Settings
	if err := c.Do("GET", "/v1/settings", nil, &s); err != nil || s.Port != 0 {
		t.Fatalf("GET settings %+v, %v", s, err)
	}
	s.Port, s.APIPort, s.JobLogs, s.MaxAttendedJobs = 2400, 0, true, 2
	var ans engine.SettingsAnswer
	if err := c.Do("PUT", "/v1/settings", s, &ans); err != nil {
		t.Fatalf("PUT settings: %v", err)
	}
	want := []string{"port", "maxAttendedJobs", "jobLogs"}
	if !slices.Equal(ans.Changed, want) || ans.TakesEffect != engine.AtNextStart {
		t.Fatalf("answer %+v, want changed %v at the next start", ans, want)
	}
	onDisk, err := config.Load(dir)
	if err != nil || onDisk.Port != 2400 || !onDisk.JobLogs || onDisk.MaxAttendedJobs != 2 {
		t.Fatalf("config.json holds %+v, %v", onDisk, err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "config.json"))

	refused := map[string]any{
		"port 70000":     map[string]any{"version": 1, "port": 70000},
		"negative jobs":  map[string]any{"version": 1, "maxAttendedJobs": -1},
		"unknown field":  map[string]any{"version": 1, "prot": 2323},
		"relative dir":   map[string]any{"version": 1, "packagesDir": "pkgs"},
		"future version": map[string]any{"version": 99},
		"wildcard site":  map[string]any{"version": 1, "allowedOrigins": []string{"*"}},
	}
	for name, body := range refused {
		if err := c.Do("PUT", "/v1/settings", body, nil); err == nil {
			t.Errorf("%s: PUT was accepted", name)
		}
	}
	err = c.Do("PUT", "/v1/settings", map[string]any{"prot": 1}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown field "prot"`) {
		t.Errorf("unknown field: error %v does not name the field", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if string(after) != string(before) {
		t.Fatalf("a refused PUT changed config.json:\n%s", after)
	}
}

func TestJobLog_NotFoundWhenOffAndTextWhenOn(t *testing.T) {
	off := startEngine(t, filepath.Join(t.TempDir(), "cfg"))
	id := runToEnd(t, off, "echo", map[string]any{"text": "hello log"})
	_, err := off.Get("/v1/jobs/" + id + "/log")
	if err == nil || !strings.Contains(err.Error(), "job logs are off; turn them on in Settings") {
		t.Fatalf("log with job logs off: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "cfg")
	if err := config.Save(dir, config.Settings{JobLogs: true}); err != nil {
		t.Fatal(err)
	}
	on := startEngine(t, dir)
	id = runToEnd(t, on, "echo", map[string]any{"text": "hello log"})
	text, err := on.Get("/v1/jobs/" + id + "/log")
	if err != nil || !strings.Contains(string(text), "hello log") {
		t.Fatalf("log %q, %v", text, err)
	}
	if _, err := on.Get("/v1/jobs/..%2fconfig.json/log"); err == nil {
		t.Fatal("a path as job id was answered")
	}
}

// runToEnd starts a process and follows the event stream until its job
// ends; it returns the job id.
func runToEnd(t *testing.T, c *control.Client, process string, args map[string]any) string {
	t.Helper()
	var st engine.Status
	if err := c.Do("GET", "/v1/status", nil, &st); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	body, err := c.Stream(ctx, fmt.Sprintf("/v1/events?after=%d", st.LastEvent))
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	var job engine.JobDetail
	err = c.Do("POST", "/v1/jobs", engine.RunRequest{Process: process, Arguments: args}, &job)
	if err != nil {
		t.Fatalf("run %s: %v", process, err)
	}
	for sc := bufio.NewScanner(body); sc.Scan(); {
		var ev feed.Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == feed.JobState &&
			ev.JobID == job.ID && robot.State(ev.State).Terminal() {
			return job.ID
		}
	}
	t.Fatalf("job %s did not end within the stream's time", job.ID)
	return ""
}
