package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// rowOf returns the jobs tab's row for a process ("" state when absent).
func rowOf(u *ui, process string) jobRow {
	for _, r := range u.jobs.rows {
		if r.Process == process {
			return r
		}
	}
	return jobRow{}
}

// cellText is what the jobs table shows in a cell.
func cellText(u *ui, row, col int) string {
	l := widget.NewLabel("")
	u.jobs.updateCell(widget.TableCellID{Row: row, Col: col}, l)
	return l.Text
}

// saveRender writes the window as a PNG when UI_TEST_RENDER names a
// folder: a way to look at a tab without a display.
func saveRender(t *testing.T, u *ui, name string) {
	dir := os.Getenv("UI_TEST_RENDER")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, u.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

func TestJobsList_FollowsEngineEvents(t *testing.T) {
	api := startEngine(t)
	u, loop := newTestUI(t, api, Options{})
	u.start(context.Background())
	loop.until(t, "the job list to load", func() bool { return u.jobs.loaded })

	if _, err := api.Run("echo", map[string]any{"text": "hi"}); err != nil {
		t.Fatalf("Run echo: %v", err)
	}
	if _, err := api.Run("fail", map[string]any{"message": "no invoice"}); err != nil {
		t.Fatalf("Run fail: %v", err)
	}
	loop.until(t, "echo to finish and fail to fault in the list", func() bool {
		return rowOf(u, "echo").State == stateSuccessful && rowOf(u, "fail").State == stateFaulted
	})

	if got := rowOf(u, "fail").Error; !strings.Contains(got, "no invoice") {
		t.Errorf("fail row error = %q, want the process's message", got)
	}
	for i, r := range u.jobs.rows {
		want := map[string]string{"echo": "Finished", "fail": "Faulted"}[r.Process]
		if got := cellText(u, i, 0); got != want {
			t.Errorf("state cell of %s = %q, want %q", r.Process, got, want)
		}
		if got := cellText(u, i, 4); got == "–" || got == "" {
			t.Errorf("duration cell of %s = %q, want a duration", r.Process, got)
		}
	}
	if u.jobs.empty.Visible() {
		t.Error("the 'no jobs yet' hint is still shown")
	}
	u.showWindow("Jobs")
	saveRender(t, u, "jobs")
}

func TestJobDetail_StopEndsARunningJob(t *testing.T) {
	api := startEngine(t)
	u, loop := newTestUI(t, api, Options{})
	u.start(context.Background())

	d, err := api.Run("sleep", map[string]any{"seconds": 60})
	if err != nil {
		t.Fatalf("Run sleep: %v", err)
	}
	loop.until(t, "sleep to run", func() bool { return rowOf(u, "sleep").State == stateRunning })
	if u.jobs.ticking == nil {
		t.Error("no duration ticker while a job runs")
	}

	u.jobs.detail.Show(d.ID)
	loop.until(t, "the Stop button", func() bool { return !u.jobs.detail.stop.Disabled() })
	test.Tap(u.jobs.detail.stop)
	loop.until(t, "sleep to stop", func() bool { return rowOf(u, "sleep").State == stateStopped })
	loop.until(t, "the buttons to go grey", func() bool { return u.jobs.detail.stop.Disabled() })
	if u.jobs.ticking != nil {
		t.Error("the duration ticker still runs with no job running")
	}
}
