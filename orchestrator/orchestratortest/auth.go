package orchestratortest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// authenticate is POST /api/Account/Authenticate (spec §3.1).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TenancyName            string
		UsernameOrEmailAddress string
		Password               string
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeShape(w, 400, ShapeProblem, "The input was not valid.", 0, "")
		return
	}
	if body.UsernameOrEmailAddress == "" {
		writeABP(w, 400, "Username cannot be empty.", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[strings.ToLower(body.UsernameOrEmailAddress)]
	if u == nil || u.Disabled || u.Password != body.Password ||
		(body.TenancyName != "" && !strings.EqualFold(body.TenancyName, u.Tenant)) {
		writeStandard(w, 400, "Invalid credentials, failed to login.", 1000)
		return
	}
	tok := newToken()
	s.tokens[tok] = &session{user: u, expires: s.now.Add(s.opts.UserTokenTTL)}
	writeJSON(w, 200, map[string]any{"result": tok, "targetUrl": nil, "success": true,
		"error": nil, "unAuthorizedRequest": false, "__abp": true})
}

// token is POST {identity}/connect/token with client credentials (§3.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeShape(w, 400, ShapeOAuth, "", 0, "invalid_request")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		writeShape(w, 400, ShapeOAuth, "", 0, "unsupported_grant_type")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.apps[f.Get("client_id")]
	if app == nil || app.Secret != f.Get("client_secret") {
		writeShape(w, 400, ShapeOAuth, "", 0, "invalid_client")
		return
	}
	asked := strings.Fields(f.Get("scope"))
	for _, sc := range asked {
		if !contains(app.Scopes, sc) {
			writeShape(w, 400, ShapeOAuth, "", 0, "invalid_scope")
			return
		}
	}
	tok := newToken()
	s.tokens[tok] = &session{app: app, scopes: asked,
		expires: s.now.Add(s.opts.AppTokenTTL)}
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(s.opts.AppTokenTTL.Seconds()), "scope": strings.Join(asked, " ")})
}

func (s *Server) openidConfig(w http.ResponseWriter, r *http.Request) {
	base := "https://" + r.Host + s.idPath
	writeJSON(w, 200, map[string]any{"issuer": base,
		"token_endpoint": base + "/connect/token"})
}

// bearer finds the caller's session; it answers 401 itself when there is
// none. Call with s.mu held.
func (s *Server) bearerLocked(w http.ResponseWriter, r *http.Request) *session {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		notAuthenticated(w)
		return nil
	}
	if p, ok := s.pats[tok]; ok {
		u := s.users[strings.ToLower(p.User)]
		if u != nil && !u.Disabled {
			return &session{user: u, scopes: p.Scopes}
		}
	}
	ss, ok := s.tokens[tok]
	if !ok || !s.now.Before(ss.expires) || (ss.user != nil && ss.user.Disabled) {
		notAuthenticated(w)
		return nil
	}
	return ss
}

// may reports whether the session has a permission (users) and the
// matching scope (apps and personal access tokens); perm "" needs none. scope is like
// "OR.Jobs.Write"; the bare "OR.Jobs" grants both Read and Write.
func (ss *session) may(perm, scope string) bool {
	if ss.user != nil && perm != "" && !contains(ss.user.Permissions, perm) {
		return false
	}
	if ss.app == nil && ss.scopes == nil {
		return true // a user sign-in: roles only
	}
	base := scope[:strings.LastIndex(scope, ".")]
	return contains(ss.scopes, scope) || contains(ss.scopes, base)
}

// canUse reports whether the session may use a folder: one it is
// assigned to, or below one.
func (s *Server) canUseLocked(ss *session, f *folder) bool {
	var assigned []string
	switch {
	case ss.app != nil:
		assigned = ss.app.Folders
	case ss.user.Folders == nil:
		return true
	default:
		assigned = ss.user.Folders
	}
	for _, p := range assigned {
		if strings.EqualFold(f.path, p) || strings.HasPrefix(strings.ToLower(f.path),
			strings.ToLower(p)+"/") {
			return true
		}
	}
	return false
}
