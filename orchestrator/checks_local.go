package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

const engineNotRunning = "engine not running: start it with `robotbridge serve` " +
	"(or the desktop app) to check local runs"

func (d *diagnosis) bridge(ctx context.Context) Check {
	if d.in.Local == nil {
		d.local = "no local robot to check"
		return skip(d.local)
	}
	port, err := d.in.Local.Handshake(ctx)
	if errors.Is(err, ErrEngineNotRunning) {
		d.local = engineNotRunning
		return skip(d.local)
	}
	if err != nil {
		d.local = "skipped: the bridge does not answer"
		return fail(err, "restart robotbridge; if another program holds the port, stop "+
			"it or move the bridge with --port")
	}
	return pass(fmt.Sprintf("the bridge answers on localhost:%d", port))
}

func (d *diagnosis) pkg(ctx context.Context) Check {
	if d.local != "" {
		return skip(d.local)
	}
	key, version := d.in.Process, d.in.Version
	if d.release != nil {
		key, version = d.release.ProcessKey, d.release.ProcessVersion
	}
	if key == "" {
		return skip("no process named: pass --process NAME [--version V]")
	}
	list, err := d.in.Local.Processes(ctx)
	if err != nil {
		return fail(err, "")
	}
	var found []string
	for _, p := range list {
		if !strings.EqualFold(p.Key, key) && !strings.EqualFold(p.Name, key) {
			continue
		}
		if version == "" || p.Version == version {
			return pass(fmt.Sprintf("%s %s is installed", key, p.Version))
		}
		if slices.Contains(p.Versions, version) {
			return pass(fmt.Sprintf("%s %s is installed (the robot runs %s by default)",
				key, version, p.Version))
		}
		found = append(found, p.Version)
	}
	want := key
	if version != "" {
		want += " " + version
	}
	if len(found) > 0 {
		return fail(fmt.Errorf("%s is not installed (installed: %s)", want,
			strings.Join(found, ", ")), "install version "+version+" from the "+
			"Orchestrator feed; robotbridge never runs another version silently")
	}
	return fail(fmt.Errorf("%s is not installed on this robot", want),
		"install it from the Orchestrator feed (the page's InstallProcess, or "+
			"add its folder with --packages)")
}
