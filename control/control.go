// Package control is the local channel between the engine and its own
// tools (the CLI, later the desktop app): HTTP over a unix socket in the
// user's config directory. The socket and its folder are readable by the
// user only, and on Linux each connection's peer must be the same user.
// Browsers cannot reach it: it is never on a TCP port.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// SocketPath is the control socket of a config directory.
func SocketPath(configDir string) string {
	return filepath.Join(configDir, "control.sock")
}

// Listen creates the control socket. A socket left by an engine that died
// is replaced; one that still answers means an engine is running, which
// is an error.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control: create %s: %w", filepath.Dir(path), err)
	}
	if err := os.Chmod(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control: protect %s: %w", filepath.Dir(path), err)
	}
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return nil, fmt.Errorf("control: another robotbridge engine is running "+
			"(it answers on %s); stop it first or use it", path)
	}
	_ = os.Remove(path) // stale socket of an engine that died

	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control: protect %s: %w", path, err)
	}
	return sameUserOnly(ln), nil
}

// Serve answers control requests until ctx ends.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Client calls the engine's control API.
type Client struct {
	path string
	http *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	return &Client{path: path, http: &http.Client{
		Transport: &http.Transport{DialContext: dial},
		Timeout:   30 * time.Second,
	}}
}

// ErrNoEngine means nothing answers on the control socket.
var ErrNoEngine = errors.New("no robotbridge engine is running " +
	"(start it with `robotbridge serve`)")

// Errorf-style answer of the control API.
type apiError struct {
	Error string `json:"error"`
}

// Do sends a request with an optional JSON body and decodes the JSON
// answer into out (if not nil).
func (c *Client) Do(method, path string, body, out any) error {
	data, err := c.send(method, path, body)
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Get returns the raw answer of a GET, such as a job's log text (at most
// 16 MiB). Errors are the API's own messages, as with Do.
func (c *Client) Get(path string) ([]byte, error) {
	return c.send("GET", path, nil)
}

// send makes one call and returns the answer body of a success.
func (c *Client) send(method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, "http://robotbridge"+path, rd)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) || errors.Is(err, os.ErrNotExist) {
			return nil, ErrNoEngine
		}
		return nil, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var e apiError
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return nil, errors.New(e.Error)
		}
		return nil, fmt.Errorf("control API: %s", resp.Status)
	}
	return data, nil
}

// WriteJSON and WriteError are the control API's answers.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func WriteError(w http.ResponseWriter, status int, err error) {
	WriteJSON(w, status, apiError{Error: err.Error()})
}
