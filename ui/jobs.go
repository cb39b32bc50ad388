package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
	"robotbridge/feed"
)

// jobColumns are the Jobs table's columns and their widths.
var jobColumns = []struct {
	title string
	width float32
}{
	{"State", 110}, {"Process", 140}, {"Started by", 190}, {"Started", 90},
	{"Duration", 80}, {"Error", 320},
}

// jobsTab is the live job list: it loads the engine's jobs, then follows
// job.state events. Selecting a job shows its details and Stop buttons.
type jobsTab struct {
	u       *ui
	model   *jobModel
	rows    []jobRow // model.Sorted(), what the table shows
	table   *widget.Table
	load    *loadState
	detail  *jobDetail
	ticking chan struct{} // non-nil while the duration ticker runs
	loaded  bool          // the list came in at least once
	empty   *widget.Label
	content fyne.CanvasObject
}

func newJobsTab(u *ui) *jobsTab {
	t := &jobsTab{u: u, model: newJobModel()}
	t.load = newLoadState(t.Reload)
	t.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(t.rows), len(jobColumns) },
		newJobCell, t.updateCell)
	t.table.ShowHeaderColumn = false
	t.table.CreateHeader = func() fyne.CanvasObject { return widget.NewLabel("header") }
	t.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		l.TextStyle.Bold = true
		l.SetText(jobColumns[id.Col].title)
	}
	for i, c := range jobColumns {
		t.table.SetColumnWidth(i, c.width)
	}
	t.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(t.rows) {
			t.showDetail(t.rows[id.Row])
		}
	}
	t.detail = newJobDetail(u)
	t.empty = widget.NewLabel("No jobs yet. Run a process, or let a web page start one.")
	t.empty.Importance = widget.LowImportance
	list := container.NewStack(t.table, container.NewCenter(t.empty))
	t.content = container.NewBorder(t.load.content, t.detail.content, nil, nil, list)
	return t
}

func newJobCell() fyne.CanvasObject {
	l := widget.NewLabel("cell")
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func (t *jobsTab) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	if id.Row >= len(t.rows) {
		l.SetText("")
		return
	}
	r := t.rows[id.Row]
	text, imp := jobCell(r, id.Col, time.Now())
	l.Importance = imp
	l.SetText(text)
}

// jobCell is the text and colour of one cell.
func jobCell(r jobRow, col int, now time.Time) (string, widget.Importance) {
	switch col {
	case 0:
		return stateLabel(r.State), stateImportance(r.State)
	case 1:
		return r.Process, widget.MediumImportance
	case 2:
		return rowSource(r), widget.MediumImportance
	case 3:
		return clockTime(r.Created, now), widget.MediumImportance
	case 4:
		if d, ok := r.duration(now); ok {
			return formatDuration(d), widget.MediumImportance
		}
		return "–", widget.LowImportance
	}
	return r.Error, widget.DangerImportance
}

// stateLabel is a job state as people read it.
func stateLabel(state string) string {
	switch state {
	case statePending:
		return "Pending"
	case stateRunning:
		return "Running"
	case stateStopping:
		return "Stopping"
	case "suspended":
		return "Suspended"
	case "resumed":
		return "Resumed"
	case "terminating":
		return "Terminating"
	case stateSuccessful:
		return "Finished"
	case stateFaulted:
		return "Faulted"
	case stateStopped:
		return "Stopped"
	case stateUnknown:
		return "Ended (unknown)"
	}
	return state
}

// stateImportance colours a state.
func stateImportance(state string) widget.Importance {
	switch state {
	case stateRunning, stateStopping, "resumed", "terminating":
		return widget.HighImportance
	case stateSuccessful:
		return widget.SuccessImportance
	case stateFaulted:
		return widget.DangerImportance
	case stateStopped:
		return widget.WarningImportance
	}
	return widget.LowImportance
}

// startedBy names who started a job: a site, or this computer.
func startedBy(origin string) string {
	if origin == "" || origin == "local" {
		return "this computer"
	}
	return origin
}

// clockTime is a start time: the time of day today, else the date too.
func clockTime(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.Local()
	if y, m, d := t.Date(); now.Local().Day() == d && now.Local().Month() == m &&
		now.Local().Year() == y {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04")
}

// Reload fetches the job list (the engine's newest jobs).
func (t *jobsTab) Reload() {
	if !t.load.Loading() {
		return
	}
	background(t.u, t.u.api.Jobs, func(list []engine.JobEntry, err error) {
		if err != nil {
			t.load.Failed("Could not list the jobs", err)
			return
		}
		t.load.Done()
		t.loaded = true
		t.model.Merge(list)
		t.changed()
	})
}

// Apply feeds one event to the model; it reports whether a row changed.
func (t *jobsTab) Apply(ev feed.Event) bool {
	if !t.model.Apply(ev) {
		return false
	}
	t.changed()
	t.detail.StateChanged(jobKey(ev.Connection, ev.JobID))
	return true
}

// OutputArrived refreshes the detail pane when it shows that job.
func (t *jobsTab) OutputArrived(id string) { t.detail.StateChanged(id) }

// changed redraws the table and starts or stops the duration ticker.
func (t *jobsTab) changed() {
	t.rows = t.model.Sorted()
	t.table.Refresh()
	if len(t.rows) == 0 {
		t.empty.Show()
	} else {
		t.empty.Hide()
	}
	t.u.status.JobsChanged()
	t.u.tray.Refresh()
	if t.model.Running() > 0 {
		t.startTicking()
	} else {
		t.stopTicking()
	}
}

// startTicking redraws durations once a second while jobs run; with no
// job running nothing ticks, so an idle app uses no CPU.
func (t *jobsTab) startTicking() {
	if t.ticking != nil {
		return
	}
	stop := make(chan struct{})
	t.ticking = stop
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				t.u.do(func() { t.table.Refresh() })
			}
		}
	}()
}

func (t *jobsTab) stopTicking() {
	if t.ticking != nil {
		close(t.ticking)
		t.ticking = nil
	}
}
