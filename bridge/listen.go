package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// Listeners are the bridge's bound sockets: loopback only, IPv4 and (where
// the machine has it) IPv6, for the discovery port and the API port.
type Listeners struct {
	Discovery []net.Listener
	API       []net.Listener
}

// DiscoveryPort and APIPort are the bound port numbers.
func (l *Listeners) DiscoveryPort() int { return portOf(l.Discovery[0]) }
func (l *Listeners) APIPort() int       { return portOf(l.API[0]) }

// Close closes every socket.
func (l *Listeners) Close() {
	for _, ln := range append(append([]net.Listener{}, l.Discovery...), l.API...) {
		_ = ln.Close()
	}
}

// Listen binds the discovery port and the API port (0 picks a free one)
// on 127.0.0.1 and ::1. It never falls back to other addresses or ports: a
// taken port is an error that names the program holding it.
func Listen(discoveryPort, apiPort int) (*Listeners, error) {
	disc, err := listenLoopback(discoveryPort, "discovery")
	if err != nil {
		return nil, err
	}
	api, err := listenLoopback(apiPort, "API")
	if err != nil {
		closeAll(disc)
		return nil, err
	}
	return &Listeners{Discovery: disc, API: api}, nil
}

func listenLoopback(port int, role string) ([]net.Listener, error) {
	v4, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, portError(role, port, "127.0.0.1", err)
	}
	bound := portOf(v4)

	// localhost may resolve to ::1 first; serve it there too when the
	// machine has IPv6 loopback, so the browser never meets another program.
	v6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(bound)))
	switch {
	case err == nil:
		return []net.Listener{v4, v6}, nil
	case errors.Is(err, syscall.EADDRINUSE):
		_ = v4.Close()
		return nil, portError(role, bound, "::1", err)
	default:
		slog.Debug("bridge: no IPv6 loopback", "err", err)
		return []net.Listener{v4}, nil
	}
}

// PortInUseError says a port is taken and, where the OS tells, by whom.
type PortInUseError struct {
	Role   string
	Addr   string
	Holder string // "pid 123 (name)" or ""
	Err    error
}

func (e *PortInUseError) Error() string {
	who := "another program"
	if e.Holder != "" {
		who = e.Holder
	}
	return fmt.Sprintf("%s port %s is already in use by %s; stop that program or "+
		"choose another port (--port / --api-port, or \"port\" in the config)",
		e.Role, e.Addr, who)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

func portError(role string, port int, host string, err error) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if errors.Is(err, syscall.EADDRINUSE) {
		return &PortInUseError{Role: role, Addr: addr, Holder: portHolder(port), Err: err}
	}
	return fmt.Errorf("cannot listen on %s (%s port): %w", addr, role, err)
}

func portOf(ln net.Listener) int {
	return ln.Addr().(*net.TCPAddr).Port
}

func closeAll(ls []net.Listener) {
	for _, ln := range ls {
		_ = ln.Close()
	}
}

// Serve answers on the listeners until ctx ends, then shuts down within a
// few seconds.
func (s *Server) Serve(ctx context.Context, ls *Listeners) error {
	s.SetAPIPort(ls.APIPort())
	servers := []*http.Server{s.httpServer(s.DiscoveryHandler()), s.httpServer(s.APIHandler())}

	errs := make(chan error, len(ls.Discovery)+len(ls.API))
	for _, ln := range ls.Discovery {
		go func() { errs <- servers[0].Serve(ln) }()
	}
	for _, ln := range ls.API {
		go func() { errs <- servers[1].Serve(ln) }()
	}

	select {
	case <-ctx.Done():
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			shutdown(servers)
			return fmt.Errorf("bridge stopped serving: %w", err)
		}
	}
	shutdown(servers)
	return nil
}

func shutdown(servers []*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, srv := range servers {
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close() // long polls still held: cut them
		}
	}
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Must outlast a held long poll.
		WriteTimeout:   s.cfg.HoldTimeout + 30*time.Second,
		IdleTimeout:    90 * time.Second,
		MaxHeaderBytes: 32 << 10,
		ErrorLog:       slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
		ConnContext:    s.peerContext,
	}
}
