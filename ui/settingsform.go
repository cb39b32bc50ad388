package ui

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"robotbridge/config"
	"robotbridge/engine"
)

// savedText is what the form says after a successful save.
const savedText = "saved; takes effect when the engine restarts"

// numberField is one whole-number setting of the form.
type numberField struct {
	label    string
	min, max int
	entry    *widget.Entry
	get      func(*config.Settings) *int
}

// settingsForm edits the engine's config.json through the control API.
// Fields it does not show (allowed origins, message cap...) are kept as
// loaded.
type settingsForm struct {
	u        *ui
	current  config.Settings // as last loaded or saved
	loaded   bool
	dirty    bool // edited since the last load or save
	filling  bool // ignore OnChanged while filling the fields
	numbers  []*numberField
	packages *widget.Entry
	jobLogs  *widget.Check
	save     *widget.Button
	msg      *widget.Label
	content  fyne.CanvasObject
}

func newSettingsForm(u *ui) *settingsForm {
	f := &settingsForm{u: u, packages: widget.NewEntry(), msg: widget.NewLabel("")}
	f.msg.Wrapping = fyne.TextWrapWord
	f.numbers = []*numberField{
		{label: "Discovery port (0: 2323)", max: 65535,
			get: func(s *config.Settings) *int { return &s.Port }},
		{label: "API port (0: a free port)", max: 65535,
			get: func(s *config.Settings) *int { return &s.APIPort }},
		{label: "Attended jobs at once (0: 1)", max: 1000,
			get: func(s *config.Settings) *int { return &s.MaxAttendedJobs }},
		{label: "Job time limit, seconds (0: none)", max: 1 << 30,
			get: func(s *config.Settings) *int { return &s.JobTimeoutSeconds }},
	}
	form := widget.NewForm()
	for i, n := range f.numbers {
		n.entry = widget.NewEntry()
		n.entry.Validator = n.check
		n.entry.OnChanged = f.edited
		form.Append(n.label, n.entry)
		if i == 1 {
			form.Append("Packages folder", f.packages)
		}
	}
	f.packages.PlaceHolder = "none (an absolute path)"
	f.packages.OnChanged = f.edited
	f.jobLogs = widget.NewCheck("Keep each job's output in a log (it may hold private data)",
		func(bool) { f.edited("") })
	form.Append("Job logs", f.jobLogs)
	f.save = widget.NewButton("Save", f.Save)
	f.save.Importance = widget.HighImportance
	f.save.Disable()
	f.content = container.NewVBox(form, container.NewBorder(nil, nil, nil, f.save, f.msg))
	return f
}

// check validates a whole-number field's text (empty means 0).
func (n *numberField) check(text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < n.min || v > n.max {
		return fmt.Errorf("%s: type a whole number from %d to %d", n.label, n.min, n.max)
	}
	return nil
}

func (f *settingsForm) edited(string) {
	if !f.filling {
		f.dirty = true
	}
}

// Reload reads the settings file, unless the user is editing the form.
func (f *settingsForm) Reload() {
	background(f.u, f.u.api.Settings, func(s config.Settings, err error) {
		if err != nil {
			f.show(widget.DangerImportance, "Could not read the settings: "+err.Error())
			return
		}
		if f.dirty {
			return
		}
		f.fill(s)
		f.save.Enable()
	})
}

// fill shows s in the fields.
func (f *settingsForm) fill(s config.Settings) {
	f.current, f.loaded, f.dirty, f.filling = s, true, false, true
	defer func() { f.filling = false }()
	for _, n := range f.numbers {
		n.entry.SetText(strconv.Itoa(*n.get(&s)))
	}
	f.packages.SetText(s.PackagesDir)
	f.jobLogs.SetChecked(s.JobLogs)
}

// read turns the fields into settings, or names the first bad field.
func (f *settingsForm) read() (config.Settings, error) {
	s := f.current
	for _, n := range f.numbers {
		if err := n.check(n.entry.Text); err != nil {
			return s, err
		}
		*n.get(&s), _ = strconv.Atoi(strings.TrimSpace(n.entry.Text))
	}
	s.PackagesDir = strings.TrimSpace(f.packages.Text)
	if s.PackagesDir != "" && !filepath.IsAbs(s.PackagesDir) {
		return s, fmt.Errorf("packages folder: type an absolute path, or leave it empty")
	}
	s.JobLogs = f.jobLogs.Checked
	return s, nil
}

// Save checks the fields and saves them in the background.
func (f *settingsForm) Save() {
	s, err := f.read()
	if err != nil {
		f.show(widget.DangerImportance, err.Error())
		return
	}
	f.save.Disable()
	f.show(widget.MediumImportance, "Saving…")
	work := func() (engine.SettingsAnswer, error) { return f.u.api.SaveSettings(s) }
	background(f.u, work, func(ans engine.SettingsAnswer, err error) {
		f.save.Enable()
		if err != nil {
			f.show(widget.DangerImportance, "Not saved: "+err.Error())
			return
		}
		f.fill(ans.Settings)
		f.show(widget.SuccessImportance, savedText)
	})
}

func (f *settingsForm) show(imp widget.Importance, text string) {
	f.msg.Importance = imp
	f.msg.SetText(text)
}
