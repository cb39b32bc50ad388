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

// consentWait is how long a request waits when the engine's pending list
// has no expiry for it (the page's own limit).
const consentWait = 60 * time.Second

// consentPrompts shows one dialog per waiting consent request, in front
// of the window, and closes it on an answer or when the page gives up.
type consentPrompts struct {
	u    *ui
	open map[string]*consentPrompt // by code
	now  func() time.Time
}

func newConsentPrompts(u *ui) *consentPrompts {
	return &consentPrompts{u: u, open: map[string]*consentPrompt{}, now: time.Now}
}

// consentPrompt is one open dialog.
type consentPrompt struct {
	p         engine.PendingEntry
	dlg       *dialog.CustomDialog
	approve   *widget.Button
	deny      *widget.Button
	countdown *widget.Label
	msg       *widget.Label
	stop      chan struct{} // closed when the dialog goes away
}

// Offer shows a dialog for a consent.pending event if the engine still
// waits for that code (a replayed event for an answered or expired code
// shows nothing).
func (c *consentPrompts) Offer(origin, code string) {
	if code == "" || c.open[code] != nil {
		return
	}
	background(c.u, c.u.api.Pending, func(list []engine.PendingEntry, err error) {
		c.offerFrom(list, err, origin, code)
	})
}

// offerFrom shows the dialog for code if the engine's pending list has
// it. When the list could not be read it still asks, with the page's
// usual time limit: the engine checks the answer either way.
func (c *consentPrompts) offerFrom(list []engine.PendingEntry, err error, origin, code string) {
	if err != nil {
		c.Show(engine.PendingEntry{Code: code, Origin: origin, Expires: c.now().Add(consentWait)})
		return
	}
	for _, p := range list {
		if p.Code == code {
			c.Show(p)
		}
	}
}

// Show opens the dialog for a waiting request and brings the window up.
func (c *consentPrompts) Show(p engine.PendingEntry) {
	if c.open[p.Code] != nil || !p.Expires.After(c.now()) {
		return
	}
	cp := c.build(p)
	c.open[p.Code] = cp
	c.u.win.Show()
	c.u.win.RequestFocus()
	cp.dlg.Show()
	c.u.tray.Refresh()
	go c.tick(cp)
}

func (c *consentPrompts) build(p engine.PendingEntry) *consentPrompt {
	cp := &consentPrompt{p: p, stop: make(chan struct{}),
		countdown: widget.NewLabel(countdownText(p.Expires.Sub(c.now()))),
		msg:       widget.NewLabel("")}
	intro := widget.NewLabel("This site asks to run automation processes on this computer:")
	intro.Wrapping = fyne.TextWrapWord
	origin := widget.NewLabel(p.Origin) // in full: the scheme and port matter
	origin.TextStyle.Bold = true
	origin.Wrapping = fyne.TextWrapBreak
	codeIntro := widget.NewLabel("Approve only if the page in your browser shows this code:")
	codeIntro.Wrapping = fyne.TextWrapWord
	code := widget.NewLabel(spacedCode(p.Code))
	code.TextStyle = fyne.TextStyle{Monospace: true}
	code.SizeName = theme.SizeNameHeadingText
	cp.countdown.Importance = widget.LowImportance
	cp.msg.Importance = widget.DangerImportance
	cp.msg.Wrapping = fyne.TextWrapWord
	cp.msg.Hide()

	cp.deny = widget.NewButtonWithIcon("Deny", theme.CancelIcon(), func() { c.answer(cp, false) })
	cp.approve = widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(),
		func() { c.answer(cp, true) })
	cp.approve.Importance = widget.HighImportance
	buttons := container.NewGridWithColumns(2, cp.deny, cp.approve)

	body := container.NewVBox(intro, origin, codeIntro, container.NewCenter(code),
		cp.countdown, cp.msg, buttons)
	cp.dlg = dialog.NewCustomWithoutButtons("A site asks to use the robot", body, c.u.win)
	cp.dlg.Resize(fyne.NewSize(480, 0))
	return cp
}

// spacedCode groups a six-digit code as "482 913" for reading aloud.
func spacedCode(code string) string {
	if len(code) == 6 {
		return code[:3] + " " + code[3:]
	}
	return code
}

// countdownText says how long the page still waits.
func countdownText(left time.Duration) string {
	s := int((left + time.Second - 1) / time.Second) // round up: 0.2 s left is "1 s"
	if s <= 0 {
		return "The page stopped waiting."
	}
	return fmt.Sprintf("The page waits %d more seconds.", s)
}

// tick updates the countdown each second, closes the dialog when the
// request expires, and every few seconds asks the engine whether the code
// still waits (it may have been answered with the CLI or another window).
// It runs until the dialog goes away.
func (c *consentPrompts) tick(cp *consentPrompt) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	expired := time.NewTimer(cp.p.Expires.Sub(c.now()))
	defer expired.Stop()
	for n := 1; ; n++ {
		select {
		case <-cp.stop:
			return
		case <-expired.C:
			c.u.do(func() { c.Close(cp.p.Code) })
			return
		case <-t.C:
			c.u.do(func() { cp.countdown.SetText(countdownText(cp.p.Expires.Sub(c.now()))) })
			if n%consentRecheck == 0 {
				c.recheck(cp.p.Code)
			}
		}
	}
}

// consentRecheck is every how many countdown ticks a dialog asks the
// engine whether its code still waits.
const consentRecheck = 2

// recheck closes the dialog of a code the engine no longer waits for.
func (c *consentPrompts) recheck(code string) {
	list, err := c.u.api.Pending()
	if err != nil {
		return // the engine is away; the expiry still closes the dialog
	}
	for _, p := range list {
		if p.Code == code {
			return
		}
	}
	c.u.do(func() { c.Close(code) })
}

// answer sends Approve or Deny in the background; the dialog closes when
// the engine took the answer and stays with the error otherwise.
func (c *consentPrompts) answer(cp *consentPrompt, approve bool) {
	cp.approve.Disable()
	cp.deny.Disable()
	cp.msg.Hide()
	work := func() (engine.PendingEntry, error) { return c.u.api.Decide(cp.p.Code, approve) }
	background(c.u, work, func(p engine.PendingEntry, err error) {
		if err != nil {
			cp.msg.SetText(err.Error())
			cp.msg.Show()
			cp.approve.Enable()
			cp.deny.Enable()
			return
		}
		c.Close(cp.p.Code)
		c.u.sites.showResult(decisionText(p, approve, nil), nil)
		c.u.sites.Reload()
	})
}

// Close removes the dialog of a code, if one is open.
func (c *consentPrompts) Close(code string) {
	cp := c.open[code]
	if cp == nil {
		return
	}
	delete(c.open, code)
	close(cp.stop)
	cp.dlg.Hide()
	c.u.tray.Refresh()
}

// CloseAll removes every dialog.
func (c *consentPrompts) CloseAll() {
	for code := range c.open {
		c.Close(code)
	}
}

// Count is the number of open dialogs.
func (c *consentPrompts) Count() int { return len(c.open) }
