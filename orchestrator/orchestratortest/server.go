package orchestratortest

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a Server. The zero value is a standalone (on-premises)
// Orchestrator with a certificate from its own test CA.
type Options struct {
	// Cert is the kind of server certificate.
	Cert CertKind
	// Cloud serves the Automation Cloud shape: the API under
	// /ORG/TENANT/orchestrator_ and the identity server at /identity_.
	Cloud bool
	// Legacy1910 behaves like 19.10: no ModernJobsCount strategy, no
	// /api/Folders/GetAllForCurrentUser.
	Legacy1910 bool
	// UserTokenTTL and AppTokenTTL are token lifetimes (0: 30 min, 1 h).
	UserTokenTTL, AppTokenTTL time.Duration
	// MaxQuery is the longest query string served (0: 2,048 bytes, IIS's
	// default); longer ones get 404.15-style HTML, like IIS.
	MaxQuery int
	// StopDelay is how long Stopping and Terminating last (0: 1 s of the
	// fake clock).
	StopDelay time.Duration
}

// Server is a fake Orchestrator over HTTPS on 127.0.0.1. Its clock starts
// at a fixed time and only moves with Advance.
type Server struct {
	// URL is the Orchestrator API root, IdentityURL the identity server.
	URL, IdentityURL string
	// CAPEM is the test CA certificate (PEM) that signs CertTrusted,
	// CertWrongHost and CertExpired certificates.
	CAPEM []byte
	// Addr is the host:port the server listens on.
	Addr string

	opts      Options
	prefix    string // the API path prefix ("" or /ORG/TENANT/orchestrator_)
	idPath    string // the identity path prefix
	ca        *testCA
	srv       *httptest.Server
	closing   chan struct{} // closed by Close: hanging requests end
	closeOnce sync.Once

	mu       sync.Mutex // guards everything below
	cert     tls.Certificate
	now      time.Time
	nextID   int64
	users    map[string]*User
	apps     map[string]*App
	pats     map[string]*PAT
	tokens   map[string]*session
	folders  []*folder
	packages map[string][]string // package id -> versions
	commands map[string][]string // package id -> its robotbridge command
	releases []*release
	jobs     map[int64]*job
	noRobot  map[int64]bool // folders without a robot
	faults   map[string]*Fault
	counts   map[string]int
	lastReq  map[string]*http.Request
	hooks    *hooks // webhooks and their deliveries (webhooks_send.go)
}

// New starts a fake Orchestrator and stops it when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(opts)
	if err != nil {
		t.Fatalf("orchestratortest: start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func start(opts Options) (*Server, error) {
	if opts.UserTokenTTL <= 0 {
		opts.UserTokenTTL = 30 * time.Minute
	}
	if opts.AppTokenTTL <= 0 {
		opts.AppTokenTTL = time.Hour
	}
	if opts.MaxQuery <= 0 {
		opts.MaxQuery = 2048
	}
	if opts.StopDelay <= 0 {
		opts.StopDelay = time.Second
	}
	ca, err := newCA()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, ca: ca, CAPEM: ca.pem, nextID: 100,
		closing: make(chan struct{}),
		now:     time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC),
		users:   map[string]*User{}, apps: map[string]*App{}, pats: map[string]*PAT{},
		tokens: map[string]*session{}, packages: map[string][]string{}, commands: map[string][]string{},
		jobs: map[int64]*job{}, noRobot: map[int64]bool{}, faults: map[string]*Fault{},
		counts: map[string]int{}, lastReq: map[string]*http.Request{}}
	if s.cert, err = ca.leaf(opts.Cert); err != nil {
		return nil, err
	}
	s.idPath = "/identity"
	if opts.Cloud {
		s.prefix, s.idPath = "/fakeorg/DefaultTenant/orchestrator_", "/identity_"
	}
	return s, s.listen()
}

func (s *Server) listen() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg := &tls.Config{NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			c := s.cert
			return &c, nil
		}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	srv.Listener.Close()
	srv.Listener = tls.NewListener(ln, cfg)
	// Handshake failures are what some tests are about: keep them quiet.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	s.srv = srv
	s.Addr = ln.Addr().String()
	s.URL = "https://" + s.Addr + s.prefix
	s.IdentityURL = "https://" + s.Addr + s.idPath
	return nil
}

// Close stops the server; requests in flight end.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.stopWebhooks()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// URLFor is the API root under another host name (for example
// orch.example.test); the client must dial Addr for it.
func (s *Server) URLFor(host string) string {
	_, port, _ := net.SplitHostPort(s.Addr)
	return "https://" + net.JoinHostPort(host, port) + s.prefix
}

// Fingerprint is the SHA-256 of the current certificate, as hex pairs.
func (s *Server) Fingerprint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := fingerprint(s.cert)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// RotateCert replaces the certificate with a new one of the same kind,
// as a server whose certificate was renewed.
func (s *Server) RotateCert() {
	c, err := s.ca.leaf(s.opts.Cert)
	if err != nil {
		panic("orchestratortest: rotate certificate: " + err.Error())
	}
	s.mu.Lock()
	s.cert = c
	s.mu.Unlock()
	s.srv.CloseClientConnections()
}

// StopDelay is how long Stopping and Terminating last.
func (s *Server) StopDelay() time.Duration { return s.opts.StopDelay }

// Advance moves the fake clock: tokens expire, jobs move on and their
// webhook events go out.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d)
	s.emitWebhooksLocked()
}

// Now is the fake clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Count is the number of requests a route got (route names: see routes).
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// Total is the number of requests of all routes.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// ResetCounts sets every count to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// LastRequest is the last request of a route (nil if none), with its
// headers and raw query; its body was consumed.
func (s *Server) LastRequest(route string) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastReq[route]
}
