package robot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// LocalSource is the package source name of folder and archive packages.
const LocalSource = "local"

// Folder keeps the robot's packages in step with a folder on disk: each
// sub-folder with a project.json and each .zip or .nupkg file is a
// package version. New, changed and removed packages take effect without
// a restart. Broken packages are reported and skipped; the rest work.
type Folder struct {
	Dir      string
	CacheDir string // where archives are unpacked
	Limits   ArchiveLimits
	Robot    *Robot

	mu sync.Mutex
	// guarded by mu:
	known    map[string]folderEntry // by path
	problems map[string]string      // by path
}

type folderEntry struct {
	signature string
	pkg       *Package
}

// PackageProblem is a package that could not be installed, and why.
type PackageProblem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Watch scans now and then every interval until ctx ends.
func (f *Folder) Watch(ctx context.Context, interval time.Duration) {
	f.Scan()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			f.Scan()
		}
	}
}

// Scan brings the robot in line with the folder once.
func (f *Folder) Scan() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.known == nil {
		f.known, f.problems = map[string]folderEntry{}, map[string]string{}
	}

	entries, err := os.ReadDir(f.Dir)
	if err != nil {
		f.problems[f.Dir] = fmt.Sprintf("cannot read the packages folder: %v", err)
		return
	}
	delete(f.problems, f.Dir)

	seen := map[string]bool{}
	var installs []*Package
	for _, e := range entries {
		path := filepath.Join(f.Dir, e.Name())
		sig, ok := signature(path, e)
		if !ok {
			continue
		}
		seen[path] = true
		if old, ok := f.known[path]; ok && old.signature == sig {
			continue
		}
		if pkg := f.load(path, sig); pkg != nil {
			installs = append(installs, pkg)
		}
	}
	f.forgetRemoved(seen)
	if len(installs) > 0 {
		f.Robot.Install(installs...)
	}
}

// load reads one package, replacing what the same path gave before.
func (f *Folder) load(path, sig string) *Package {
	if old, ok := f.known[path]; ok && old.pkg != nil {
		f.Robot.uninstallPackage(old.pkg)
	}
	pkg, err := f.read(path)
	f.known[path] = folderEntry{signature: sig, pkg: pkg}
	if err != nil {
		f.problems[path] = err.Error()
		slog.Warn("robot: skipped a broken package", "path", path, "err", err)
		return nil
	}
	delete(f.problems, path)
	return pkg
}

func (f *Folder) read(path string) (*Package, error) {
	dir := path
	if isArchive(path) {
		unpacked, err := UnpackArchive(path, f.CacheDir, f.Limits)
		if err != nil {
			return nil, err
		}
		dir = unpacked
	}
	return LoadPackageDir(dir, LocalSource)
}

func (f *Folder) forgetRemoved(seen map[string]bool) {
	for path, entry := range f.known {
		if seen[path] {
			continue
		}
		if entry.pkg != nil {
			f.Robot.uninstallPackage(entry.pkg)
		}
		delete(f.known, path)
		delete(f.problems, path)
	}
}

// Problems lists the packages that could not be installed.
func (f *Folder) Problems() []PackageProblem {
	f.mu.Lock()
	defer f.mu.Unlock()
	var list []PackageProblem
	for path, msg := range f.problems {
		list = append(list, PackageProblem{Path: path, Error: msg})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	return list
}

func isArchive(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".zip" || ext == ".nupkg"
}

// signature changes whenever a package's content may have changed: the
// size and time of project.json for a folder, of the file for an archive.
// Entries that are neither are ignored.
func signature(path string, e os.DirEntry) (string, bool) {
	target := path
	if e.IsDir() {
		target = filepath.Join(path, "project.json")
	} else if !isArchive(path) {
		return "", false
	}
	info, err := os.Stat(target)
	if errors.Is(err, os.ErrNotExist) && e.IsDir() {
		return "missing", true // reported as a problem by load
	}
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%d/%d", info.Size(), info.ModTime().UnixNano()), true
}
