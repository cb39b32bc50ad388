package bridge

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"robotbridge/consent"
)

// Authorizer decides which callers the bridge serves. consent.Gate is the
// real one; the interactive consent flow plugs in here.
type Authorizer interface {
	Check(consent.Request) consent.Decision
	// Approved reports whether an origin may make private-network
	// requests to the API port (see preflight).
	Approved(origin string) bool
}

// exposedHeaders are the response headers the SDK must be able to read.
// They are named one by one: "*" does not work with credentialed requests.
const exposedHeaders = "uipathToken, X-UIPATH-DOMAIN-ALLOWED"

// guard wraps the routes with the checks every request passes, in order:
// recover panics as JSON, refuse foreign Host headers (DNS rebinding),
// add CORS headers, answer preflights, then authorise unless the route is
// public.
func (s *Server) guard(routes *http.ServeMux, public map[string]bool,
	role portRole) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer recoverAsJSON(w, r)

		if s.otherUser(r) {
			slog.Info("bridge: refused a request from another OS user", "path", r.URL.Path)
			writeError(w, http.StatusForbidden, "wrong_session: this robot belongs to "+
				"another user of this computer; start robotbridge in your own session "+
				"(on another port)")
			return
		}
		if !hostAllowed(r) {
			writeError(w, http.StatusForbidden, fmt.Sprintf("Host %q is not allowed: "+
				"the bridge only answers requests addressed to localhost", r.Host))
			return
		}

		origin := r.Header.Get("Origin")
		setCORS(w, origin)
		if r.Method == http.MethodOptions {
			s.preflight(w, r, origin, role)
			return
		}

		if !public[r.URL.Path] && s.paused.Load() {
			writeError(w, http.StatusServiceUnavailable, "robotbridge is paused on this "+
				"computer; resume it from the tray menu and try again")
			return
		}
		if !public[r.URL.Path] {
			if !s.authorize(w, r, origin) {
				return
			}
		}
		routes.ServeHTTP(w, r)
	})
}

// authorize asks the Authorizer and answers 401/403 itself when the
// request may not proceed.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, origin string) bool {
	decision := s.auth.Check(consent.Request{
		Origin:      origin,
		Token:       r.Header.Get("uipathToken"),
		ConsentCode: r.URL.Query().Get("consentCode"),
		Discovery:   r.URL.Path == "/GetPort",
	})
	s.noteContact(origin, decision.Verdict)
	if decision.PreApproved {
		w.Header().Set("X-UIPATH-DOMAIN-ALLOWED", "true")
	}
	if decision.Token != "" {
		w.Header().Set("uipathToken", decision.Token)
	}

	status, ok := verdictStatus[decision.Verdict]
	if !ok {
		return true
	}
	slog.Debug("bridge: request not served", "origin", origin, "path", r.URL.Path,
		"status", status)
	writeError(w, status, decision.Reason)
	return false
}

// verdictStatus maps refusals to the statuses the SDK understands: 401
// starts or continues a consent round, 403 ends it as rejected.
var verdictStatus = map[consent.Verdict]int{
	consent.NeedConsent: http.StatusUnauthorized,
	consent.Refuse:      http.StatusForbidden,
	consent.TooMany:     http.StatusTooManyRequests,
	consent.Broken:      http.StatusInternalServerError,
}

// setCORS echoes a real origin exactly, never "*". A refused request gets
// the headers too (so the page can read the 401 that starts consent), but
// its body carries no data.
func setCORS(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if !echoable(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", exposedHeaders)
}

// portRole tells the discovery listener from the API listener.
type portRole int

const (
	discoveryRole portRole = iota
	apiRole
)

// echoable reports whether an Origin header may be echoed in CORS headers:
// only http(s) origins, never "null", "*" or anything with a wildcard.
func echoable(origin string) bool {
	return (strings.HasPrefix(origin, "http://") || strings.HasPrefix(origin, "https://")) &&
		!strings.ContainsAny(origin, "* ,\t")
}

// preflight answers every OPTIONS before routing or authorisation: a
// failed preflight looks like "robot missing" to the SDK and breaks the
// site until its storage is cleared. Allowing the request here grants
// nothing; the real request is still authorised.
//
// Private Network Access (a public page calling loopback) is allowed on
// the discovery port for every origin, so that a consent round can start,
// and on the API port only for approved origins.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, origin string,
	role portRole) {
	if !echoable(origin) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "uipathToken, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	if strings.EqualFold(r.Header.Get("Access-Control-Request-Private-Network"), "true") &&
		(role == discoveryRole || s.auth.Approved(origin)) {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
}

// hostAllowed accepts only loopback names with the port the request came
// in on. A page that rebinds its own domain to 127.0.0.1 still sends its
// domain in Host and is refused.
func hostAllowed(r *http.Request) bool {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		return false
	}
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
	default:
		return false
	}

	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	_, localPort, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	want, _ := strconv.Atoi(localPort)
	got, err := strconv.Atoi(port)
	return err == nil && got == want
}

func recoverAsJSON(w http.ResponseWriter, r *http.Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		slog.Error("bridge: handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
		writeError(w, http.StatusInternalServerError, "internal error in the bridge; "+
			"the request was not carried out, please try again")
	}
}
