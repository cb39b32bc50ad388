package relay

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a relay: it receives webhook calls and serves subscribers.
// Build it with New and run it with Serve.
type Server struct {
	cfg     Config
	log     *slog.Logger
	sources sources
	hub     *hub
	stats   counters

	mu       sync.Mutex // guards sessions and closed
	sessions map[*session]bool
	closed   bool           // Serve is ending: new sessions close at once
	running  sync.WaitGroup // session goroutines
}

// New checks cfg and loads the de-duplication memory from its state
// directory.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, sessions: map[*session]bool{},
		sources: sources{allow: cfg.Allow, trusted: cfg.TrustedProxies}}
	s.hub = newHub(cfg, &s.stats)
	if err := s.hub.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler routes the relay's three endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+WebhookPath, s.webhook)    // Orchestrator calls, signed
	mux.HandleFunc("GET "+SubscribePath, s.subscribe) // engines, websocket + token
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// shutdownWait bounds how long Serve waits for calls in flight.
const shutdownWait = 5 * time.Second

// Serve serves on ln until ctx ends or serving fails; then it closes the
// subscriber connections, lets the hub handle what was answered and
// saves the de-duplication memory. ln may be a TLS listener (Listen).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		s.hub.run(hubCtx)
	}()

	srv := &http.Server{Handler: s.Handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, ReadTimeout: s.cfg.ReadTimeout,
		WriteTimeout: s.cfg.ReadTimeout, IdleTimeout: 2 * s.cfg.ReadTimeout,
		MaxHeaderBytes: 16 << 10,
		// Handshake failures and the like are noise at Warn level.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("relay: listening", "address", ln.Addr().String(), "epoch", s.hub.epoch)

	var err error
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
		defer cancel()
		_ = srv.Shutdown(sctx) // bounded; hijacked websockets are closed below
		err = <-errc           // Serve has closed ln
	case err = <-errc:
		_ = srv.Close()
	}
	s.closeSessions()
	stopHub()
	<-hubDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Stats returns the counters since New.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	s.mu.Lock()
	st.Subscribers = len(s.sessions)
	s.mu.Unlock()
	return st
}

// track adds a session; while Serve is ending it refuses (false).
func (s *Server) track(c *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.running.Add(1)
	s.sessions[c] = true
	return true
}

// untrack removes a session that ended.
func (s *Server) untrack(c *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, c)
	s.running.Done()
}

// closeSessions ends every subscriber connection and waits for them (at
// most WriteWait, for a writer stuck on a peer that does not read).
func (s *Server) closeSessions() {
	s.mu.Lock()
	s.closed = true
	for c := range s.sessions {
		c.stop()
	}
	s.mu.Unlock()
	s.running.Wait()
}
