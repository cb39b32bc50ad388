package orchestratortest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

func (r *release) row() map[string]any {
	latest := true
	return map[string]any{"Id": r.id, "Key": r.Key, "Name": r.Name,
		"ProcessKey": r.ProcessKey, "ProcessVersion": r.ProcessVersion,
		"IsLatestVersion": latest, "IsProcessDeleted": r.deleted, "Description": nil,
		"Arguments": map[string]any{"Input": nilIfEmpty(r.Input),
			"Output": nilIfEmpty(r.Output)},
		"InputArguments": nil, "OrganizationUnitId": r.folderID, "ProcessType": "Process"}
}

// listReleases is GET /odata/Releases and /odata/Releases(id).
func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.scopedLocked(w, r, "Processes.View", "OR.Execution.Read")
	if !ok {
		return
	}
	var rows []map[string]any
	for _, rel := range s.releases {
		if rel.folderID == f.id {
			row := rel.row()
			row["IsLatestVersion"] = s.isLatestLocked(rel)
			if len(args) == 0 || args[0] == strconv.FormatInt(rel.id, 10) {
				rows = append(rows, row)
			}
		}
	}
	if len(args) > 0 {
		if len(rows) == 0 {
			writeStandard(w, 404, "Release does not exist.", 1002)
			return
		}
		writeJSON(w, 200, rows[0])
		return
	}
	rows, total, ok := applyQuery(w, r, rows)
	if ok {
		s.collection(w, r, "Releases", rows, total)
	}
}

func (s *Server) isLatestLocked(r *release) bool {
	for _, v := range s.packages[r.ProcessKey] {
		if versionLess(r.ProcessVersion, v) {
			return false
		}
	}
	return true
}

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func (s *Server) processVersions(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return
	}
	if !ss.may("Packages.View", "OR.Execution.Read") {
		notAuthorized(w)
		return
	}
	id := strings.ReplaceAll(args[0], "''", "'")
	var rows []map[string]any
	versions := s.packages[id]
	for _, v := range versions {
		latest := true
		for _, o := range versions {
			if versionLess(v, o) {
				latest = false
			}
		}
		rows = append(rows, map[string]any{"Id": id, "Key": id + ":" + v, "Version": v,
			"IsLatestVersion": latest, "IsActive": true, "Title": nil})
	}
	rows, total, ok := applyQuery(w, r, rows)
	if ok {
		s.collection(w, r, "Processes", rows, total)
	}
}

// download is DownloadPackage(key='id:version'): a small .nupkg.
func (s *Server) download(w http.ResponseWriter, r *http.Request, args []string) {
	s.mu.Lock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		s.mu.Unlock()
		return
	}
	id, version, _ := strings.Cut(strings.ReplaceAll(args[0], "''", "'"), ":")
	found := contains(s.packages[id], version)
	allowed := ss.may("Packages.View", "OR.Execution.Read")
	s.mu.Unlock()
	switch {
	case !allowed:
		notAuthorized(w)
	case !found:
		writeStandard(w, 404, "Package not found.", 1002)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment; filename="+id+"."+version+".nupkg")
		s.mu.Lock()
		command := s.commands[id]
		s.mu.Unlock()
		_, _ = w.Write(NupkgWithCommand(id, version, command))
	}
}

// Nupkg builds a minimal package: a nuspec and a project.json.
func Nupkg(id, version string) []byte { return NupkgWithCommand(id, version, nil) }

// NupkgWithCommand builds a package whose project.json names the command
// robotbridge runs it with (none: a Studio package robotbridge cannot run).
func NupkgWithCommand(id, version string, command []string) []byte {
	cmd := ""
	if len(command) > 0 {
		b, _ := json.Marshal(command)
		cmd = `,"command":` + string(b)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	files := map[string]string{
		id + ".nuspec": `<?xml version="1.0"?><package><metadata><id>` + id +
			`</id><version>` + version + `</version></metadata></package>`,
		"lib/net45/project.json": `{"name":"` + id + `","projectVersion":"` + version +
			`","main":"Main.xaml"` + cmd + `}`,
	}
	for name, content := range files {
		// Stored, not deflated: tests can look for the version in the bytes.
		fw, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		_, _ = fw.Write([]byte(content))
	}
	_ = zw.Close()
	return b.Bytes()
}
