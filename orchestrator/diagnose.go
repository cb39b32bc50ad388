package orchestrator

import (
	"context"
	"log/slog"
	"net"
	"time"
)

// CheckStatus is the outcome of one check.
type CheckStatus string

const (
	CheckPass CheckStatus = "pass"
	CheckFail CheckStatus = "fail"
	// CheckSkip means the check could not run: a check it needs failed,
	// or its input (folder, process, engine) is missing.
	CheckSkip CheckStatus = "skip"
)

// Check is one line of the connection checklist.
type Check struct {
	ID     string      `json:"id"`
	Title  string      `json:"title"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail,omitempty"`
	// Fix says what to do when the check failed.
	Fix string `json:"fix,omitempty"`
}

// Check ids, in the order Diagnose runs them.
const (
	CheckURL         = "url"
	CheckTLS         = "tls"
	CheckAPI         = "api"
	CheckCredentials = "credentials"
	CheckUser        = "user"
	CheckFolders     = "folders"
	CheckFolder      = "folder"
	CheckProcess     = "process"
	CheckExecute     = "execute"
	CheckBridge      = "bridge"
	CheckPackage     = "package"
)

// DiagnoseInput is what the checklist checks.
type DiagnoseInput struct {
	Profile Profile
	// Secret reads the profile's secret (normally Store.Secret); it is
	// called once, when the credentials are checked.
	Secret func() (string, error)
	// Folder is the folder path the app uses ("" : the profile's).
	Folder string
	// Process is the process (release name or package id) the app runs,
	// and Version the exact version it expects ("" : any). Without a
	// process the process, execute and package checks are skipped.
	Process string
	Version string
	// Local is this computer's robot (nil: the local checks are skipped).
	Local LocalRobot
	// Logger, Timeout and DialContext go to the Client (see Config).
	Logger      *slog.Logger
	Timeout     time.Duration
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Diagnose runs the connection checklist and returns one Check per line.
// A check whose prerequisite did not pass is skipped, so the first
// failure is the cause to fix. It never returns early: every line is
// there.
func Diagnose(ctx context.Context, in DiagnoseInput) []Check {
	d := &diagnosis{in: in}
	if d.in.Folder == "" {
		d.in.Folder = in.Profile.Folder
	}
	steps := []struct {
		id, title string
		needs     string
		run       func(context.Context) Check
	}{
		{CheckURL, "URL and port reachable", "", d.reachable},
		{CheckTLS, "TLS certificate trusted", CheckURL, d.trusted},
		{CheckAPI, "server is an Orchestrator", CheckTLS, d.isOrchestrator},
		{CheckCredentials, "credentials accepted", CheckAPI, d.credentials},
		{CheckUser, "user exists and may sign in", CheckCredentials, d.user},
		{CheckFolders, "may list folders", CheckUser, d.listFolders},
		{CheckFolder, "may read the folder", CheckUser, d.readFolder},
		{CheckProcess, "process and version exist in the folder", CheckFolder, d.process},
		{CheckExecute, "may start the process", CheckProcess, d.execute},
		{CheckBridge, "local bridge answers the RobotJS handshake", "", d.bridge},
		{CheckPackage, "process package installed on this robot", CheckProcess, d.pkg},
	}
	passed := map[string]bool{}
	var out []Check
	for _, s := range steps {
		var c Check
		if s.needs != "" && !passed[s.needs] {
			c = Check{Status: CheckSkip, Detail: "skipped: needs \"" + title(out, s.needs) +
				"\""}
		} else {
			c = s.run(ctx)
		}
		c.ID, c.Title = s.id, s.title
		passed[s.id] = c.Status == CheckPass
		out = append(out, c)
	}
	return out
}

// DiagnoseLocal runs only the local checks (no connection): the bridge
// handshake, and the package when a process is named.
func DiagnoseLocal(ctx context.Context, local LocalRobot, process, version string) []Check {
	d := &diagnosis{in: DiagnoseInput{Local: local, Process: process, Version: version}}
	b := d.bridge(ctx)
	b.ID, b.Title = CheckBridge, "local bridge answers the RobotJS handshake"
	p := d.pkg(ctx)
	p.ID, p.Title = CheckPackage, "process package installed on this robot"
	return []Check{b, p}
}

// Failed reports whether any check failed.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == CheckFail {
			return true
		}
	}
	return false
}

func title(done []Check, id string) string {
	for _, c := range done {
		if c.ID == id {
			return c.Title
		}
	}
	return id
}

func pass(detail string) Check { return Check{Status: CheckPass, Detail: detail} }
func skip(detail string) Check { return Check{Status: CheckSkip, Detail: detail} }

// fail makes a failed check from err, with the remedy for its kind
// unless fix says more.
func fail(err error, fix string) Check {
	if fix == "" {
		fix = Remedy(err)
	}
	return Check{Status: CheckFail, Detail: err.Error(), Fix: fix}
}

// diagnosis carries what earlier checks learnt to later ones.
type diagnosis struct {
	in      DiagnoseInput
	client  *Client
	scope   FolderScope
	release *Release
	local   string // why the local checks cannot run ("" : they can)
}
