package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// processesTab lists the installed processes with a search box; picking
// one shows its run form.
type processesTab struct {
	u       *ui
	all     []engine.ProcessEntry
	shown   []engine.ProcessEntry
	source  *widget.Select // "This computer" or an Orchestrator connection
	conns   []string       // the connections the selector offers, in order
	conn    string         // the chosen connection; "" for this computer
	search  *widget.Entry
	list    *widget.List
	load    *loadState
	run     *runPane
	content fyne.CanvasObject
}

func newProcessesTab(u *ui) *processesTab {
	t := &processesTab{u: u, search: widget.NewEntry()}
	t.load = newLoadState(t.Reload)
	t.search.SetPlaceHolder("Search processes")
	t.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	t.search.OnChanged = func(string) { t.filter() }

	t.list = widget.NewList(func() int { return len(t.shown) }, newProcessRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { setProcessRow(o, t.shown[i]) })
	t.list.OnSelected = func(i widget.ListItemID) { t.show(t.shown[i]) }
	t.run = newRunPane(u)
	t.source = newSourceSelect(t)

	top := container.NewVBox(t.source, t.search, t.load.content)
	left := container.NewBorder(top, nil, nil, nil, t.list)
	split := container.NewHSplit(left, t.run.content)
	split.Offset = 0.32
	t.content = split
	return t
}

func newProcessRow() fyne.CanvasObject {
	name := widget.NewLabel("process name")
	name.Truncation = fyne.TextTruncateEllipsis
	about := widget.NewLabel("version · source")
	about.Truncation = fyne.TextTruncateEllipsis
	return twoLines(name, about)
}

func setProcessRow(o fyne.CanvasObject, p engine.ProcessEntry) {
	box := o.(*fyne.Container)
	box.Objects[0].(*widget.Label).SetText(p.Name)
	box.Objects[1].(*widget.Label).SetText(processCaption(p))
}

// processCaption is the small line under a process's name.
func processCaption(p engine.ProcessEntry) string {
	parts := []string{}
	if p.Version != "" {
		parts = append(parts, "v"+p.Version)
	}
	if p.Newer != "" {
		parts = append(parts, "v"+p.Newer+" installed too")
	}
	if p.Source != "" {
		parts = append(parts, p.Source)
	}
	n := len(p.Inputs)
	switch n {
	case 0:
		parts = append(parts, "no arguments")
	case 1:
		parts = append(parts, "1 argument")
	default:
		parts = append(parts, fmt.Sprintf("%d arguments", n))
	}
	return strings.Join(parts, " · ")
}

// Reload fetches the process list of the chosen source.
func (t *processesTab) Reload() {
	if !t.load.Loading() {
		return
	}
	conn := t.conn
	work := t.u.api.Processes
	if conn != "" {
		work = t.orchestratorWork(conn)
	}
	background(t.u, work, func(list []engine.ProcessEntry, err error) {
		if conn != t.conn { // the source changed meanwhile: load the new one
			t.load.Done()
			t.Reload()
			return
		}
		if err != nil {
			t.load.Failed("Could not list the processes", err)
			return
		}
		t.load.Done()
		t.all = list
		t.filter()
		t.run.Update(list)
	})
}

// filter applies the search box to the list.
func (t *processesTab) filter() {
	t.shown = filterProcesses(t.all, t.search.Text)
	t.list.UnselectAll()
	t.list.Refresh()
}

// filterProcesses keeps the processes whose name, key or description
// holds every word of the query, ignoring case.
func filterProcesses(all []engine.ProcessEntry, query string) []engine.ProcessEntry {
	words := strings.Fields(strings.ToLower(query))
	var out []engine.ProcessEntry
	for _, p := range all {
		hay := strings.ToLower(p.Name + " " + p.Key + " " + p.Description)
		match := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				match = false
				break
			}
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}

// Names are the process names the list shows, in order (for tests and the
// screenshot tour).
func (t *processesTab) Names() []string {
	names := make([]string, len(t.shown))
	for i, p := range t.shown {
		names[i] = p.Name
	}
	return names
}
