package orchestratortest

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxExpressions and maxTop are the documented OData limits (§2.4).
const (
	maxExpressions = 100
	maxTop         = 1000
)

// applyQuery filters, orders, pages and projects rows per $filter,
// $orderby (one property), $skip, $top and $select. It returns the rows
// and the count before paging; on a bad query it answers 400 itself.
func applyQuery(w http.ResponseWriter, r *http.Request, rows []map[string]any) (
	[]map[string]any, int, bool) {
	q := r.URL.Query()
	if fs := q.Get("$filter"); fs != "" {
		f, n, err := parseFilter(fs)
		if err != nil {
			writeStandard(w, 400, "The query specified in the URI is not valid. "+err.Error(), 0)
			return nil, 0, false
		}
		if n > maxExpressions {
			writeStandard(w, 400, "The query specified in the URI is not valid. The "+
				"filter has "+strconv.Itoa(n)+" expressions; the limit is 100.", 1009)
			return nil, 0, false
		}
		var kept []map[string]any
		for _, row := range rows {
			if f.match(row) {
				kept = append(kept, row)
			}
		}
		rows = kept
	}
	if ob := strings.Fields(q.Get("$orderby")); len(ob) > 0 {
		sort.SliceStable(rows, func(i, j int) bool {
			d := compare(rows[i][ob[0]], toLiteral(rows[j][ob[0]]))
			if len(ob) > 1 && strings.EqualFold(ob[1], "desc") {
				return d > 0
			}
			return d < 0
		})
	}
	total := len(rows)
	skip, _ := strconv.Atoi(q.Get("$skip"))
	top := maxTop
	if t := q.Get("$top"); t != "" {
		top, _ = strconv.Atoi(t)
		if top > maxTop || top < 0 {
			writeStandard(w, 400, "The limit of 1000 for Top query has been exceeded.", 1009)
			return nil, 0, false
		}
	}
	rows = rows[min(skip, len(rows)):]
	rows = rows[:min(top, len(rows))]
	return project(rows, q.Get("$select")), total, true
}

func toLiteral(v any) any {
	if f, ok := toFloat(v); ok {
		return f
	}
	return v
}

func project(rows []map[string]any, sel string) []map[string]any {
	if sel == "" {
		return rows
	}
	fields := strings.Split(sel, ",")
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		p := map[string]any{}
		for _, f := range fields {
			if v, ok := row[strings.TrimSpace(f)]; ok {
				p[strings.TrimSpace(f)] = v
			}
		}
		out[i] = p
	}
	return out
}

// folderLocked finds the folder a folder-scoped call names by one of the
// four headers (§2.1), and answers 400/1101 or 400/1100 itself.
func (s *Server) folderLocked(w http.ResponseWriter, r *http.Request, ss *session) *folder {
	h := r.Header
	var f *folder
	switch {
	case h.Get("X-UIPATH-OrganizationUnitId") != "":
		id, _ := strconv.ParseInt(h.Get("X-UIPATH-OrganizationUnitId"), 10, 64)
		f = s.folderByIDLocked(id)
	case h.Get("X-UIPATH-FolderKey") != "":
		for _, x := range s.folders {
			if strings.EqualFold(x.key, h.Get("X-UIPATH-FolderKey")) {
				f = x
			}
		}
	case h.Get("X-UIPATH-FolderPath-Encoded") != "":
		f = s.folderByPathLocked(decodePath(h.Get("X-UIPATH-FolderPath-Encoded")))
	case h.Get("X-UIPATH-FolderPath") != "":
		f = s.folderByPathLocked(h.Get("X-UIPATH-FolderPath"))
	default:
		writeStandard(w, 400, "An organization unit is required for this action.", 1101)
		return nil
	}
	if f == nil || !s.canUseLocked(ss, f) {
		writeStandard(w, 400, "Folder does not exist or the user does not have access "+
			"to the folder.", 1100)
		return nil
	}
	return f
}

func decodePath(v string) string {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b)%2 != 0 {
		return ""
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(units))
}

// scopedLocked runs the checks of a folder-scoped call in Orchestrator's
// order: a valid bearer token, a known folder, then the permission (or its
// modern scope). It answers the failure itself and reports false then.
func (s *Server) scopedLocked(w http.ResponseWriter, r *http.Request,
	perm, scope string) (*folder, bool) {
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return nil, false
	}
	f := s.folderLocked(w, r, ss)
	if f == nil {
		return nil, false
	}
	if !ss.may(perm, scope) {
		notAuthorized(w)
		return nil, false
	}
	return f, true
}
