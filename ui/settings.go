package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// prefNotifications is the preference key of the notifications switch.
const prefNotifications = "notifications"

// settingsTab holds the app's own settings (start at login,
// notifications) and shows the engine's (ports, config folder).
type settingsTab struct {
	u         *ui
	autostart *widget.Check
	autoMsg   *widget.Label
	notify    *widget.Check
	engine    *widget.Label
	form      *settingsForm
	content   fyne.CanvasObject
	loading   bool // ignore the check's callback while setting it
}

func newSettingsTab(u *ui) *settingsTab {
	t := &settingsTab{u: u, autoMsg: widget.NewLabel(""), engine: widget.NewLabel(""),
		form: newSettingsForm(u)}
	t.autoMsg.Wrapping = fyne.TextWrapWord
	t.engine.Wrapping = fyne.TextWrapWord
	t.autostart = widget.NewCheck("Start the engine when I log in (a user service)", t.setAutostart)
	t.notify = widget.NewCheck("Notify me when a job starts, finishes, faults or stops",
		func(on bool) { u.app.Preferences().SetBool(prefNotifications, on) })
	t.notify.SetChecked(u.app.Preferences().BoolWithFallback(prefNotifications, true))

	portsHelp := note("The engine reads these from config.json in its config folder when " +
		"it starts; `robotbridge serve` flags override them.")
	body := container.NewVBox(
		widget.NewCard("Start at login", "", container.NewVBox(t.autostart, t.autoMsg)),
		widget.NewCard("Notifications", "", container.NewVBox(t.notify,
			note("A burst of job updates is summed up in one notification."))),
		widget.NewCard("Engine", "", container.NewVBox(t.engine, t.form.content, portsHelp)),
	)
	t.content = container.NewVScroll(container.NewPadded(body))
	return t
}

// NotificationsOn reports the notifications switch; safe from any
// goroutine (preferences are).
func (t *settingsTab) NotificationsOn() bool {
	return t.u.app.Preferences().BoolWithFallback(prefNotifications, true)
}

// Reload reads the autostart state and the engine's ports and settings.
func (t *settingsTab) Reload() {
	t.form.Reload()
	background(t.u, t.u.api.Status, func(st engine.Status, err error) {
		t.engine.SetText(engineText(st, err, t.u.opts.InProcess, t.u.opts.ConfigDir))
	})
	if t.u.opts.Autostart == nil {
		t.autostart.Disable()
		t.autoMsg.SetText("Not available in this build.")
		return
	}
	background(t.u, t.u.opts.Autostart.Enabled, func(on bool, err error) {
		t.loading = true
		t.autostart.SetChecked(on)
		t.loading = false
		if err != nil {
			t.autostart.Disable()
			t.autoMsg.SetText("Not available: " + err.Error())
			return
		}
		t.autostart.Enable()
		t.autoMsg.SetText(autostartText(on))
	})
}

// autostartText explains the current autostart state.
func autostartText(on bool) string {
	if on {
		return "The user service is installed: from your next login the engine runs " +
			"without this window, and this app uses it."
	}
	return "Off: the engine runs inside this app while the app is open."
}

// engineText describes the engine in the Settings tab.
func engineText(st engine.Status, err error, inProcess bool, dir string) string {
	if err != nil {
		return "The engine cannot be reached: " + err.Error()
	}
	where := "an engine that was already running (the user service or `robotbridge serve`)"
	if inProcess {
		where = "this app (it stops when you quit)"
	}
	return fmt.Sprintf("Runs in %s.\nPages find it on localhost:%d; the RobotJS API is on "+
		"localhost:%d.\nConfig folder: %s", where, st.DiscoveryPort, st.APIPort, dir)
}

// setAutostart installs or removes the user service in the background.
func (t *settingsTab) setAutostart(on bool) {
	if t.loading || t.u.opts.Autostart == nil {
		return
	}
	t.autostart.Disable()
	t.autoMsg.SetText("Working…")
	work := func() (struct{}, error) { return struct{}{}, t.u.opts.Autostart.SetEnabled(on) }
	background(t.u, work, func(_ struct{}, err error) {
		if err != nil {
			t.autoMsg.SetText("Could not change it: " + err.Error())
			t.loading = true
			t.autostart.SetChecked(!on)
			t.loading = false
			t.autostart.Enable()
			return
		}
		t.Reload()
	})
}
