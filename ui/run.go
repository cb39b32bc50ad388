//go:build cgo || ci

package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"robotbridge/assets"
)

// AppID is the desktop app's unique id, as in FyneApp.toml.
const AppID = "io.robotbridge.app"

// Run shows the desktop app and blocks until the user quits or ctx ends.
// It must be called on the main goroutine (Fyne's rule). With the "ci"
// build tag Fyne's headless driver runs instead of a real window.
func Run(ctx context.Context, opts Options) error {
	if opts.API == nil {
		return errors.New("ui: no engine API")
	}
	if err := checkDisplay(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	a := app.NewWithID(AppID)
	icon := fyne.NewStaticResource("robotbridge.png", assets.Icon())
	a.SetIcon(icon)
	u := newUI(a, opts, fyne.Do)
	u.win.SetIcon(icon)
	u.win.SetCloseIntercept(u.closeWindow)

	tourDone := make(chan error, 1)
	// The tray must exist before Run: Fyne starts it only when the loop
	// starts, and fyne.io/systray panics at Quit if it was never started.
	u.tray.Refresh()
	a.Lifecycle().SetOnStarted(func() {
		u.start(ctx)
		go u.logs.follow(ctx.Done())
		if opts.ScreenshotDir != "" {
			go func() { tourDone <- u.tour(ctx, opts.ScreenshotDir) }()
		}
	})
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()

	u.win.Show()
	a.Run()
	u.stop()
	cancel()
	if opts.ScreenshotDir != "" {
		return <-tourDone
	}
	return nil
}

// closeWindow hides the window where a tray icon can bring it back, and
// quits elsewhere.
func (u *ui) closeWindow() {
	if u.tray.desk == nil {
		u.Quit()
		return
	}
	u.win.Hide()
}
