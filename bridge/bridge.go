// Package bridge is the localhost HTTP API that web pages using the
// RobotJS SDK talk to (see ../shared/spec/robotjs-protocol.md): port
// discovery, process list, invoke, job status with long polling, stop,
// install and client messages. It binds loopback only, checks the Host
// header, answers CORS for exact origins, and lets an Authorizer decide
// who is served.
package bridge

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"robotbridge/consent"
	"robotbridge/feed"
	"robotbridge/robot"
)

// Features the bridge implements, as advertised by GetPort.
var serverFeatures = []string{
	"JobStatus_LongPolling",
	"InstallProcess",
	"UseGivenJobId",
	"InternalArguments",
	"ClientMessage",
}

// Config tunes the bridge. The zero value of each field has a default.
type Config struct {
	// HoldTimeout is how long JobStatus holds a long poll with no news.
	// Zero means 20 s.
	HoldTimeout time.Duration
	// MaxBodyBytes caps request bodies. Zero means 1 MiB.
	MaxBodyBytes int64
	// Feed, when set, enables the websocket event stream (/events).
	Feed *feed.Log
	// StreamWriteTimeout drops a stream client that does not take an
	// event within this time. Zero means 10 s.
	StreamWriteTimeout time.Duration
	// PeerUID tells which OS user owns a client socket; requests from
	// other users are refused. Nil means the OS's own answer where
	// robotbridge knows how to ask (Linux); set NoPeerCheck to turn it off.
	PeerUID     PeerUIDFunc
	NoPeerCheck bool
}

func (c Config) withDefaults() Config {
	if c.HoldTimeout <= 0 {
		c.HoldTimeout = 20 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.StreamWriteTimeout <= 0 {
		c.StreamWriteTimeout = 10 * time.Second
	}
	if c.PeerUID == nil && !c.NoPeerCheck {
		c.PeerUID = defaultPeerUID
	}
	return c
}

// Server is the bridge. Create it with New, then Listen.
type Server struct {
	cfg   Config
	robot *robot.Robot
	auth  Authorizer

	apiPort int          // set by Listen (or SetAPIPort in tests) before serving
	streams atomic.Int64 // connected event stream clients
	paused  atomic.Bool  // the user paused the bridge from the desktop app

	mu sync.Mutex
	// guarded by mu:
	cursors     map[string]int // job id -> next update to deliver (drain)
	lastContact Contact
}

// Contact records the last time a browser reached the bridge, so support
// can tell "the browser blocked the call" from "the service is down".
type Contact struct {
	Origin  string
	At      time.Time
	Verdict consent.Verdict
}

// New returns a bridge over the robot, admitting who auth allows.
func New(cfg Config, r *robot.Robot, auth Authorizer) *Server {
	return &Server{
		cfg:     cfg.withDefaults(),
		robot:   r,
		auth:    auth,
		cursors: map[string]int{},
	}
}

// SetAPIPort sets the port GetPort announces; Listen does it for real
// listeners.
func (s *Server) SetAPIPort(port int) { s.apiPort = port }

// SetPaused pauses or resumes the bridge. While paused every RobotJS
// request gets 503 with a message that says so; health still answers.
func (s *Server) SetPaused(paused bool) { s.paused.Store(paused) }

// Paused reports whether the user paused the bridge.
func (s *Server) Paused() bool { return s.paused.Load() }

// LastContact returns the last browser contact, zero if none yet.
func (s *Server) LastContact() Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastContact
}

func (s *Server) noteContact(origin string, v consent.Verdict) {
	if origin == "" {
		return // tools such as the doctor, not a browser
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastContact = Contact{Origin: origin, At: time.Now(), Verdict: v}
}

// DiscoveryHandler serves the discovery port: GetPort and health.
func (s *Server) DiscoveryHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/GetPort", only("GET", s.getPort))
	mux.HandleFunc("/health", only("GET", s.health))
	mux.HandleFunc("/", notFound)
	return s.guard(mux, map[string]bool{"/health": true}, discoveryRole)
}

// APIHandler serves the API port: the six RobotJS endpoints and health.
func (s *Server) APIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/RobotProcesses", only("GET", s.robotProcesses))
	mux.HandleFunc("/InvokeRobot", only("POST", s.invokeRobot))
	mux.HandleFunc("/JobStatus", only("GET", s.jobStatus))
	mux.HandleFunc("/StopProcess", only("GET", s.stopProcess))
	mux.HandleFunc("/InstallProcess", only("GET", s.installProcess))
	mux.HandleFunc("/SendClientMessage", only("POST", s.sendClientMessage))
	mux.HandleFunc("/health", only("GET", s.health))
	public := map[string]bool{"/health": true}
	if s.cfg.Feed != nil {
		// The stream authorises its upgrade itself (tokens come as a
		// subprotocol, not as a header).
		mux.HandleFunc("/events", only("GET", s.eventStream))
		public["/events"] = true
	}
	mux.HandleFunc("/", notFound)
	return s.guard(mux, public, apiRole)
}

// only restricts a route to one method with a JSON answer; ServeMux's own
// 405 would be plain text, which the SDK cannot parse.
func only(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method+", OPTIONS")
			writeError(w, http.StatusMethodNotAllowed,
				r.URL.Path+" takes "+method+" requests, not "+r.Method)
			return
		}
		h(w, r)
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path+
		"; the bridge serves the RobotJS protocol (GetPort, RobotProcesses, "+
		"InvokeRobot, JobStatus, StopProcess, InstallProcess, SendClientMessage)")
}

type portAnswer struct {
	Port           int      `json:"Port"`
	ServerFeatures []string `json:"ServerFeatures"`
}

func (s *Server) getPort(w http.ResponseWriter, r *http.Request) {
	features := serverFeatures
	if s.cfg.Feed != nil {
		features = append(features[:len(features):len(features)], streamFeature)
	}
	writeJSON(w, http.StatusOK, portAnswer{Port: s.apiPort, ServerFeatures: features})
}

type healthAnswer struct {
	Status  string `json:"status"`
	Consent string `json:"consent"`
}

// health answers without consent and reveals nothing but whether the
// bridge runs and whether the calling site is approved.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	decision := s.auth.Check(consent.Request{
		Origin: origin,
		Token:  r.Header.Get("uipathToken"),
	})
	if origin != "" {
		s.noteContact(origin, decision.Verdict)
	}
	state := map[consent.Verdict]string{
		consent.Allow:       "granted",
		consent.NeedConsent: "required",
		consent.Refuse:      "refused",
	}[decision.Verdict]
	writeJSON(w, http.StatusOK, healthAnswer{Status: "ok", Consent: state})
}
