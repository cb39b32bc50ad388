package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// loadState is the line above a list that shows a call to the engine in
// flight (a moving bar), its failure (the message and a Retry button), or
// nothing once the list is loaded.
type loadState struct {
	bar     *widget.ProgressBarInfinite
	msg     *widget.Label
	retry   *widget.Button
	content *fyne.Container
	busy    bool
}

func newLoadState(retry func()) *loadState {
	l := &loadState{bar: widget.NewProgressBarInfinite(), msg: widget.NewLabel("")}
	l.msg.Wrapping = fyne.TextWrapWord
	l.msg.Importance = widget.DangerImportance
	l.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), retry)
	l.content = container.NewVBox()
	l.bar.Stop() // it animates only while shown
	return l
}

// Loading shows the moving bar; it reports false when a load is already
// running, so callers do not start a second one.
func (l *loadState) Loading() bool {
	if l.busy {
		return false
	}
	l.busy = true
	l.bar.Start()
	l.content.Objects = []fyne.CanvasObject{l.bar}
	l.content.Refresh()
	return true
}

// Failed shows what went wrong with a Retry button.
func (l *loadState) Failed(what string, err error) {
	l.busy = false
	l.bar.Stop()
	l.msg.SetText(what + ": " + err.Error())
	l.content.Objects = []fyne.CanvasObject{
		container.NewBorder(nil, nil, nil, l.retry, l.msg)}
	l.content.Refresh()
}

// Done hides the line.
func (l *loadState) Done() {
	l.busy = false
	l.bar.Stop()
	l.content.Objects = nil
	l.content.Refresh()
}

// Message is the current error text ("" when none is shown).
func (l *loadState) Message() string {
	if len(l.content.Objects) == 0 || l.content.Objects[0] == l.bar {
		return ""
	}
	return l.msg.Text
}
