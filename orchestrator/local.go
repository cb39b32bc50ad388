package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"robotbridge/control"
)

// LocalRobot is this computer's robotbridge engine, as the doctor sees
// it. EngineRobot is the real one.
type LocalRobot interface {
	// Handshake checks that the bridge answers the RobotJS discovery call
	// and returns its port. ErrEngineNotRunning means no engine answers.
	Handshake(ctx context.Context) (int, error)
	// Processes lists the installed process packages.
	Processes(ctx context.Context) ([]LocalProcess, error)
}

// LocalProcess is one installed process package.
type LocalProcess struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Version string `json:"version"` // the version that runs
	// Versions are all installed versions (may be empty).
	Versions []string `json:"versions"`
}

// ErrEngineNotRunning means no robotbridge engine answers locally.
var ErrEngineNotRunning = errors.New("engine not running")

// EngineRobot reaches the engine of a config directory through its
// control socket.
func EngineRobot(configDir string) LocalRobot {
	return engineRobot{c: control.NewClient(control.SocketPath(configDir))}
}

type engineRobot struct{ c *control.Client }

// engineStatus is the part of the control API's GET /v1/status the
// doctor needs.
type engineStatus struct {
	DiscoveryPort int `json:"discoveryPort"`
}

func (e engineRobot) get(path string, out any) error {
	err := e.c.Do("GET", path, nil, out)
	if errors.Is(err, control.ErrNoEngine) {
		return ErrEngineNotRunning
	}
	return err
}

func (e engineRobot) Handshake(ctx context.Context) (int, error) {
	var st engineStatus
	if err := e.get("/v1/status", &st); err != nil {
		return 0, err
	}
	return st.DiscoveryPort, ProbeBridge(ctx, st.DiscoveryPort)
}

func (e engineRobot) Processes(context.Context) ([]LocalProcess, error) {
	var list []LocalProcess
	return list, e.get("/v1/processes", &list)
}

// ProbeBridge sends the RobotJS discovery call (GET /GetPort) to the
// bridge on localhost:port. It sends no Origin, so the bridge refuses to
// serve it (403) without asking anyone for consent; a JSON answer of 200,
// 401 or 403 proves that the bridge, not another program, holds the port.
func ProbeBridge(ctx context.Context, port int) error {
	addr := "localhost:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/GetPort", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return fmt.Errorf("the bridge does not answer on %s: %w", addr, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	switch {
	case !strings.Contains(ct, "json"):
		return fmt.Errorf("%s answers GetPort with %q, not JSON: another program holds "+
			"the port", addr, ct)
	case resp.StatusCode != 200 && resp.StatusCode != 401 && resp.StatusCode != 403:
		return fmt.Errorf("%s answers GetPort with %s, not a RobotJS answer", addr,
			resp.Status)
	}
	return nil
}
