package orchestrator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Conditions callers branch on. An *APIError matches the ones its status
// and error code stand for (errors.Is).
var (
	ErrUnauthorized    = errors.New("credentials not accepted")
	ErrBadCredentials  = errors.New("sign-in refused")
	ErrForbidden       = errors.New("permission missing")
	ErrNotFound        = errors.New("not found")
	ErrFolderAccess    = errors.New("folder does not exist or is not visible")
	ErrFolderRequired  = errors.New("folder not set")
	ErrNoRobot         = errors.New("no robot can run the job")
	ErrRateLimited     = errors.New("rate limited")
	ErrNotOrchestrator = errors.New("not an Orchestrator API")
	ErrMalformed       = errors.New("malformed answer from the Orchestrator")
	ErrServer          = errors.New("Orchestrator server error")
)

// APIError is a non-2xx answer of the Orchestrator. It carries what the
// server said, never the request body.
type APIError struct {
	Op         string        // what the client was doing, e.g. "list folders"
	Status     int           // HTTP status
	Code       int           // Orchestrator errorCode; -1 when absent
	OAuth      string        // OAuth error, e.g. "invalid_client"
	Message    string        // the server's message
	TraceID    string        // the server's trace id, for its administrator
	RetryAfter time.Duration // from Retry-After on 429/503
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Code >= 0 {
		fmt.Fprintf(&b, " (errorCode %d)", e.Code)
	}
	if e.OAuth != "" {
		fmt.Fprintf(&b, " (%s)", e.OAuth)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " [trace %s]", e.TraceID)
	}
	return b.String()
}

// Is maps the status, error code and OAuth error to the sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrBadCredentials:
		return e.Code == 1000 || e.OAuth == "invalid_client" || e.OAuth == "invalid_grant" ||
			e.OAuth == "unauthorized_client"
	case ErrForbidden:
		return e.Status == http.StatusForbidden || e.OAuth == "invalid_scope"
	case ErrNotFound:
		return e.Status == http.StatusNotFound || e.Code == 1002
	case ErrFolderAccess:
		return e.Code == 1100
	case ErrFolderRequired:
		return e.Code == 1101
	case ErrNoRobot:
		return e.Status == http.StatusConflict
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrServer:
		return e.Status >= 500
	}
	return false
}

// errorBody holds the fields of the four error shapes the Orchestrator
// and its identity server send (spec §2.5), tried in that order.
type errorBody struct {
	Message   string          `json:"message"`
	ErrorCode *int            `json:"errorCode"`
	TraceID   string          `json:"traceId"`
	Error     json.RawMessage `json:"error"`
	ErrorDesc string          `json:"error_description"`
	ErrorMsg  string          `json:"errorMessage"`
	Title     string          `json:"title"`
	Errors    map[string][]string
}

type abpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

// newAPIError reads a non-2xx answer.
func newAPIError(op string, resp *http.Response, body []byte) *APIError {
	e := &APIError{Op: op, Status: resp.StatusCode, Code: -1,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var b errorBody
	if !isJSON(resp.Header.Get("Content-Type")) || json.Unmarshal(body, &b) != nil {
		if len(body) > 0 {
			e.Message = "the answer is not JSON (" + contentType(resp) + ")"
		}
		return e
	}
	if b.ErrorCode != nil {
		e.Code = *b.ErrorCode
	}
	e.Message, e.TraceID = b.Message, b.TraceID
	fillFromErrorField(e, b)
	if e.Message == "" && b.ErrorMsg != "" {
		e.Message = b.ErrorMsg
	}
	if e.Message == "" && b.Title != "" {
		e.Message = b.Title + problemFields(b.Errors)
	}
	return e
}

// fillFromErrorField reads "error", an ABP object or an OAuth string.
func fillFromErrorField(e *APIError, b errorBody) {
	if len(b.Error) == 0 || string(b.Error) == "null" {
		return
	}
	var oauth string
	if json.Unmarshal(b.Error, &oauth) == nil {
		e.OAuth = oauth
		if e.Message == "" {
			e.Message = b.ErrorDesc
		}
		return
	}
	var abp abpError
	if json.Unmarshal(b.Error, &abp) == nil && e.Message == "" {
		e.Message = strings.TrimSpace(abp.Message + " " + abp.Details)
		if e.Code < 0 && abp.Code != 0 {
			e.Code = abp.Code
		}
	}
}

func problemFields(errs map[string][]string) string {
	if len(errs) == 0 {
		return ""
	}
	var parts []string
	for field, msgs := range errs {
		parts = append(parts, field+": "+strings.Join(msgs, "; "))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isJSON(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.Contains(ct, "json")
}

func contentType(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "no content type"
}

// Remedy says what a person can do about err, for the CLI, the GUI and
// the doctor. It returns "" when there is nothing specific to say.
func Remedy(err error) string {
	for _, r := range remedies {
		if errors.Is(err, r.err) {
			return r.text
		}
	}
	return ""
}

var remedies = []struct {
	err  error
	text string
}{
	{ErrUntrustedCert, "see the remedy in the certificate message above"},
	{ErrPlainHTTP, "use the https:// URL of the Orchestrator"},
	{ErrNotOrchestrator, "check the URL: on-premises it is the Orchestrator site " +
		"(https://host[:port][/virtual-dir]); Automation Cloud and Suite need " +
		"https://host/ORGANIZATION/TENANT (robotbridge adds /orchestrator_)"},
	{ErrKeyringUnavailable, "start or unlock the OS keyring (Secret Service, Keychain " +
		"or Credential Manager) and try again"},
	{ErrBadCredentials, "check the user name or client id and the secret; store a new " +
		"one with `robotbridge connections add --replace`"},
	{ErrUnauthorized, "the token was refused (expired, revoked, or its user removed): " +
		"store a new one with `robotbridge connections add --replace`"},
	{ErrFolderRequired, "set the folder of the connection (--folder Parent/Child)"},
	{ErrFolderAccess, "check the folder path (nested folders are written Parent/Child) " +
		"and ask an Orchestrator administrator to assign the user or app to it"},
	{ErrNoRobot, "assign a robot (a user with an unattended robot and a machine) to " +
		"the folder in Orchestrator, or check that one is connected and licensed"},
	{ErrForbidden, "ask an Orchestrator administrator for the missing permission " +
		"(or, for an external app, the missing scope)"},
	{ErrNotFound, "the item is gone: check its name, folder and version in Orchestrator"},
	{ErrRateLimited, "the Orchestrator limits calls: robotbridge waits as asked " +
		"(Retry-After); follow fewer jobs or poll less often"},
	{ErrTimeout, "the server did not answer in time: check the network and the " +
		"server's load, then try again"},
	{ErrUnreachable, "check the host name and port, that the server runs, and any " +
		"proxy or firewall between this computer and it"},
	{ErrMalformed, "the server answered something robotbridge cannot read: check " +
		"that the URL is an Orchestrator, and report the trace id to its administrator"},
	{ErrServer, "the Orchestrator failed: try again later or ask its administrator"},
}
