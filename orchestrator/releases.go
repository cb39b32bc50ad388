package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Release is a process as the Orchestrator API names it: a package
// pinned to one version and deployed to a folder. Jobs start releases.
type Release struct {
	ID               int64   `json:"Id"`
	Key              string  `json:"Key"`
	Name             string  `json:"Name"`
	ProcessKey       string  `json:"ProcessKey"`
	ProcessVersion   string  `json:"ProcessVersion"`
	IsLatestVersion  bool    `json:"IsLatestVersion"`
	IsProcessDeleted bool    `json:"IsProcessDeleted"`
	Description      string  `json:"Description"`
	Arguments        *argSet `json:"Arguments"`

	// Inputs and Outputs are the parsed argument schema.
	Inputs  []Argument `json:"-"`
	Outputs []Argument `json:"-"`
	// NewerVersion is the newest version of the package in the feed when
	// it is newer than the pinned one (ProcessVersion, which is what runs).
	NewerVersion string `json:"-"`
}

// argSet is the schema as the API sends it: JSON arrays inside strings.
type argSet struct {
	Input  *string `json:"Input"`
	Output *string `json:"Output"`
}

// Argument is one input or output argument of a process.
type Argument struct {
	Name string `json:"name"`
	// Type is the .NET type name without assembly details, e.g.
	// "System.Int32" or "System.String[]".
	Type       string `json:"type"`
	Required   bool   `json:"required"`
	HasDefault bool   `json:"hasDefault"`
}

const releaseFields = "Id,Key,Name,ProcessKey,ProcessVersion,IsLatestVersion," +
	"IsProcessDeleted,Description,Arguments"

// Releases lists the processes of a folder with their schemas.
func (c *Client) Releases(ctx context.Context, f FolderScope) ([]Release, error) {
	return c.releases(ctx, f, "", joinOp("list processes in folder", f.String()))
}

// ReleaseByName finds the process called name (a release Name, or else a
// package id) in the folder.
func (c *Client) ReleaseByName(ctx context.Context, f FolderScope, name string) (Release,
	error) {
	op := joinOp("find process", fmt.Sprintf("%q", name), "in folder", f.String())
	list, err := c.releases(ctx, f, eq("Name", name), op)
	if err == nil && len(list) == 0 {
		list, err = c.releases(ctx, f, eq("ProcessKey", name), op)
	}
	if err != nil {
		return Release{}, err
	}
	if len(list) == 0 {
		return Release{}, fmt.Errorf("%s: %w: no such process (deleted, renamed, or in "+
			"another folder)", op, ErrNotFound)
	}
	return list[0], nil
}

// ReleaseByKey finds the process with that release key in the folder.
func (c *Client) ReleaseByKey(ctx context.Context, f FolderScope, key string) (Release, error) {
	op := joinOp("find process key", key, "in folder", f.String())
	list, err := c.releases(ctx, f, eq("Key", key), op)
	if err != nil {
		return Release{}, err
	}
	if len(list) == 0 {
		return Release{}, fmt.Errorf("%s: %w: the process was deleted or moved", op,
			ErrNotFound)
	}
	return list[0], nil
}

func (c *Client) releases(ctx context.Context, f FolderScope, filter, op string) ([]Release,
	error) {
	q := query{}
	if filter != "" {
		q = q.add("$filter", filter)
	}
	q = q.add("$select", releaseFields)
	list, err := listAll[Release](ctx, c, call{op: op, method: "GET",
		path: "/odata/Releases", query: q, folder: &f})
	if err != nil {
		return nil, err
	}
	for i := range list {
		if err := list[i].parseSchema(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return list, nil
}

func (r *Release) parseSchema() error {
	if r.Arguments == nil {
		return nil
	}
	var err error
	if r.Inputs, err = parseArguments(r.Arguments.Input); err != nil {
		return fmt.Errorf("process %s: input arguments: %w: %v", r.Name, ErrMalformed, err)
	}
	if r.Outputs, err = parseArguments(r.Arguments.Output); err != nil {
		return fmt.Errorf("process %s: output arguments: %w: %v", r.Name, ErrMalformed, err)
	}
	return nil
}

func parseArguments(s *string) ([]Argument, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil, nil
	}
	var args []Argument
	if err := json.Unmarshal([]byte(*s), &args); err != nil {
		return nil, err
	}
	for i := range args {
		args[i].Type = shortType(args[i].Type)
	}
	return args, nil
}

// shortType drops the assembly part of a .NET type name:
// "System.Int32, mscorlib, Version=4.0.0.0, ..." becomes "System.Int32".
// Generic types keep their brackets.
func shortType(t string) string {
	if strings.Contains(t, "[[") {
		return t
	}
	name, _, _ := strings.Cut(t, ",")
	return strings.TrimSpace(name)
}

// PackageVersion is one version of a package in the feed.
type PackageVersion struct {
	ID              string `json:"Id"`
	Key             string `json:"Key"`
	Version         string `json:"Version"`
	IsLatestVersion bool   `json:"IsLatestVersion"`
}

// PackageVersions lists the versions of a package in the tenant feed.
func (c *Client) PackageVersions(ctx context.Context, processKey string) ([]PackageVersion,
	error) {
	path := "/odata/Processes/UiPath.Server.Configuration.OData.GetProcessVersions" +
		pathKey("processId", processKey)
	return listAll[PackageVersion](ctx, c, call{op: joinOp("list versions of package",
		processKey), method: "GET", path: path})
}

// MarkNewerVersions sets NewerVersion on each release whose package has
// a newer version in the feed than the pinned one. It asks the feed only
// for releases the server marks as not the latest version. The pinned
// version is still what runs: publishing a package does not update a
// process.
func (c *Client) MarkNewerVersions(ctx context.Context, list []Release) error {
	for i := range list {
		r := &list[i]
		if r.IsLatestVersion || r.IsProcessDeleted {
			continue
		}
		versions, err := c.PackageVersions(ctx, r.ProcessKey)
		if err != nil {
			return err
		}
		if newest := newestVersion(versions); CompareVersions(newest, r.ProcessVersion) > 0 {
			r.NewerVersion = newest
		}
	}
	return nil
}

func newestVersion(list []PackageVersion) string {
	vs := make([]string, 0, len(list))
	for _, v := range list {
		vs = append(vs, v.Version)
	}
	sort.Slice(vs, func(i, j int) bool { return CompareVersions(vs[i], vs[j]) < 0 })
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// CompareVersions compares dotted versions part by part, numerically
// where both parts are numbers ("1.0.10" > "1.0.9").
func CompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		x, y := part(pa, i), part(pb, i)
		nx, ex := strconv.ParseInt(x, 10, 64)
		ny, ey := strconv.ParseInt(y, 10, 64)
		switch {
		case ex == nil && ey == nil && nx != ny:
			if nx < ny {
				return -1
			}
			return 1
		case (ex != nil || ey != nil) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

func part(parts []string, i int) string {
	if i < len(parts) {
		return parts[i]
	}
	return "0"
}
