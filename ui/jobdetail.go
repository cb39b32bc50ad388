package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// maxLogShown bounds the log text the log dialog shows.
const maxLogShown = 256 << 10

// maxOutputShown bounds the output text the detail pane shows.
const maxOutputShown = 4 << 10

// jobDetail is the pane under the jobs table: one job's details, its
// output while the engine keeps it, and Stop / Kill.
type jobDetail struct {
	u       *ui
	id      string // "" when no job is picked
	conn    string // the Orchestrator connection of the job; "" for the engine's own
	title   *widget.Label
	times   *widget.Label
	errText *widget.Label
	output  *widget.Label
	stop    *widget.Button
	kill    *widget.Button
	openLog *widget.Button
	logView *widget.TextGrid // the last log shown, for tests
	msg     *widget.Label
	content fyne.CanvasObject
}

func newJobDetail(u *ui) *jobDetail {
	d := &jobDetail{u: u, title: widget.NewLabel("Pick a job to see its details."),
		times: widget.NewLabel(""), errText: widget.NewLabel(""), output: widget.NewLabel(""),
		msg: widget.NewLabel("")}
	d.errText.Importance = widget.DangerImportance
	d.errText.Wrapping = fyne.TextWrapWord
	d.output.TextStyle.Monospace = true
	d.output.Wrapping = fyne.TextWrapWord
	d.msg.Wrapping = fyne.TextWrapWord
	d.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { d.stopJob(false) })
	d.kill = widget.NewButtonWithIcon("Kill", theme.CancelIcon(), func() { d.stopJob(true) })
	d.kill.Importance = widget.DangerImportance
	d.openLog = widget.NewButtonWithIcon("Open log", theme.DocumentIcon(), d.showLog)
	d.openLog.Disable()
	d.stop.Disable()
	d.kill.Disable()
	d.errText.Hide()
	d.output.Hide()
	d.msg.Hide()

	head := container.NewBorder(nil, nil, nil, buttons(d.openLog, d.stop, d.kill),
		twoLines(d.title, d.times))
	scroll := container.NewVScroll(container.NewVBox(d.errText, d.output, d.msg))
	scroll.SetMinSize(fyne.NewSize(0, 90))
	d.content = container.NewVBox(widget.NewSeparator(), head, scroll)
	return d
}

// Show picks one of the engine's jobs and loads its details.
func (d *jobDetail) Show(id string) {
	d.id, d.conn = id, ""
	setOrHide(d.msg, "")
	d.openLog.Enable()
	d.refresh()
}

// setOrHide shows a label with text, or hides it when text is empty.
func setOrHide(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// StateChanged reloads the details when they show the job with this row
// key (see jobRow.key).
func (d *jobDetail) StateChanged(key string) {
	if key != "" && d.id != "" && key == jobKey(d.conn, d.id) {
		d.refresh()
	}
}

func (d *jobDetail) refresh() {
	if d.conn != "" {
		d.refreshOrchestrator()
		return
	}
	id := d.id
	work := func() (engine.JobDetail, error) { return d.u.api.Job(id) }
	background(d.u, work, func(j engine.JobDetail, err error) {
		if id != d.id {
			return // another job was picked meanwhile
		}
		if err != nil {
			d.msg.Importance = widget.DangerImportance
			setOrHide(d.msg, "Could not load the job: "+err.Error())
			return
		}
		d.render(j)
	})
}

func (d *jobDetail) render(j engine.JobDetail) {
	d.title.SetText(fmt.Sprintf("%s · %s · job %s", j.Process, stateLabel(j.State), j.ID))
	d.times.SetText(jobTimes(j, time.Now()))
	setOrHide(d.errText, j.Error)
	setOrHide(d.output, outputText(j.Output))
	d.setStoppable(jobRow{State: j.State}.isActive())
}

// setStoppable enables Stop and Kill while the job can still be stopped.
func (d *jobDetail) setStoppable(active bool) {
	for _, b := range []*widget.Button{d.stop, d.kill} {
		if active {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// jobTimes is the detail line with the job's times.
func jobTimes(j engine.JobDetail, now time.Time) string {
	parts := []string{"started by " + startedBy(j.Origin)}
	if !j.Started.IsZero() {
		parts = append(parts, "began "+clockTime(j.Started, now))
	}
	if !j.Ended.IsZero() {
		parts = append(parts, "ended "+clockTime(j.Ended, now))
	}
	if j.Version != "" {
		parts = append(parts, "version "+j.Version)
	}
	return strings.Join(parts, " · ")
}

// outputText shows output arguments as indented JSON, cut to a size a
// label can show (and saying so).
func outputText(out map[string]any) string {
	if len(out) == 0 {
		return ""
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return "Output arguments cannot be shown: " + err.Error()
	}
	text := "Output arguments:\n" + string(data)
	if len(text) > maxOutputShown {
		more := len(text) - maxOutputShown
		text = strings.ToValidUTF8(text[:maxOutputShown], "") +
			fmt.Sprintf("\n… (%d more bytes not shown)", more)
	}
	return text
}

// stopJob asks the engine to stop (or kill) the job in the background.
func (d *jobDetail) stopJob(kill bool) {
	id, conn := d.id, d.conn
	if id == "" {
		return
	}
	d.stop.Disable()
	d.kill.Disable()
	d.msg.Importance = widget.MediumImportance
	setOrHide(d.msg, "Stopping…")
	work := func() (struct{}, error) {
		if conn != "" {
			return struct{}{}, d.u.api.StopOrchestrator(conn, id, kill)
		}
		return struct{}{}, d.u.api.Stop(id, kill)
	}
	background(d.u, work, func(_ struct{}, err error) {
		if err != nil {
			d.msg.Importance = widget.DangerImportance
			setOrHide(d.msg, err.Error())
		} else {
			setOrHide(d.msg, "")
		}
		d.StateChanged(jobKey(conn, id))
	})
}

// showLog fetches the job's log in the background and shows it in a
// dialog, or the engine's answer (job logs off) under the details.
func (d *jobDetail) showLog() {
	id := d.id
	if id == "" {
		return
	}
	d.openLog.Disable()
	work := func() (string, error) { return d.u.api.JobLog(id) }
	background(d.u, work, func(text string, err error) {
		d.openLog.Enable()
		if err != nil {
			d.msg.Importance = widget.DangerImportance
			setOrHide(d.msg, err.Error())
			return
		}
		d.logView = widget.NewTextGridFromString(logText(text))
		scroll := container.NewScroll(d.logView)
		scroll.SetMinSize(fyne.NewSize(720, 420))
		dialog.ShowCustom("Log of job "+id, "Close", scroll, d.u.win)
	})
}

// logText is a log cut to a size the dialog can show (and saying so).
func logText(text string) string {
	if text == "" {
		return "(the log is empty)"
	}
	if len(text) <= maxLogShown {
		return text
	}
	more := len(text) - maxLogShown
	return strings.ToValidUTF8(text[:maxLogShown], "") +
		fmt.Sprintf("\n… (%d more bytes not shown)", more)
}
