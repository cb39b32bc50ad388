package robot_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/robot"
)

func TestHistory_SurvivesRestartWithoutArgumentValues(t *testing.T) {
	dir := t.TempDir()
	r, err := robot.New(robot.Options{Self: os.Args[0], StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	installSamples(t, r)
	runToEnd(t, r, "echo", map[string]any{"text": "secret-value-123"})
	runToEnd(t, r, "fail", map[string]any{"message": "boom"})
	r.History().Close()

	again, err := robot.New(robot.Options{Self: os.Args[0], StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	list := again.History().List(0, 10)
	if len(list) != 2 || list[0].Process != "fail" || list[0].State != robot.Faulted ||
		list[0].Error != "boom" || list[1].State != robot.Successful {
		t.Fatalf("history after restart: %+v", list)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "history.jsonl"))
	if strings.Contains(string(data), "secret-value-123") {
		t.Fatal("the history holds an argument value")
	}
}

func TestHistory_TornLineAndRunningJobsAfterACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.jsonl")
	now := time.Now().UTC()
	lines := []robot.Record{
		{ID: "a", Process: "p", State: robot.Successful, Created: now},
		{ID: "b", Process: "p", State: robot.Pending, Created: now.Add(time.Second)},
		{ID: "b", Process: "p", State: robot.Running, Created: now.Add(time.Second)},
	}
	var buf strings.Builder
	for _, rec := range lines {
		b, _ := json.Marshal(rec)
		buf.Write(append(b, '\n'))
	}
	buf.WriteString(`{"id":"c","process":"p","sta`) // torn by the crash
	if err := os.WriteFile(path, []byte(buf.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	h, err := robot.OpenHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	list := h.List(0, 10)
	if len(list) != 2 || list[0].ID != "b" || list[0].State != robot.Unknown ||
		!strings.Contains(list[0].Error, "unknown") || list[1].State != robot.Successful {
		t.Fatalf("%+v", list)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "\n") != 2 {
		t.Fatalf("the file should be compacted to one whole line per job:\n%s", data)
	}
}

func TestHistory_ListNewestFirstWithOffset(t *testing.T) {
	h, err := robot.OpenHistory(filepath.Join(t.TempDir(), "h.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	writeRecords(t, h, 120)
	page := h.List(10, 5)
	if len(page) != 5 || page[0].ID != "job-109" || page[4].ID != "job-105" {
		t.Fatalf("%+v", page)
	}
}

// writeRecords fills a history through real jobs' records.
func writeRecords(t testing.TB, h *robot.History, n int) {
	t.Helper()
	pkg := &robot.Package{Key: "k", Name: "p", Version: "1"}
	for i := 0; i < n; i++ {
		h.Record(robot.NewEndedJobForTest(fmt.Sprintf("job-%d", i), pkg))
	}
}

// The target: listing the newest 50 of 100,000 jobs under 10 ms.
func BenchmarkHistory_ListNewest50Of100k(b *testing.B) {
	h, err := robot.OpenHistory(filepath.Join(b.TempDir(), "h.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	writeRecords(b, h, 100_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(h.List(0, 50)) != 50 {
			b.Fatal("short list")
		}
	}
}

func installSamples(t *testing.T, r *robot.Robot) {
	t.Helper()
	src := newRobot(t, robot.Limits{})
	r.Install(src.Processes()...)
}
