package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// sitesSnapshot is what the Sites tab loads in one go.
type sitesSnapshot struct {
	approved []engine.SiteEntry
	pending  []engine.PendingEntry
}

// sitesTab shows the sites waiting for consent and the approved ones,
// with Approve / Deny and Revoke.
type sitesTab struct {
	u        *ui
	load     *loadState
	pending  *fyne.Container
	approved *fyne.Container
	snap     sitesSnapshot
	msg      *widget.Label
	content  fyne.CanvasObject
}

func newSitesTab(u *ui) *sitesTab {
	t := &sitesTab{u: u, pending: container.NewVBox(), approved: container.NewVBox(),
		msg: widget.NewLabel("")}
	t.load = newLoadState(t.Reload)
	t.msg.Wrapping = fyne.TextWrapWord
	t.msg.Hide()
	about := widget.NewLabel("A site (a web page's origin) can use the robot only after you " +
		"approve it here or in the dialog that pops up when it asks.")
	about.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(about, t.load.content, t.msg,
		heading("Waiting for your answer"), t.pending,
		heading("Approved sites"), t.approved)
	t.content = container.NewVScroll(container.NewPadded(body))
	return t
}

// Reload fetches both lists.
func (t *sitesTab) Reload() {
	if !t.load.Loading() {
		return
	}
	background(t.u, t.fetch, func(s sitesSnapshot, err error) {
		if err != nil {
			t.load.Failed("Could not list the sites", err)
			return
		}
		t.load.Done()
		t.snap = s
		t.render()
		t.u.tray.Refresh()
	})
}

func (t *sitesTab) fetch() (sitesSnapshot, error) {
	var s sitesSnapshot
	var err error
	if s.approved, err = t.u.api.Sites(); err != nil {
		return s, err
	}
	s.pending, err = t.u.api.Pending()
	return s, err
}

// PendingCount is how many sites wait for an answer.
func (t *sitesTab) PendingCount() int { return len(t.snap.pending) }

func (t *sitesTab) render() {
	t.pending.Objects = nil
	for _, p := range t.snap.pending {
		t.pending.Add(t.pendingRow(p))
	}
	if len(t.snap.pending) == 0 {
		t.pending.Add(faint("No site is waiting."))
	}
	t.pending.Refresh()

	t.approved.Objects = nil
	for _, s := range t.snap.approved {
		t.approved.Add(t.approvedRow(s))
	}
	if len(t.snap.approved) == 0 {
		t.approved.Add(faint("No site is approved yet."))
	}
	t.approved.Refresh()
}

func (t *sitesTab) pendingRow(p engine.PendingEntry) fyne.CanvasObject {
	origin := widget.NewLabel(p.Origin)
	origin.Wrapping = fyne.TextWrapBreak
	text := twoLines(origin, widget.NewLabel(pendingInfo(p, time.Now())))
	approve := widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(),
		func() { t.decide(p.Code, true) })
	approve.Importance = widget.HighImportance
	deny := widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() { t.decide(p.Code, false) })
	return container.NewBorder(nil, widget.NewSeparator(), nil, buttons(deny, approve), text)
}

// pendingInfo is the line under a waiting site: its code and time left.
func pendingInfo(p engine.PendingEntry, now time.Time) string {
	left := max(int(p.Expires.Sub(now).Seconds()), 0)
	s := fmt.Sprintf("code %s · answer within %d s", p.Code, left)
	if p.Error != "" {
		s += " · last approval failed: " + p.Error
	}
	return s
}

func (t *sitesTab) approvedRow(s engine.SiteEntry) fyne.CanvasObject {
	origin := widget.NewLabel(s.Origin)
	origin.Wrapping = fyne.TextWrapBreak
	text := twoLines(origin, widget.NewLabel(siteInfo(s)))
	if s.PreApproved {
		// only the administrator can remove it
		return container.NewBorder(nil, widget.NewSeparator(), nil, nil, text)
	}
	revoke := widget.NewButtonWithIcon("Revoke", theme.DeleteIcon(),
		func() { t.confirmRevoke(s.Origin) })
	return container.NewBorder(nil, widget.NewSeparator(), nil, buttons(revoke), text)
}

// siteInfo is the line under an approved site.
func siteInfo(s engine.SiteEntry) string {
	if s.PreApproved {
		return "approved by the administrator (settings, --allow-origin or " +
			"UIPATH_ROBOTJS_ALLOWLIST)"
	}
	text := "approved " + s.ApprovedAt.Local().Format("2006-01-02 15:04")
	if !s.ExpiresAt.IsZero() {
		text += " · until " + s.ExpiresAt.Local().Format("2006-01-02")
	}
	return text
}

func (t *sitesTab) decide(code string, approve bool) {
	work := func() (engine.PendingEntry, error) { return t.u.api.Decide(code, approve) }
	background(t.u, work, func(p engine.PendingEntry, err error) {
		t.showResult(decisionText(p, approve, err), err)
		t.u.consent.Close(code)
		t.Reload()
	})
}

// decisionText says what an approve or deny did.
func decisionText(p engine.PendingEntry, approve bool, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case approve:
		return p.Origin + " may now use the robot."
	}
	return p.Origin + " was denied; it cannot ask again for 10 minutes."
}

func (t *sitesTab) confirmRevoke(origin string) {
	dialog.ShowConfirm("Revoke "+origin+"?",
		"The site loses access now and must ask again before it can use the robot.",
		func(ok bool) {
			if ok {
				t.revoke(origin)
			}
		}, t.u.win)
}

func (t *sitesTab) revoke(origin string) {
	work := func() (struct{}, error) { return struct{}{}, t.u.api.Revoke(origin) }
	background(t.u, work, func(_ struct{}, err error) {
		t.showResult("Revoked "+origin+".", err)
		t.Reload()
	})
}

func (t *sitesTab) showResult(text string, err error) {
	t.msg.Importance = widget.SuccessImportance
	if err != nil {
		t.msg.Importance = widget.DangerImportance
		text = err.Error()
	}
	setOrHide(t.msg, text)
}
