package orchestratortest

import (
	"net/http"
	"strconv"
)

func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return
	}
	if ss.user == nil {
		w.WriteHeader(http.StatusNoContent) // an app token has no user
		return
	}
	writeJSON(w, 200, map[string]any{"@odata.context": s.URL + "/odata/$metadata#Users/$entity",
		"Id": ss.user.id, "UserName": ss.user.Name, "TenancyName": ss.user.Tenant,
		"TenantId": 1, "Key": newKey()})
}

func (s *Server) permissions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return
	}
	if ss.user == nil {
		notAuthorized(w)
		return
	}
	writeJSON(w, 200, map[string]any{"UserId": ss.user.id, "Permissions": ss.user.Permissions})
}

func (f *folder) row() map[string]any {
	row := map[string]any{"Id": f.id, "Key": f.key, "DisplayName": f.name,
		"FullyQualifiedName": f.path, "Description": nil, "FolderType": "Standard",
		"IsPersonal": false, "ProvisionType": "Automatic", "PermissionModel": "FineGrained",
		"ParentId": nil, "FeedType": "Processes"}
	if f.parentID != 0 {
		row["ParentId"] = f.parentID
	}
	return row
}

// visibleLocked is the folders a session may use.
func (s *Server) visibleLocked(ss *session) []map[string]any {
	var rows []map[string]any
	for _, f := range s.folders {
		if s.canUseLocked(ss, f) {
			rows = append(rows, f.row())
		}
	}
	return rows
}

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return
	}
	if !ss.may("Units.View", "OR.Folders.Read") && !ss.may("SubFolders.View", "OR.Folders.Read") {
		notAuthorized(w)
		return
	}
	rows := s.visibleLocked(ss)
	if ss.user != nil && contains(ss.user.Permissions, "Units.View") {
		rows = nil
		for _, f := range s.folders {
			rows = append(rows, f.row())
		}
	}
	rows, total, ok := applyQuery(w, r, rows)
	if ok {
		s.collection(w, r, "Folders", rows, total)
	}
}

func (s *Server) foldersForUser(w http.ResponseWriter, r *http.Request) {
	if s.opts.Legacy1910 {
		writeShape(w, http.StatusNotFound, ShapeHTML, "", 0, "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return
	}
	if !ss.may("", "OR.Folders.Read") {
		notAuthorized(w)
		return
	}
	take, _ := strconv.Atoi(r.URL.Query().Get("take"))
	skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
	if take < 0 || take > 100 {
		writeStandard(w, 400, "The field take must be between 0 and 100.", 1009)
		return
	}
	rows := s.visibleLocked(ss)
	page := rows[min(skip, len(rows)):]
	page = page[:min(take, len(page))]
	writeJSON(w, 200, map[string]any{"PageItems": page, "Count": len(rows)})
}

func (s *Server) foldersNav(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.bearerLocked(w, r)
	if ss == nil {
		return
	}
	if ss.app != nil {
		notAuthorized(w) // OAuth app tokens are not supported here
		return
	}
	rows := s.visibleLocked(ss)
	for _, row := range rows {
		row["IsSelectable"], row["HasChildren"], row["Level"] = true, false, 0
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	writeJSON(w, 200, rows)
}
