package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"robotbridge/feed"
)

// Orchestrator jobs: the engine follows the jobs it starts in an
// Orchestrator and reports their states as orchestrator.job.state events
// (docs/events.md). The Jobs tab shows them next to the engine's own
// jobs, marked with their connection; their details come from the events,
// and Stop goes to the engine's Orchestrator stop route.

// rowSource is the Jobs table's "Started by" cell: who started an engine
// job, or where an Orchestrator job runs.
func rowSource(r jobRow) string {
	if !r.isOrchestrator() {
		return startedBy(r.Origin)
	}
	return orchestratorPlace(r.Connection, r.Folder)
}

// orchestratorPlace names a connection and folder for people.
func orchestratorPlace(conn, folder string) string {
	if folder == "" {
		return "Orchestrator " + conn
	}
	return "Orchestrator " + conn + " · " + folder
}

// showDetail shows a row in the detail pane.
func (t *jobsTab) showDetail(r jobRow) {
	if !r.isOrchestrator() {
		t.detail.Show(r.ID)
		return
	}
	d := t.detail
	d.id, d.conn = r.ID, r.Connection
	setOrHide(d.msg, "")
	d.openLog.Disable() // the Orchestrator keeps its own logs
	d.refresh()
}

// refreshOrchestrator renders an Orchestrator job from the jobs model:
// the engine's events are all the app knows of it.
func (d *jobDetail) refreshOrchestrator() {
	r, ok := d.u.jobs.model.Row(jobKey(d.conn, d.id))
	if !ok {
		return
	}
	d.title.SetText(fmt.Sprintf("%s · %s · job %s", r.Process, stateLabel(r.State), r.ID))
	d.times.SetText(orchestratorTimes(r, time.Now()))
	setOrHide(d.errText, r.Error)
	setOrHide(d.output, outputText(r.Output))
	d.setStoppable(r.isActive())
}

// orchestratorTimes is the detail line of an Orchestrator job.
func orchestratorTimes(r jobRow, now time.Time) string {
	parts := []string{"in " + orchestratorPlace(r.Connection, r.Folder)}
	if !r.Started.IsZero() {
		parts = append(parts, "began "+clockTime(r.Started, now))
	}
	if !r.Ended.IsZero() {
		parts = append(parts, "ended "+clockTime(r.Ended, now))
	}
	return strings.Join(parts, " · ")
}

// orchestratorNotification words an orchestrator.job.state event like a
// local job's, saying where the job runs.
func orchestratorNotification(ev feed.Event) (fyne.Notification, bool) {
	local := ev
	local.Type, local.Origin = feed.JobState, ""
	n, ok := jobNotification(local)
	if !ok {
		return n, false
	}
	where := "In " + orchestratorPlace(ev.Connection, ev.Folder) + "."
	if ev.State == stateRunning {
		n.Content = "Started " + strings.ToLower(where[:1]) + where[1:]
	} else {
		n.Content += " " + where
	}
	return n, true
}
