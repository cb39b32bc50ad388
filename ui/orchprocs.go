package ui

import (
	"fyne.io/fyne/v2/widget"

	"robotbridge/engine"
)

// thisComputer is the Processes tab's source for the engine's own
// processes; the other sources are Orchestrator connections.
const thisComputer = "This computer"

// runTarget is where the run pane starts a job: the engine itself, or a
// folder of an Orchestrator connection.
type runTarget struct {
	conn   string // "" for this computer
	folder string
}

// start returns the background work that starts p with args and words
// the answer. Argument values are sent, never shown or logged.
func (t runTarget) start(api *API, p engine.ProcessEntry,
	args map[string]any) func() (string, error) {
	if t.conn == "" {
		return func() (string, error) {
			d, err := api.Run(p.Key, args)
			return "Started job " + d.ID + " (" + d.State + ").", err
		}
	}
	req := engine.OrchestratorRunRequest{Connection: t.conn, Folder: t.folder,
		Process: p.Name, Arguments: args}
	return func() (string, error) {
		j, err := api.RunOrchestrator(req)
		return "Started job " + j.ID + " in " + t.conn + " (" + j.State + ").", err
	}
}

// newSourceSelect is the Processes tab's source selector. It offers only
// "This computer" until the connection profiles are read, and stays
// hidden when this build has no connection store.
func newSourceSelect(t *processesTab) *widget.Select {
	s := widget.NewSelect([]string{thisComputer}, nil)
	s.Selected = thisComputer
	s.OnChanged = func(string) { t.sourceChosen(s.SelectedIndex()) }
	if t.u.opts.Connections == nil {
		s.Hide()
	}
	return s
}

// sourceChosen switches the list to the source at index i of the
// selector (0: this computer).
func (t *processesTab) sourceChosen(i int) {
	conn := ""
	if i > 0 && i <= len(t.conns) {
		conn = t.conns[i-1]
	}
	if conn == t.conn {
		return
	}
	t.conn = conn
	t.all = nil
	t.filter()
	t.run.Clear()
	t.Reload()
}

// ReloadSources reads the connection profiles for the selector, off the
// UI goroutine. A chosen connection that was removed falls back to this
// computer.
func (t *processesTab) ReloadSources() {
	store := t.u.opts.Connections
	if store == nil {
		return
	}
	work := func() ([]string, error) {
		list, err := store.List()
		names := make([]string, len(list))
		for i, p := range list {
			names[i] = p.Name
		}
		return names, err
	}
	background(t.u, work, func(names []string, err error) {
		if err != nil {
			t.u.log.Warn("ui: cannot read the Orchestrator connections", "error", err)
			return
		}
		t.setSources(names)
	})
}

// setSources fills the selector, keeping the chosen source if it is
// still there.
func (t *processesTab) setSources(names []string) {
	t.conns = names
	t.source.Options = append([]string{thisComputer}, names...)
	chosen := 0
	for i, n := range names {
		if n == t.conn {
			chosen = i + 1
		}
	}
	t.source.SetSelectedIndex(chosen) // sourceChosen ignores an unchanged source
	t.source.Refresh()
}

// orchestratorWork lists a connection's processes as process entries, so
// the list, the search and the run pane work as for local ones.
func (t *processesTab) orchestratorWork(conn string) func() ([]engine.ProcessEntry, error) {
	return func() ([]engine.ProcessEntry, error) {
		list, err := t.u.api.OrchestratorProcesses(conn, "")
		if err != nil {
			return nil, err
		}
		out := make([]engine.ProcessEntry, len(list))
		for i, p := range list {
			out[i] = engine.ProcessEntry{Key: p.Key, Name: p.Name, Version: p.Version,
				Source: p.Folder, Description: p.Description, Inputs: p.Inputs}
		}
		return out, nil
	}
}

// show puts a process in the run pane with the chosen source as target.
func (t *processesTab) show(p engine.ProcessEntry) {
	t.run.target = runTarget{conn: t.conn, folder: p.Source}
	if t.conn == "" {
		t.run.target.folder = ""
	}
	t.run.Show(p)
}
