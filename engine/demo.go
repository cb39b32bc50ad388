package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"robotbridge/assets"
)

// demoServer serves the demo page on its own loopback origin, the way a
// web app on another site would call the bridge.
type demoServer struct {
	Origin string
	srv    *http.Server
}

func startDemo(addr string, discoveryPort int) (*demoServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return nil, fmt.Errorf("demo address %q must be a loopback host:port "+
			"such as 127.0.0.1:2380", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo page: cannot listen on %s: %w", addr, err)
	}

	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(assets.Demo()))
	mux.HandleFunc("/config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]int{"discoveryPort": discoveryPort})
	})
	d := &demoServer{
		Origin: "http://" + ln.Addr().String(),
		srv:    &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
	}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

func (d *demoServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
}
