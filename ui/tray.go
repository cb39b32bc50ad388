package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"robotbridge/assets"
)

// trayState is what the tray icon says at a glance.
type trayState int

const (
	trayIdle      trayState = iota // nothing runs, nothing waits
	trayBusy                       // a job runs
	trayAttention                  // a site waits for consent, or the engine is gone
)

// maxTrayJobs is how many recent jobs the tray menu lists.
const maxTrayJobs = 5

// trayStateFor picks the icon: attention wins over busy.
func trayStateFor(engineUp bool, pending, running int) trayState {
	switch {
	case !engineUp || pending > 0:
		return trayAttention
	case running > 0:
		return trayBusy
	}
	return trayIdle
}

// Badge colours of the tray icon.
var (
	badgeBusy      = color.NRGBA{R: 0x2e, G: 0x9d, B: 0x4c, A: 0xff} // green
	badgeAttention = color.NRGBA{R: 0xe8, G: 0x6a, B: 0x10, A: 0xff} // orange
)

// badged returns the PNG icon with a round badge in its lower right
// corner.
func badged(icon []byte, c color.Color) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(icon))
	if err != nil {
		return nil, fmt.Errorf("tray icon: %w", err)
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)

	r := b.Dx() * 3 / 16 // badge radius
	cx, cy := b.Max.X-r-1, b.Max.Y-r-1
	white := color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	for y := cy - r - 2; y <= cy+r+2; y++ {
		for x := cx - r - 2; x <= cx+r+2; x++ {
			d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			switch {
			case d <= r*r:
				img.Set(x, y, c)
			case d <= (r+2)*(r+2):
				img.Set(x, y, white) // a ring keeps the badge visible on any panel
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("tray icon: %w", err)
	}
	return out.Bytes(), nil
}

// tray is the system tray icon and menu, when the desktop has a tray.
type tray struct {
	u     *ui
	desk  desktop.App // nil: no tray (tests, or a driver without one)
	icons map[trayState]fyne.Resource
	state trayState
	menu  string // the last menu, to skip needless rebuilds
}

func newTray(u *ui) *tray {
	t := &tray{u: u, state: -1, icons: trayIcons(u)}
	t.desk, _ = u.app.(desktop.App)
	// On Linux the tray lives on the D-Bus session bus. Without one,
	// fyne.io/systray never connects and then panics at Quit (it closes
	// the connection it never opened), so go without a tray.
	if t.desk != nil && runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		u.log.Warn("ui: no D-Bus session bus, so no tray icon; closing the window quits")
		t.desk = nil
	}
	return t
}

// trayIcons builds the three icons; a badge that cannot be drawn falls
// back to the plain icon.
func trayIcons(u *ui) map[trayState]fyne.Resource {
	plain := fyne.NewStaticResource("robotbridge.png", assets.Icon())
	icons := map[trayState]fyne.Resource{trayIdle: plain, trayBusy: plain, trayAttention: plain}
	for state, c := range map[trayState]color.Color{trayBusy: badgeBusy,
		trayAttention: badgeAttention} {
		data, err := badged(assets.Icon(), c)
		if err != nil {
			u.log.Warn("ui: tray badge", "error", err)
			continue
		}
		icons[state] = fyne.NewStaticResource(fmt.Sprintf("robotbridge-%d.png", state), data)
	}
	return icons
}

// Refresh sets the icon and menu from the app's state.
func (t *tray) Refresh() {
	if t.desk == nil || t.u.jobs == nil || t.u.sites == nil || t.u.consent == nil {
		return // not a desktop, or still being built
	}
	pending := max(t.u.sites.PendingCount(), t.u.consent.Count())
	state := trayStateFor(!t.u.status.down, pending, t.u.jobs.model.Running())
	if state != t.state {
		t.state = state
		t.desk.SetSystemTrayIcon(t.icons[state])
	}
	items := t.menuItems()
	if key := menuKey(items); key != t.menu {
		t.menu = key
		t.desk.SetSystemTrayMenu(fyne.NewMenu("robotbridge", items...))
	}
}

// menuItems are: open, recent jobs, quit.
func (t *tray) menuItems() []*fyne.MenuItem {
	items := []*fyne.MenuItem{fyne.NewMenuItem("Open robotbridge", func() { t.u.showWindow("") })}
	if n := t.u.consent.Count(); n > 0 {
		items = append(items, fyne.NewMenuItem(fmt.Sprintf("%d site(s) ask for consent", n),
			func() { t.u.showWindow("Sites") }))
	}
	items = append(items, fyne.NewMenuItemSeparator())
	rows := t.u.jobs.rows
	if len(rows) == 0 {
		none := fyne.NewMenuItem("No recent jobs", nil)
		none.Disabled = true
		items = append(items, none)
	}
	for i := 0; i < len(rows) && i < maxTrayJobs; i++ {
		label := rows[i].Process + " — " + stateLabel(rows[i].State)
		items = append(items, fyne.NewMenuItem(label, func() { t.u.showWindow("Jobs") }))
	}
	items = append(items, fyne.NewMenuItemSeparator(), t.pauseItem())
	quit := fyne.NewMenuItem("Quit", t.u.Quit)
	quit.IsQuit = true
	return append(items, fyne.NewMenuItemSeparator(), quit)
}

// pauseItem pauses or resumes the bridge; the label follows the engine's
// state, which the event stream reports back.
func (t *tray) pauseItem() *fyne.MenuItem {
	paused := t.u.status.st.Paused
	label := "Pause the bridge"
	if paused {
		label = "Resume the bridge"
	}
	item := fyne.NewMenuItem(label, func() {
		background(t.u, func() (struct{}, error) {
			return struct{}{}, t.u.api.SetPaused(!paused)
		}, func(_ struct{}, err error) {
			if err != nil {
				t.u.log.Warn("ui: pause or resume failed", "error", err)
			}
		})
	})
	item.Disabled = !t.u.status.up
	return item
}

// menuKey identifies a menu by its labels.
func menuKey(items []*fyne.MenuItem) string {
	var b bytes.Buffer
	for _, it := range items {
		b.WriteString(it.Label)
		b.WriteByte('\n')
	}
	return b.String()
}
