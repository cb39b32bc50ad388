package orchestrator_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"

	"robotbridge/control"
	"robotbridge/orchestrator"
)

func portOf(t *testing.T, s *httptest.Server) int {
	u, _ := url.Parse(s.URL)
	p, _ := strconv.Atoi(u.Port())
	return p
}

func TestProbeBridge_TellsBridgeFromOtherPrograms(t *testing.T) {
	bridge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden) // no Origin: refused, as the real bridge does
		_, _ = w.Write([]byte(`{"error":"requests without an Origin header are not served"}`))
	}))
	t.Cleanup(bridge.Close)
	if err := orchestrator.ProbeBridge(ctx(t), portOf(t, bridge)); err != nil {
		t.Fatalf("ProbeBridge(bridge) = %v", err)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>PDF reader</html>"))
	}))
	t.Cleanup(other.Close)
	if err := orchestrator.ProbeBridge(ctx(t), portOf(t, other)); err == nil {
		t.Fatal("ProbeBridge took another program for the bridge")
	}
}

func TestEngineRobot_ThroughTheControlSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "rbctl") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	local := orchestrator.EngineRobot(dir)
	if _, err := local.Handshake(ctx(t)); !errors.Is(err, orchestrator.ErrEngineNotRunning) {
		t.Fatalf("Handshake without an engine = %v, want ErrEngineNotRunning", err)
	}

	bridge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Port":40000,"ServerFeatures":[]}`))
	}))
	t.Cleanup(bridge.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, 200, map[string]int{"discoveryPort": portOf(t, bridge)})
	})
	mux.HandleFunc("GET /v1/processes", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, 200, []map[string]any{{"key": "echo", "name": "echo",
			"version": "1.0.0", "versions": []string{"0.9.0", "1.0.0"}}})
	})
	ln, err := control.Listen(control.SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = control.Serve(c, ln, mux); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	if port, err := local.Handshake(ctx(t)); err != nil || port != portOf(t, bridge) {
		t.Fatalf("Handshake = %d, %v", port, err)
	}
	checks := orchestrator.DiagnoseLocal(ctx(t), local, "echo", "0.9.0")
	if checks[0].Status != orchestrator.CheckPass || checks[1].Status != orchestrator.CheckPass {
		t.Fatalf("DiagnoseLocal = %+v", checks)
	}
}
