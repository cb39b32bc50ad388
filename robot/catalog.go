package robot

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"robotbridge/config"
	"robotbridge/feed"
)

// process is every installed version of one process and the version that
// runs. The active version is pinned: installing a newer version never
// changes what runs (field report 14); the user switches with Use.
type process struct {
	versions map[string]*Package
	active   string
}

// ProcessInfo describes a process for lists.
type ProcessInfo struct {
	Active   *Package // nil when the pinned version is not installed
	Pinned   string
	Versions []string // installed, newest first
	Newer    string   // the newest installed version above the pinned one
}

// Install adds packages (a new version, or a changed one replacing the
// same version). A process seen for the first time is pinned to the
// newest version among them.
func (r *Robot) Install(pkgs ...*Package) {
	r.mu.Lock()
	changed := false
	for _, pkg := range pkgs {
		p := r.packages[pkg.Key]
		if p == nil {
			p = &process{versions: map[string]*Package{}}
			r.packages[pkg.Key] = p
		}
		p.versions[pkg.Version] = pkg
	}
	for _, pkg := range pkgs {
		p := r.packages[pkg.Key]
		if p.active == "" {
			p.active = r.pins[pkg.Key]
		}
		if p.versions[p.active] == nil {
			// First seen, or its pinned version is gone for good (a folder
			// package whose projectVersion was edited): pin the newest.
			changed = r.repinLocked(pkg.Key, p) || changed
		}
	}
	r.mu.Unlock()

	if changed {
		r.savePins()
	}
	r.processesChanged()
}

// Uninstall removes one version; a process pinned to it then has no
// runnable version until another is chosen or it comes back.
func (r *Robot) Uninstall(key, version string) {
	r.mu.Lock()
	changed := false
	if p := r.packages[key]; p != nil {
		delete(p.versions, version)
		switch {
		case len(p.versions) == 0:
			delete(r.packages, key)
		case p.active == version:
			changed = r.repinLocked(key, p)
		}
	}
	r.mu.Unlock()
	if changed {
		r.savePins()
	}
	r.processesChanged()
}

// repinLocked pins a process to its newest installed version; it reports
// whether the pin changed. r.mu must be held.
func (r *Robot) repinLocked(key string, p *process) bool {
	newest := newestVersion(p.versions)
	old := p.active
	p.active = newest
	if r.pins[key] == newest {
		return false
	}
	if old != "" {
		slog.Info("robot: pinned version gone, now running the newest installed",
			"process", p.versions[newest].Name, "was", old, "now", newest)
	}
	r.pins[key] = newest
	return true
}

// uninstallPackage removes a version only if it is still this very
// package (another source may have replaced it meanwhile).
func (r *Robot) uninstallPackage(pkg *Package) {
	r.mu.Lock()
	p := r.packages[pkg.Key]
	same := p != nil && p.versions[pkg.Version] == pkg
	r.mu.Unlock()
	if same {
		r.Uninstall(pkg.Key, pkg.Version)
	}
}

// Use pins a process to an installed version.
func (r *Robot) Use(key, version string) error {
	r.mu.Lock()
	p := r.packages[key]
	if p == nil {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownProcess, key)
	}
	if _, ok := p.versions[version]; !ok {
		r.mu.Unlock()
		return fmt.Errorf("version %q of this process is not installed (installed: %s)",
			version, strings.Join(sortedVersions(p.versions), ", "))
	}
	p.active = version
	r.pins[key] = version
	r.mu.Unlock()

	r.processesChanged()
	return r.savePins()
}

// Processes lists the runnable (active) package of each process by name.
// It is on the bridge's hot path, so it skips Catalog's version sorting.
func (r *Robot) Processes() []*Package {
	r.mu.Lock()
	list := make([]*Package, 0, len(r.packages))
	for _, p := range r.packages {
		if pkg := p.versions[p.active]; pkg != nil {
			list = append(list, pkg)
		}
	}
	r.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// Catalog describes every process, runnable or not, by name.
func (r *Robot) Catalog() []ProcessInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []ProcessInfo
	for _, p := range r.packages {
		versions := sortedVersions(p.versions)
		info := ProcessInfo{Active: p.versions[p.active], Pinned: p.active, Versions: versions}
		if len(versions) > 0 && compareVersions(versions[0], p.active) > 0 {
			info.Newer = versions[0]
		}
		list = append(list, info)
	}
	sort.Slice(list, func(i, j int) bool { return anyName(list[i]) < anyName(list[j]) })
	return list
}

func anyName(info ProcessInfo) string {
	if info.Active != nil {
		return info.Active.Name
	}
	return info.Pinned
}

// KeyByName finds a process's key by its name, in any installed version.
func (r *Robot) KeyByName(name string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, p := range r.packages {
		for _, pkg := range p.versions {
			if pkg.Name == name {
				return key, true
			}
		}
	}
	return "", false
}

// Process returns the active package of a process.
func (r *Robot) Process(key string) (*Package, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.packages[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownProcess, key)
	}
	pkg, ok := p.versions[p.active]
	if !ok {
		return nil, fmt.Errorf("%w: %s is pinned to version %s, which is no longer "+
			"installed; install it again or choose another version", ErrUnknownProcess,
			key, p.active)
	}
	return pkg, nil
}

func (r *Robot) processesChanged() {
	if r.opts.Feed != nil {
		r.opts.Feed.Publish(feed.Event{Type: feed.ProcessesChanged})
	}
}

// pinsFile keeps the pinned version of each process key.
type pinsFile struct {
	Version int               `json:"version"`
	Pins    map[string]string `json:"pins"`
}

func (r *Robot) pinsPath() string {
	if r.opts.StateDir == "" {
		return ""
	}
	return filepath.Join(r.opts.StateDir, "pins.json")
}

func (r *Robot) loadPins() error {
	r.pins = map[string]string{}
	path := r.pinsPath()
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("robot: read %s: %w", path, err)
	}
	var f pinsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("robot: %s is not valid (%v); fix or remove it (processes "+
			"will then run their newest installed version)", path, err)
	}
	for k, v := range f.Pins {
		r.pins[k] = v
	}
	return nil
}

func (r *Robot) savePins() error {
	path := r.pinsPath()
	if path == "" {
		return nil
	}
	r.mu.Lock()
	f := pinsFile{Version: 1, Pins: map[string]string{}}
	for k, v := range r.pins {
		f.Pins[k] = v
	}
	r.mu.Unlock()

	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return config.WriteFileAtomic(path, append(data, '\n'))
}

func newestVersion(versions map[string]*Package) string {
	return sortedVersions(versions)[0]
}

func sortedVersions(versions map[string]*Package) []string {
	list := make([]string, 0, len(versions))
	for v := range versions {
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool { return compareVersions(list[i], list[j]) > 0 })
	return list
}

// compareVersions orders dotted versions numerically where the parts are
// numbers ("1.0.10" > "1.0.9") and as text otherwise.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, errx := strconv.Atoi(x)
		ny, erry := strconv.Atoi(y)
		switch {
		case errx == nil && erry == nil && nx != ny:
			return sign(nx - ny)
		case (errx != nil || erry != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n > 0:
		return 1
	case n < 0:
		return -1
	}
	return 0
}
