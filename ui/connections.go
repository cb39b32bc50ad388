package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"robotbridge/orchestrator"
)

// doctorTimeout bounds one Test run of the connection checklist.
const doctorTimeout = 60 * time.Second

// connectionsTab lists the Orchestrator connection profiles, edits them
// (the secret goes straight to the OS keyring through the store) and
// runs the connection checklist.
//
// Profiles are not engine state: like `robotbridge connections`, the
// tab uses the orchestrator package's store (connections.json and the
// keyring) directly, always off the UI goroutine.
type connectionsTab struct {
	u       *ui
	store   *orchestrator.Store // nil: not available in this build
	list    []orchestrator.Profile
	names   *widget.List
	load    *loadState
	form    *connForm
	checks  *fyne.Container
	content fyne.CanvasObject
}

func newConnectionsTab(u *ui) *connectionsTab {
	t := &connectionsTab{u: u, store: u.opts.Connections, checks: container.NewVBox()}
	if t.store == nil {
		msg := widget.NewLabel("Orchestrator connections are not available in this build.")
		t.content = container.NewPadded(container.NewVBox(heading("Connections"), msg))
		return t
	}
	t.load = newLoadState(t.Reload)
	t.form = newConnForm(t)
	t.names = widget.NewList(func() int { return len(t.list) },
		func() fyne.CanvasObject { return twoLines(widget.NewLabel("name"), widget.NewLabel("url")) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(t.list[i].Name)
			box.Objects[1].(*widget.Label).SetText(t.list[i].URL)
		})
	t.names.OnSelected = func(i widget.ListItemID) { t.form.Edit(t.list[i]) }
	add := widget.NewButtonWithIcon("New connection", theme.ContentAddIcon(), func() {
		t.names.UnselectAll()
		t.form.Edit(orchestrator.Profile{Auth: orchestrator.AuthClientCredentials})
	})
	left := container.NewBorder(container.NewVBox(add, t.load.content), nil, nil, nil, t.names)
	right := container.NewVScroll(container.NewPadded(container.NewVBox(t.form.content,
		heading("Connection check"), t.checks)))
	split := container.NewHSplit(left, right)
	split.Offset = 0.3
	t.content = split
	return t
}

// Reload reads the profiles.
func (t *connectionsTab) Reload() {
	if t.store == nil || !t.load.Loading() {
		return
	}
	background(t.u, t.store.List, func(list []orchestrator.Profile, err error) {
		if err != nil {
			t.load.Failed("Could not read the connections", err)
			return
		}
		t.load.Done()
		t.list = list
		t.names.Refresh()
	})
}

// showChecks lists the checklist's lines: a mark, the title, the detail
// and, for a failure, the fix.
func (t *connectionsTab) showChecks(checks []orchestrator.Check) {
	t.checks.Objects = nil
	for _, c := range checks {
		t.checks.Add(checkRow(c))
	}
	if len(checks) == 0 {
		t.checks.Add(note("Test runs the connection checklist on the saved connection: " +
			"each check with its result and, when one fails, what to fix."))
	}
	t.checks.Refresh()
}

func checkRow(c orchestrator.Check) fyne.CanvasObject {
	icon, imp := checkMark(c.Status)
	title := widget.NewLabel(c.Title)
	title.Importance = imp
	lines := []fyne.CanvasObject{title}
	if c.Detail != "" {
		d := widget.NewLabel(c.Detail)
		d.Wrapping = fyne.TextWrapWord
		d.SizeName = theme.SizeNameCaptionText
		lines = append(lines, d)
	}
	if c.Fix != "" {
		f := widget.NewLabel("Fix: " + c.Fix)
		f.Wrapping = fyne.TextWrapWord
		f.Importance = widget.WarningImportance
		lines = append(lines, f)
	}
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil,
		container.NewVBox(lines...))
}

// checkMark is the icon and colour of a check's outcome.
func checkMark(s orchestrator.CheckStatus) (fyne.Resource, widget.Importance) {
	switch s {
	case orchestrator.CheckPass:
		return theme.ConfirmIcon(), widget.SuccessImportance
	case orchestrator.CheckFail:
		return theme.ErrorIcon(), widget.DangerImportance
	}
	return theme.MediaSkipNextIcon(), widget.LowImportance
}

// runDoctor runs the checklist for a profile in the background.
func (t *connectionsTab) runDoctor(p orchestrator.Profile, done func()) {
	work := func() ([]orchestrator.Check, error) {
		ctx, cancel := context.WithTimeout(context.Background(), doctorTimeout)
		defer cancel()
		return orchestrator.Diagnose(ctx, orchestrator.DiagnoseInput{Profile: p,
			Secret: func() (string, error) { return t.store.Secret(p) },
			Logger: t.u.log}), nil
	}
	background(t.u, work, func(checks []orchestrator.Check, _ error) {
		t.showChecks(checks)
		done()
	})
}

// authChoices are the sign-in kinds as the form offers them.
var authChoices = []struct {
	kind  orchestrator.AuthKind
	label string
	user  string // what the user field holds
}{
	{orchestrator.AuthClientCredentials, "External application (client credentials)", "Client ID"},
	{orchestrator.AuthPassword, "User name and password (on-premises)", "User name"},
	{orchestrator.AuthToken, "Personal access token", ""},
}

func authLabel(k orchestrator.AuthKind) string {
	for _, c := range authChoices {
		if c.kind == k {
			return c.label
		}
	}
	return authChoices[0].label
}

func authKind(label string) orchestrator.AuthKind {
	for _, c := range authChoices {
		if c.label == label {
			return c.kind
		}
	}
	return authChoices[0].kind
}

// secretLabel names the secret an auth kind needs.
func secretLabel(k orchestrator.AuthKind) string {
	switch k {
	case orchestrator.AuthPassword:
		return "Password"
	case orchestrator.AuthToken:
		return "Access token"
	}
	return "Client secret"
}

// errNeedSecret asks for the secret of a new or changed profile.
var errNeedSecret = errors.New("enter the secret: it is stored in the OS keyring, " +
	"never in a file")

// trimmed is an entry's text without surrounding spaces.
func trimmed(e *widget.Entry) string { return strings.TrimSpace(e.Text) }
