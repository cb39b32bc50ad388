package orchestratortest

import (
	"net/http"
	"regexp"
	"strings"
)

// route is one endpoint. Route names, for Fail, Count and LastRequest:
// authenticate, token, openid, status, health, currentUser, permissions,
// folders, foldersForUser, foldersNav, releases, release, processVersions,
// download, startJobs, jobs, job, stopJobs, stopJob.
type route struct {
	method, name string
	path         *regexp.Regexp
	identity     bool // under the identity server path, not the API
	h            func(s *Server, w http.ResponseWriter, r *http.Request, args []string)
}

const odataNS = `UiPath\.Server\.Configuration\.OData\.`

func rt(method, name, path string, h func(*Server, http.ResponseWriter, *http.Request,
	[]string)) route {
	return route{method: method, name: name, path: regexp.MustCompile("^" + path + "$"), h: h}
}

var routes = append([]route{
	rt("POST", "authenticate", `/api/Account/Authenticate`, plain((*Server).authenticate)),
	rt("GET", "status", `/api/Status/Get`, plain((*Server).ok)),
	rt("GET", "health", `/api/health`, plain((*Server).ok)),
	rt("GET", "currentUser", `/odata/Users/`+odataNS+`GetCurrentUser(\(\))?`,
		plain((*Server).currentUser)),
	rt("GET", "permissions", `/odata/Users/`+odataNS+`GetCurrentPermissions(\(\))?`,
		plain((*Server).permissions)),
	rt("GET", "folders", `/odata/Folders`, plain((*Server).listFolders)),
	rt("GET", "foldersForUser", `/api/Folders/GetAllForCurrentUser`,
		plain((*Server).foldersForUser)),
	rt("GET", "foldersNav", `/api/FoldersNavigation/GetAllFoldersForCurrentUser`,
		plain((*Server).foldersNav)),
	rt("GET", "releases", `/odata/Releases`, (*Server).listReleases),
	rt("GET", "release", `/odata/Releases\((\d+)\)`, (*Server).listReleases),
	rt("GET", "processVersions", `/odata/Processes/`+odataNS+
		`GetProcessVersions\(processId='(.*)'\)`, (*Server).processVersions),
	rt("GET", "download", `/odata/Processes/`+odataNS+`DownloadPackage\(key='(.*)'\)`,
		(*Server).download),
	rt("POST", "startJobs", `/odata/Jobs/`+odataNS+`StartJobs`, plain((*Server).startJobs)),
	rt("GET", "jobs", `/odata/Jobs`, (*Server).listJobs),
	rt("GET", "job", `/odata/Jobs\((\d+)\)`, (*Server).listJobs),
	rt("POST", "stopJobs", `/odata/Jobs/`+odataNS+`StopJobs`, (*Server).stopJobs),
	rt("POST", "stopJob", `/odata/Jobs\((\d+)\)/`+odataNS+`StopJob`, (*Server).stopJobs),
	idRoute(rt("POST", "token", `/connect/token`, plain((*Server).token))),
	idRoute(rt("GET", "openid", `/\.well-known/openid-configuration`,
		plain((*Server).openidConfig))),
}, webhookRoutes...)

func idRoute(r route) route { r.identity = true; return r }

func plain(h func(*Server, http.ResponseWriter, *http.Request)) func(*Server,
	http.ResponseWriter, *http.Request, []string) {
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ []string) { h(s, w, r) }
}

// serve routes a request: query limit, route, count, fault, handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > s.opts.MaxQuery {
		// IIS answers an over-long query with its 404.15 page.
		writeShape(w, http.StatusNotFound, ShapeHTML, "", 0, "")
		s.record("queryTooLong", r)
		return
	}
	rt, args, methodOK := s.match(r)
	if rt == nil {
		writeShape(w, http.StatusNotFound, ShapeHTML, "", 0, "")
		return
	}
	s.record(rt.name, r)
	if !methodOK {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": map[string]any{
			"code": "UnsupportedApiVersion", "message": "The requested resource does not " +
				"support http method '" + r.Method + "'."}})
		return
	}
	if f := s.takeFault(rt.name); f != nil {
		s.applyFault(w, r, f)
		return
	}
	rt.h(s, w, r, args)
	s.mu.Lock()
	s.emitWebhooksLocked() // job changes the call made, or revealed
	s.mu.Unlock()
}

func (s *Server) match(r *http.Request) (*route, []string, bool) {
	var found *route
	var args []string
	for i := range routes {
		x := &routes[i]
		prefix := s.prefix
		if x.identity {
			prefix = s.idPath
		}
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok {
			continue
		}
		if m := x.path.FindStringSubmatch(rest); m != nil {
			if x.method == r.Method {
				return x, m[1:], true
			}
			found, args = x, m[1:]
		}
	}
	return found, args, false
}

func (s *Server) record(name string, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
	s.lastReq[name] = r.Clone(r.Context())
}

func (s *Server) ok(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }
