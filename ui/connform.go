package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"robotbridge/orchestrator"
)

// connForm edits one connection profile. The secret field is never
// filled from the keyring: left empty on an existing profile, the stored
// secret stays.
type connForm struct {
	t        *connectionsTab
	editing  *orchestrator.Profile // nil: a new profile
	name     *widget.Entry
	url      *widget.Entry
	auth     *widget.Select
	tenant   *widget.Entry
	user     *widget.Entry
	secret   *widget.Entry
	folder   *widget.Entry
	caFile   *widget.Entry
	form     *widget.Form
	save     *widget.Button
	test     *widget.Button
	remove   *widget.Button
	busy     *widget.Activity
	msg      *widget.Label
	content  fyne.CanvasObject
	userItem *widget.FormItem
	secItem  *widget.FormItem
}

func newConnForm(t *connectionsTab) *connForm {
	f := &connForm{t: t, name: widget.NewEntry(), url: widget.NewEntry(),
		tenant: widget.NewEntry(), user: widget.NewEntry(), secret: widget.NewPasswordEntry(),
		folder: widget.NewEntry(), caFile: widget.NewEntry(), busy: widget.NewActivity(),
		msg: widget.NewLabel("")}
	labels := make([]string, len(authChoices))
	for i, c := range authChoices {
		labels[i] = c.label
	}
	f.auth = widget.NewSelect(labels, func(string) { f.authChanged() })
	f.name.SetPlaceHolder("e.g. finance-prod")
	f.url.SetPlaceHolder("https://orchestrator.example.com or https://cloud.uipath.com/org/tenant")
	f.tenant.SetPlaceHolder("empty: the only tenant")
	f.folder.SetPlaceHolder("e.g. Finance/Invoices")
	f.caFile.SetPlaceHolder("PEM file, only for a private certificate authority")
	f.msg.Wrapping = fyne.TextWrapWord
	f.msg.Hide()

	f.userItem = widget.NewFormItem("Client ID", f.user)
	f.secItem = widget.NewFormItem("Client secret", f.secret)
	f.secItem.HintText = "stored in the OS keyring, never in a file"
	f.form = widget.NewForm(widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Orchestrator URL", f.url), widget.NewFormItem("Sign-in", f.auth),
		widget.NewFormItem("Tenant", f.tenant), f.userItem, f.secItem,
		widget.NewFormItem("Folder", f.folder), widget.NewFormItem("CA bundle", f.caFile))

	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), f.submit)
	f.save.Importance = widget.HighImportance
	f.test = widget.NewButtonWithIcon("Test", theme.SearchIcon(), f.runTest)
	f.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), f.confirmRemove)
	f.busy.Hide()
	f.content = container.NewVBox(heading("Connection"), f.form,
		container.NewHBox(f.save, f.test, f.remove, f.busy), f.msg)
	f.Edit(orchestrator.Profile{Auth: orchestrator.AuthClientCredentials})
	return f
}

// Edit fills the form with a profile (a zero Name: a new one).
func (f *connForm) Edit(p orchestrator.Profile) {
	f.editing = nil
	if p.Name != "" {
		f.editing = &p
	}
	f.name.SetText(p.Name)
	f.url.SetText(p.URL)
	f.auth.SetSelected(authLabel(p.Auth))
	f.tenant.SetText(p.Tenant)
	f.user.SetText(p.User)
	f.secret.SetText("")
	f.folder.SetText(p.Folder)
	f.caFile.SetText(p.CAFile)
	f.setBusy(false)
	f.t.showChecks(nil)
	setOrHide(f.msg, "")
}

// authChanged relabels the user and secret fields for the sign-in kind.
func (f *connForm) authChanged() {
	kind := authKind(f.auth.Selected)
	for _, c := range authChoices {
		if c.kind == kind {
			f.userItem.Text = c.user
		}
	}
	f.secItem.Text = secretLabel(kind)
	if kind == orchestrator.AuthToken {
		f.user.Disable()
	} else {
		f.user.Enable()
	}
	if f.editing != nil {
		f.secret.SetPlaceHolder("empty: keep the stored one")
	} else {
		f.secret.SetPlaceHolder("")
	}
	f.form.Refresh()
}

// profile is the form's content as a profile; the fields the form does
// not show keep the edited profile's values.
func (f *connForm) profile() orchestrator.Profile {
	var p orchestrator.Profile
	if f.editing != nil {
		p = *f.editing
	}
	p.Name, p.URL, p.Tenant = trimmed(f.name), trimmed(f.url), trimmed(f.tenant)
	p.Auth, p.User = authKind(f.auth.Selected), trimmed(f.user)
	p.Folder, p.CAFile = trimmed(f.folder), trimmed(f.caFile)
	if p.Auth == orchestrator.AuthToken {
		p.User = ""
	}
	return p
}

// submit validates and saves in the background: the secret first into
// the keyring, then the profile into connections.json (the store's order).
func (f *connForm) submit() {
	p, secret := f.profile(), f.secret.Text
	if err := p.Validate(); err != nil {
		f.show(err.Error(), widget.DangerImportance)
		return
	}
	old := f.editing
	keep := old != nil && secret == "" && old.Auth == p.Auth
	if secret == "" && !keep {
		f.show(errNeedSecret.Error(), widget.DangerImportance)
		return
	}
	f.setBusy(true)
	f.show("Saving…", widget.MediumImportance)
	store := f.t.store
	work := func() (struct{}, error) {
		if keep {
			var err error
			if secret, err = store.Secret(*old); err != nil {
				return struct{}{}, err
			}
		}
		if err := store.Add(p, secret, old != nil && old.Name == p.Name); err != nil {
			return struct{}{}, err
		}
		if old != nil && old.Name != p.Name {
			return struct{}{}, store.Remove(old.Name) // renamed: drop the old one
		}
		return struct{}{}, nil
	}
	background(f.t.u, work, func(_ struct{}, err error) {
		if err != nil {
			f.setBusy(false)
			f.show("Not saved: "+err.Error(), widget.DangerImportance)
			return
		}
		f.editing = &p
		f.setBusy(false)
		f.secret.SetText("")
		f.authChanged()
		f.show("Saved "+p.Name+"; its secret is in the OS keyring.", widget.SuccessImportance)
		f.t.Reload()
	})
}

// runTest runs the checklist for the saved profile.
func (f *connForm) runTest() {
	if f.editing == nil {
		f.show("Save the connection first; the check uses the stored secret.",
			widget.DangerImportance)
		return
	}
	f.setBusy(true)
	f.show("Checking "+f.editing.Name+"…", widget.MediumImportance)
	f.t.showChecks(nil)
	f.t.runDoctor(*f.editing, func() {
		f.setBusy(false)
		setOrHide(f.msg, "")
	})
}

func (f *connForm) confirmRemove() {
	if f.editing == nil {
		return
	}
	name := f.editing.Name
	dialog.ShowConfirm("Remove "+name+"?",
		"The connection and its secret in the OS keyring are deleted.", func(ok bool) {
			if ok {
				f.removeProfile(name)
			}
		}, f.t.u.win)
}

func (f *connForm) removeProfile(name string) {
	f.setBusy(true)
	work := func() (struct{}, error) { return struct{}{}, f.t.store.Remove(name) }
	background(f.t.u, work, func(_ struct{}, err error) {
		f.setBusy(false)
		if err != nil {
			f.show(err.Error(), widget.DangerImportance)
			return
		}
		f.Edit(orchestrator.Profile{Auth: orchestrator.AuthClientCredentials})
		f.show("Removed "+name+".", widget.SuccessImportance)
		f.t.Reload()
	})
}

// setBusy shows the activity and greys the buttons while work runs.
func (f *connForm) setBusy(on bool) {
	for _, b := range []*widget.Button{f.save, f.test, f.remove} {
		if on {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if on {
		f.busy.Show()
		f.busy.Start()
		return
	}
	f.busy.Stop()
	f.busy.Hide()
	if f.editing == nil {
		f.remove.Disable()
		f.test.Disable()
	}
}

func (f *connForm) show(text string, imp widget.Importance) {
	f.msg.Importance = imp
	setOrHide(f.msg, text)
}
