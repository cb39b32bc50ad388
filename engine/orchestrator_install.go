package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"robotbridge/control"
	"robotbridge/orchestrator"
	"robotbridge/robot"
)

// Installing from the Orchestrator's feed: the release's pinned package
// version is downloaded into the packages folder, where the folder
// watcher installs it like any other package. Pages then run it through
// the bridge as a local process (InstallProcess for Orchestrator processes).

// InstallRequest names a process (release) of an Orchestrator folder.
type InstallRequest struct {
	Connection string `json:"connection"`
	Folder     string `json:"folder,omitempty"`
	Process    string `json:"process"` // release name or package id
}

// InstallAnswer says what was installed.
type InstallAnswer struct {
	File    string `json:"file"`    // the downloaded package
	Key     string `json:"key"`     // the local process key pages use
	Name    string `json:"name"`    // from its project.json
	Version string `json:"version"` // the release's pinned version
}

// errCannotRun means the package downloaded but robotbridge cannot run it.
var errCannotRun = errors.New("the package was downloaded but cannot run on this robot")

func (e *Engine) orchInstall(w http.ResponseWriter, r *http.Request) {
	var req InstallRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Connection == "" ||
		req.Process == "" {
		control.WriteError(w, http.StatusBadRequest, errors.New(`send {"connection": "prod", `+
			`"process": "InvoiceBot", "folder": "Finance/AP"}`))
		return
	}
	answer, err := e.installFromFeed(r.Context(), req)
	switch {
	case errors.Is(err, errCannotRun):
		control.WriteError(w, http.StatusUnprocessableEntity, err)
	case err != nil:
		writeOrchError(w, err)
	default:
		control.WriteJSON(w, http.StatusOK, answer)
	}
}

// installFromFeed downloads the release's pinned version and installs it.
func (e *Engine) installFromFeed(ctx context.Context, req InstallRequest) (InstallAnswer, error) {
	c, err := e.orch.connection(req.Connection)
	if err != nil {
		return InstallAnswer{}, err
	}
	rel, err := findRelease(ctx, c, req)
	if err != nil {
		return InstallAnswer{}, err
	}

	file := filepath.Join(e.folder.Dir, safeFileName(rel.ProcessKey)+"."+
		safeFileName(rel.ProcessVersion)+".nupkg")
	if err := download(ctx, c.client, rel, file); err != nil {
		return InstallAnswer{}, err
	}
	e.folder.Scan()
	for _, p := range e.folder.Problems() {
		if p.Path == file {
			return InstallAnswer{File: file}, fmt.Errorf("%w: %s (robotbridge runs packages "+
				"whose project.json names a command, see docs/processes.md)", errCannotRun, p.Error)
		}
	}
	dir, err := robot.UnpackArchive(file, e.folder.CacheDir, e.folder.Limits)
	if err != nil {
		return InstallAnswer{File: file}, fmt.Errorf("%w: %v", errCannotRun, err)
	}
	pkg, err := robot.LoadPackageDir(dir, robot.LocalSource)
	if err != nil {
		return InstallAnswer{File: file}, fmt.Errorf("%w: %v", errCannotRun, err)
	}
	return InstallAnswer{File: file, Key: pkg.Key, Name: pkg.Name, Version: rel.ProcessVersion}, nil
}

func findRelease(ctx context.Context, c *orchConn, req InstallRequest) (orchestrator.Release,
	error) {
	folder, err := folderOf(c, req.Folder)
	if err != nil {
		return orchestrator.Release{}, err
	}
	scope, err := c.client.ResolveFolder(ctx, folder)
	if err != nil {
		return orchestrator.Release{}, err
	}
	rels, err := c.client.Releases(ctx, scope)
	if err != nil {
		return orchestrator.Release{}, err
	}
	for _, rel := range rels {
		if rel.Name == req.Process || rel.ProcessKey == req.Process {
			return rel, nil
		}
	}
	return orchestrator.Release{}, fmt.Errorf("no process %q in folder %s: %w", req.Process,
		scope.Path, orchestrator.ErrNotFound)
}

// download writes the package next to its final name and renames it into
// place, so the folder watcher never sees half a file.
func download(ctx context.Context, client *orchestrator.Client, rel orchestrator.Release,
	file string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := client.DownloadPackage(ctx, rel.ProcessKey, rel.ProcessVersion, "", tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// safeFileName keeps a package id or version from naming another folder.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, strings.TrimLeft(s, "."))
}
