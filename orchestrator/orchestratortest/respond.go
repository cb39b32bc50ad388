package orchestratortest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// Shape is the form of an error body (spec §2.5), or of a broken answer.
type Shape string

const (
	ShapeStandard  Shape = "standard"  // {"message","errorCode","traceId"}
	ShapeABP       Shape = "abp"       // the ABP envelope
	ShapeOAuth     Shape = "oauth"     // {"error": "invalid_client"}
	ShapeProblem   Shape = "problem"   // ASP.NET ProblemDetails
	ShapeHTML      Shape = "html"      // a web page (proxy, portal, IIS)
	ShapeEmpty     Shape = "empty"     // no body
	ShapeMalformed Shape = "malformed" // JSON content type, broken JSON
)

// Fault replaces the answer of a route.
type Fault struct {
	Status     int    // HTTP status (0: 200)
	Shape      Shape  // body form ("" : standard)
	Message    string // error message
	Code       int    // errorCode (standard, ABP) or 0
	OAuth      string // the OAuth error (ShapeOAuth)
	RetryAfter string // Retry-After header value, if any
	// Times is how many requests get the fault (0: every one).
	Times int
	// Hang holds the request until the client gives up (a slow server).
	Hang bool
}

// Fail sets a fault on a route (see the route names in routes.go); a
// zero Fault clears it.
func (s *Server) Fail(route string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, route)
		return
	}
	s.faults[route] = &f
}

// takeFault returns the route's fault, counting down its Times.
func (s *Server) takeFault(route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[route]
	if !ok {
		return nil
	}
	c := *f
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.faults, route)
		}
	}
	return &c
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	if f.Hang {
		// Read the body first: only then does the server notice the client
		// going away and cancel the request's context.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	writeShape(w, status, f.Shape, f.Message, f.Code, f.OAuth)
}

func writeShape(w http.ResponseWriter, status int, shape Shape, msg string, code int,
	oauth string) {
	switch shape {
	case ShapeABP:
		writeABP(w, status, msg, code)
	case ShapeOAuth:
		writeJSON(w, status, map[string]any{"error": oauth, "error_description": msg})
	case ShapeProblem:
		writeJSON(w, status, map[string]any{"type": "https://tools.ietf.org/html/rfc7231",
			"title": "One or more validation errors occurred.", "status": status,
			"errors": map[string][]string{"startInfo": {msg}}, "traceId": "00-fake-00"})
	case ShapeHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>" + strconv.Itoa(status) +
			"</h1></body></html>"))
	case ShapeEmpty:
		w.WriteHeader(status)
	case ShapeMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"value": [ {"Id": 1,`))
	default:
		writeStandard(w, status, msg, code)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStandard(w http.ResponseWriter, status int, msg string, code int) {
	writeJSON(w, status, map[string]any{"message": msg, "errorCode": code,
		"traceId": "00-5c1e7f2d9a8b4c3d2e1f0a9b8c7d6e5f-1a2b3c4d5e6f7a8b-00"})
}

func writeABP(w http.ResponseWriter, status int, msg string, code int) {
	writeJSON(w, status, map[string]any{"result": nil, "targetUrl": nil, "success": false,
		"error": map[string]any{"code": code, "message": msg, "details": nil,
			"validationErrors": nil},
		"unAuthorizedRequest": status == 401, "__abp": true})
}

func notAuthenticated(w http.ResponseWriter) {
	writeABP(w, http.StatusUnauthorized, "You are not authenticated!", 0)
}

func notAuthorized(w http.ResponseWriter) {
	writeABP(w, http.StatusForbidden, "You are not authorized!", 0)
}

// collection writes an OData collection answer.
func (s *Server) collection(w http.ResponseWriter, r *http.Request, set string,
	rows []map[string]any, total int) {
	body := map[string]any{"@odata.context": s.URL + "/odata/$metadata#" + set,
		"value": rows}
	if r.URL.Query().Get("$count") == "true" {
		body["@odata.count"] = total
	}
	writeJSON(w, http.StatusOK, body)
}
