// Package robot runs automation processes on this computer.
//
// A process is described by a package: a project.json in the shape UiPath
// Studio writes (name, description, projectVersion, main, entryPoints with
// typed input and output arguments) plus a "command" that starts it. The
// robot starts each job as a child process, talks to it over JSON lines on
// stdin and stdout (see docs/processes.md), and keeps the job's lifecycle.
package robot

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SelfExecutable is the placeholder a command may use for the robotbridge
// binary itself; the embedded samples are implemented inside it.
const SelfExecutable = "${robotbridge}"

// Package is one installed version of a process.
type Package struct {
	// Key identifies the process on the wire: URL-safe and stable across
	// restarts, derived from the source and the process name.
	Key         string
	Name        string
	Description string
	Version     string
	Source      string // "sample", "folder", ...
	Dir         string // working directory for jobs; empty means a fresh temp dir
	Command     []string
	Inputs      []Argument
	Outputs     []Argument

	// AcceptsExtraArguments lets a process take input arguments its schema
	// does not declare (the echo sample uses it); others refuse them.
	AcceptsExtraArguments bool
	// Foreground marks attended processes that need the user's desktop
	// (Studio's runtimeOptions.requiresUserInteraction, true by default);
	// only a limited number run at once.
	Foreground bool
	// Timeout ends a job that runs longer (zero: the robot's default).
	Timeout time.Duration
}

// Argument is one typed entry-point argument.
type Argument struct {
	Name       string
	Type       string // .NET type name without assembly, e.g. System.String
	Required   bool
	HasDefault bool
}

// projectFile is the subset of Studio's project.json that robotbridge reads,
// plus robotbridge's own "command" and "acceptsExtraArguments" keys.
type projectFile struct {
	Name           string       `json:"name"`
	Description    string       `json:"description"`
	ProjectVersion string       `json:"projectVersion"`
	Main           string       `json:"main"`
	EntryPoints    []entryPoint `json:"entryPoints"`
	Command        []string     `json:"command"`
	AcceptsExtra   bool         `json:"acceptsExtraArguments"`
	TimeoutSeconds float64      `json:"timeoutSeconds"`
	RuntimeOptions struct {
		RequiresUserInteraction *bool `json:"requiresUserInteraction"`
	} `json:"runtimeOptions"`
}

type entryPoint struct {
	FilePath string         `json:"filePath"`
	Input    []argumentFile `json:"input"`
	Output   []argumentFile `json:"output"`
}

type argumentFile struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Required   bool   `json:"required"`
	HasDefault bool   `json:"hasDefault"`
}

// ParseProject reads a project.json document. source names where the
// package came from; it is part of the process key.
func ParseProject(data []byte, source string) (*Package, error) {
	var pf projectFile
	if err := json.Unmarshal(data, &pf); err != nil {
		return nil, fmt.Errorf("project.json is not valid JSON%s: %w", jsonPosition(data, err), err)
	}

	if strings.TrimSpace(pf.Name) == "" {
		return nil, errors.New(`project.json has no "name"`)
	}
	if pf.ProjectVersion == "" {
		pf.ProjectVersion = "0.0.0"
	}
	if pf.TimeoutSeconds < 0 {
		return nil, fmt.Errorf(`project.json of %q: "timeoutSeconds" must not be negative`, pf.Name)
	}
	if len(pf.Command) == 0 || strings.TrimSpace(pf.Command[0]) == "" {
		return nil, fmt.Errorf(`project.json of %q has no "command" to run the process`, pf.Name)
	}

	pkg := &Package{
		Key:                   ProcessKey(source, pf.Name),
		Name:                  pf.Name,
		Description:           pf.Description,
		Version:               pf.ProjectVersion,
		Source:                source,
		Command:               pf.Command,
		AcceptsExtraArguments: pf.AcceptsExtra,
		Foreground:            true,
		Timeout:               time.Duration(pf.TimeoutSeconds * float64(time.Second)),
	}
	if ui := pf.RuntimeOptions.RequiresUserInteraction; ui != nil {
		pkg.Foreground = *ui
	}
	ep := pickEntryPoint(pf)
	if ep != nil {
		pkg.Inputs = convertArguments(ep.Input)
		pkg.Outputs = convertArguments(ep.Output)
	}
	return pkg, pkg.validateSchema()
}

// LoadPackageDir reads dir/project.json; jobs of the package run in dir.
func LoadPackageDir(dir, source string) (*Package, error) {
	data, err := os.ReadFile(filepath.Join(dir, "project.json"))
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", dir, err)
	}

	pkg, err := ParseProject(data, source)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	pkg.Dir = dir
	return pkg, nil
}

// pickEntryPoint prefers the entry point named by "main", else the first.
func pickEntryPoint(pf projectFile) *entryPoint {
	for i := range pf.EntryPoints {
		if pf.EntryPoints[i].FilePath == pf.Main {
			return &pf.EntryPoints[i]
		}
	}
	if len(pf.EntryPoints) > 0 {
		return &pf.EntryPoints[0]
	}
	return nil
}

func convertArguments(in []argumentFile) []Argument {
	out := make([]Argument, 0, len(in))
	for _, a := range in {
		out = append(out, Argument{
			Name:       a.Name,
			Type:       shortTypeName(a.Type),
			Required:   a.Required,
			HasDefault: a.HasDefault,
		})
	}
	return out
}

func (p *Package) validateSchema() error {
	seen := map[string]bool{}
	for _, a := range p.Inputs {
		if a.Name == "" {
			return fmt.Errorf("process %q declares an input argument without a name", p.Name)
		}
		if seen[a.Name] {
			return fmt.Errorf("process %q declares input argument %q twice", p.Name, a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

// shortTypeName drops the assembly part Studio appends
// ("System.String, System.Private.CoreLib, Version=..." -> "System.String").
func shortTypeName(t string) string {
	t = strings.TrimSpace(t)
	if i := strings.Index(t, ","); i >= 0 && !strings.Contains(t[:i], "[") {
		return strings.TrimSpace(t[:i])
	}
	if t == "" {
		return "System.Object"
	}
	return t
}

// ProcessKey derives a stable, URL-safe key in GUID form from where a
// process comes from and its name, so pages can keep using it across
// restarts and reinstalls.
func ProcessKey(source, name string) string {
	sum := sha256.Sum256([]byte("robotbridge process\x00" + source + "\x00" + name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 style: name-based
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// jsonPosition turns a JSON error's byte offset into " at line L, column C"
// so the author can find the mistake; "" when the error has no offset.
func jsonPosition(data []byte, err error) string {
	var offset int64
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return ""
	}
	line, col := 1, 1
	for _, b := range data[:min(int(offset), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf(" at line %d, column %d", line, col)
}
