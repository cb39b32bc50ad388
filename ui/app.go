// Package ui is robotbridge's desktop app: a Fyne window with tabs, a tray
// icon, the consent dialog and job notifications. It is a thin layer over
// the engine's control API (see API): it renders what the engine reports
// and sends the user's intents back; it never calls engine code directly.
//
// Threading: Fyne runs every widget callback on one UI goroutine. Calls to
// the engine block on a socket, so they run in background goroutines and
// come back to the UI goroutine through ui.do (fyne.Do in the real app).
package ui

import (
	"context"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"robotbridge/feed"
	"robotbridge/orchestrator"
)

// Autostart turns "start at login" on and off; cmd/robotbridge backs it
// with the user service.
type Autostart interface {
	// Enabled reports whether the engine starts at login. An error says
	// why this cannot be known or changed here (no service manager).
	Enabled() (bool, error)
	// SetEnabled installs and starts, or stops and removes, the service.
	SetEnabled(on bool) error
}

// Options configure the desktop app. Only API is required.
type Options struct {
	API *API
	// Logger receives the app's own log lines (nil: slog.Default()).
	Logger *slog.Logger
	// Logs is shown in the Logs tab (nil: the tab says where logs go).
	Logs *LogBuffer
	// Autostart backs the "Start at login" setting (nil: not offered).
	Autostart Autostart
	// InProcess says the app started the engine itself, so quitting the
	// app stops it.
	InProcess bool
	// EngineDone reports the end of an in-process engine (nil otherwise).
	EngineDone <-chan error
	// ConfigDir is shown in Settings.
	ConfigDir string
	// Connections keeps the Orchestrator connection profiles and their
	// secrets (nil: the Connections tab says it is not available).
	Connections *orchestrator.Store
	// ScreenshotDir, when set, makes the app visit every tab and a consent
	// dialog, pausing on each until scripts/gui-screenshots.sh has grabbed
	// it into that folder, and then quit (see tour.go).
	ScreenshotDir string
}

// ui is the running app. Its fields are used on the UI goroutine only,
// except api, log and do.
type ui struct {
	app  fyne.App
	win  fyne.Window
	api  *API
	log  *slog.Logger
	do   func(func()) // runs a function on the UI goroutine
	opts Options

	tabs     *container.AppTabs
	procs    *processesTab
	jobs     *jobsTab
	sites    *sitesTab
	conns    *connectionsTab
	settings *settingsTab
	logs     *logsTab
	consent  *consentPrompts
	notes    *notifier
	status   *statusBar
	tray     *tray

	quit context.CancelFunc // ends the event follower
}

// newUI builds the window and its tabs. do must run functions on the UI
// goroutine (fyne.Do in the app; a pump in tests).
func newUI(a fyne.App, opts Options, do func(func())) *ui {
	u := &ui{app: a, api: opts.API, log: opts.Logger, do: do, opts: opts, quit: func() {}}
	if u.log == nil {
		u.log = slog.Default()
	}
	u.win = a.NewWindow("robotbridge")
	u.win.Resize(fyne.NewSize(960, 620))

	u.procs = newProcessesTab(u)
	u.jobs = newJobsTab(u)
	u.sites = newSitesTab(u)
	u.conns = newConnectionsTab(u)
	u.settings = newSettingsTab(u)
	u.logs = newLogsTab(u)
	u.consent = newConsentPrompts(u)
	u.notes = newNotifier(a.SendNotification, u.settings.NotificationsOn)
	u.status = newStatusBar(u)
	u.tray = newTray(u)

	u.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Processes", theme.MediaPlayIcon(), u.procs.content),
		container.NewTabItemWithIcon("Jobs", theme.ListIcon(), u.jobs.content),
		container.NewTabItemWithIcon("Sites", theme.ComputerIcon(), u.sites.content),
		container.NewTabItemWithIcon("Connections", theme.StorageIcon(), u.conns.content),
		container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), u.settings.content),
		container.NewTabItemWithIcon("Logs", theme.DocumentIcon(), u.logs.content),
	)
	u.tabs.OnSelected = u.tabSelected
	u.win.SetContent(container.NewBorder(nil, u.status.content, nil, nil, u.tabs))
	return u
}

// start begins following the engine; it returns at once.
func (u *ui) start(ctx context.Context) {
	ctx, u.quit = context.WithCancel(ctx)
	go u.follow(ctx)
	if u.opts.EngineDone != nil {
		go u.watchEngine(ctx)
	}
}

// stop ends the follower and pending timers.
func (u *ui) stop() {
	u.quit()
	u.notes.Stop()
	u.consent.CloseAll()
	u.jobs.stopTicking()
}

// reloadAll refreshes every list from the engine.
func (u *ui) reloadAll() {
	u.procs.Reload()
	u.procs.ReloadSources()
	u.jobs.Reload()
	u.sites.Reload()
	u.settings.Reload()
	u.conns.Reload()
}

// handleEvent applies one engine event. live is false for events that
// happened before the app connected (they update lists but neither
// notify nor pop up).
func (u *ui) handleEvent(ev feed.Event, live bool) {
	switch ev.Type {
	case feed.JobState, feed.OrchestratorJobState:
		if u.jobs.Apply(ev) {
			u.tray.Refresh()
		}
		if live {
			u.notes.OnEvent(ev)
		}
	case feed.JobOutput:
		u.jobs.OutputArrived(ev.JobID)
	case feed.ConsentPending:
		u.consent.Offer(ev.Origin, ev.Code)
		u.sites.Reload()
	case feed.ConsentDecided:
		u.sites.Reload()
	case feed.BridgePaused:
		u.status.SetPaused(ev.State == "paused")
	case feed.ProcessesChanged:
		u.procs.Reload()
	case "resync":
		u.jobs.Reload()
	}
}

// tabSelected refreshes lists that have no event of their own.
func (u *ui) tabSelected(t *container.TabItem) {
	switch t.Text {
	case "Processes":
		u.procs.ReloadSources()
	case "Sites":
		u.sites.Reload()
	case "Settings":
		u.settings.Reload()
	case "Connections":
		u.conns.Reload()
	case "Logs":
		u.logs.Refresh()
	}
}

// showWindow brings the window to the front, optionally at a tab.
func (u *ui) showWindow(tab string) {
	for _, t := range u.tabs.Items {
		if t.Text == tab {
			u.tabs.Select(t)
		}
	}
	u.win.Show()
	u.win.RequestFocus()
}

// background runs work off the UI goroutine and hands its result to done
// on the UI goroutine.
func background[T any](u *ui, work func() (T, error), done func(T, error)) {
	go func() {
		v, err := work()
		u.do(func() { done(v, err) })
	}()
}

// Quit stops following the engine and ends the app.
func (u *ui) Quit() {
	u.stop()
	u.app.Quit()
}
