package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// runPane shows one process: its description, the argument form built
// from its schema, and a Run button.
type runPane struct {
	u       *ui
	proc    *engine.ProcessEntry // nil: nothing picked
	target  runTarget            // where Run starts the job
	form    *argForm
	title   *widget.Label
	caption *widget.Label
	about   *widget.Label
	formBox *fyne.Container
	runBtn  *widget.Button
	busy    *widget.Activity
	result  *widget.Label
	toJobs  *widget.Button
	body    *fyne.Container
	content fyne.CanvasObject
}

func newRunPane(u *ui) *runPane {
	r := &runPane{u: u, title: widget.NewLabel(""), caption: widget.NewLabel(""),
		about: widget.NewLabel(""), formBox: container.NewVBox(), busy: widget.NewActivity(),
		result: widget.NewLabel("")}
	r.title.SizeName = theme.SizeNameSubHeadingText
	r.about.Wrapping = fyne.TextWrapWord
	r.result.Wrapping = fyne.TextWrapWord
	r.runBtn = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), r.submit)
	r.runBtn.Importance = widget.HighImportance
	r.toJobs = widget.NewButton("Show in Jobs", func() { u.showWindow("Jobs") })
	r.toJobs.Hide()
	r.busy.Hide()

	actions := container.NewHBox(r.runBtn, r.busy, r.toJobs)
	r.body = container.NewVBox(twoLines(r.title, r.caption), r.about, widget.NewSeparator(),
		r.formBox, actions, r.result)
	r.body.Hide()
	hint := widget.NewLabel("Pick a process on the left to run it.")
	hint.Importance = widget.LowImportance
	r.content = container.NewStack(container.NewCenter(hint),
		container.NewVScroll(container.NewPadded(r.body)))
	return r
}

// Show puts a process and a fresh form in the pane.
func (r *runPane) Show(p engine.ProcessEntry) {
	r.proc = &p
	r.title.SetText(p.Name)
	r.caption.SetText(processCaption(p))
	r.about.SetText(p.Description)
	r.form = newArgForm(p.Inputs)
	r.formBox.Objects = []fyne.CanvasObject{r.form.form}
	if len(p.Inputs) == 0 {
		r.formBox.Objects = []fyne.CanvasObject{widget.NewLabel("This process takes no arguments.")}
	}
	r.formBox.Refresh()
	r.setResult("", widget.MediumImportance)
	r.runBtn.Enable()
	if p.Problem != "" {
		r.setResult(p.Problem, widget.DangerImportance) // e.g. no runnable version
		r.runBtn.Disable()
	}
	r.toJobs.Hide()
	r.content.(*fyne.Container).Objects[0].Hide()
	r.body.Show()
}

// Update follows a reloaded process list: a process that went away
// leaves the pane; one that changed gets a fresh form.
func (r *runPane) Update(list []engine.ProcessEntry) {
	if r.proc == nil {
		return
	}
	for _, p := range list {
		if p.Key == r.proc.Key {
			if p.Version != r.proc.Version || len(p.Inputs) != len(r.proc.Inputs) {
				r.Show(p)
			}
			return
		}
	}
	r.Clear()
}

// Clear empties the pane.
func (r *runPane) Clear() {
	r.proc = nil
	r.body.Hide()
	r.content.(*fyne.Container).Objects[0].Show()
}

// submit checks the form and starts the job in the background.
func (r *runPane) submit() {
	if r.proc == nil {
		return
	}
	args, err := r.form.Values()
	if err != nil {
		r.setResult(err.Error(), widget.DangerImportance)
		return
	}
	r.runBtn.Disable()
	r.busy.Show()
	r.busy.Start()
	r.setResult("Starting "+r.proc.Name+"…", widget.MediumImportance)
	background(r.u, r.target.start(r.u.api, *r.proc, args), func(msg string, err error) {
		r.runBtn.Enable()
		r.busy.Stop()
		r.busy.Hide()
		if err != nil {
			r.setResult(err.Error(), widget.DangerImportance)
			return
		}
		r.setResult(msg, widget.SuccessImportance)
		r.toJobs.Show()
	})
}

func (r *runPane) setResult(text string, imp widget.Importance) {
	r.result.Importance = imp
	r.result.SetText(text)
}
