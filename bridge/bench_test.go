package bridge

// Request latency of the bridge against a bare net/http handler that
// answers the same bytes. Both go through a real loopback socket and one
// keep-alive connection, so the difference is what the bridge adds: the
// Host check, CORS, the consent gate, routing and JSON encoding.
// scripts/bench.sh runs these and prints the ratio of the p50s.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"robotbridge/assets/samples"
	"robotbridge/consent"
	"robotbridge/robot"
)

// benchOrigin is the pre-approved origin every benchmark request carries.
const benchOrigin = "http://127.0.0.1:9999"

// benchChildEnv switches the test binary into the helper child mode, and
// benchChildRun selects the helper when the binary runs as the child.
const (
	benchChildEnv = "ROBOTBRIDGE_BENCH_CHILD"
	benchChildRun = "-test.run=^TestBenchChild$"
)

// TestBenchChild is not a test: it is the body of the child process the
// benchmark's job runs (the test binary re-executed, as os/exec's tests
// do), so the fixture needs no built binary. Normal runs skip it.
func TestBenchChild(t *testing.T) {
	if os.Getenv(benchChildEnv) != "1" {
		t.Skip("helper process for the benchmarks")
	}
	os.Exit(samples.Run("echo", os.Stdin, os.Stdout))
}

// target is one server under test: where to connect and what Host to send.
type target struct {
	base string // http://127.0.0.1:port
	host string // localhost:port, as a page would address the bridge
}

// endpoint is one bridge route and a bare server answering its bytes.
type endpoint struct {
	name, path string
	bridge     target
	bare       target
}

// BenchmarkRequest times each endpoint of the bridge, then a bare handler
// serving the same bytes, one after the other.
func BenchmarkRequest(b *testing.B) {
	client, endpoints := benchEndpoints(b)
	for _, ep := range endpoints {
		b.Run(ep.name+"/bridge", func(b *testing.B) {
			benchGet(b, client, ep.bridge, ep.path)
		})
		b.Run(ep.name+"/bare", func(b *testing.B) {
			benchGet(b, client, ep.bare, ep.path)
		})
	}
}

// BenchmarkRequestPaired alternates bridge and bare requests within one
// loop, so load from other programs on the machine hits both sides alike;
// its p50-ratio is the figure to compare with the 1.5x target. ns/op
// covers both requests of a pair.
func BenchmarkRequestPaired(b *testing.B) {
	client, endpoints := benchEndpoints(b)
	for _, ep := range endpoints {
		b.Run(ep.name, func(b *testing.B) { benchPaired(b, client, ep) })
	}
}

// BenchmarkHandler calls the bridge's handler directly, with no socket,
// against a bare handler writing the same bytes: the CPU the bridge adds
// per request, free of the network stack's noise.
func BenchmarkHandler(b *testing.B) {
	s, jobID := benchServer(b)
	api := s.APIHandler()
	paths := []struct{ name, path string }{
		{"RobotProcesses", "/RobotProcesses"},
		{"JobStatus", "/JobStatus?jobId=" + jobID},
	}
	for _, p := range paths {
		body := serveDirect(b, api, p.path).Body.Bytes()
		bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(body)
		})
		b.Run(p.name+"/bridge", func(b *testing.B) { benchDirect(b, api, p.path) })
		b.Run(p.name+"/bare", func(b *testing.B) { benchDirect(b, bare, p.path) })
	}
}

func benchDirect(b *testing.B, h http.Handler, path string) {
	b.ReportAllocs()
	for range b.N {
		serveDirect(b, h, path)
	}
}

// serveDirect runs one request through h as if it came in on port 2323,
// since the Host check compares with the port the connection arrived on.
func serveDirect(b *testing.B, h http.Handler, path string) *httptest.ResponseRecorder {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2323}
	req := httptest.NewRequest(http.MethodGet, "http://localhost:2323"+path, nil)
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local))
	req.Header.Set("Origin", benchOrigin)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec
}

// benchEndpoints serves the bridge and, per endpoint, a bare handler.
func benchEndpoints(b *testing.B) (*http.Client, []endpoint) {
	s, jobID := benchServer(b)
	bridge := serveBridge(b, s)
	client := keepAliveClient(b)

	endpoints := []endpoint{
		{name: "RobotProcesses", path: "/RobotProcesses"},
		// The job has ended, so JobStatus answers at once instead of holding.
		{name: "JobStatus", path: "/JobStatus?jobId=" + jobID},
	}
	for i := range endpoints {
		ep := &endpoints[i]
		body, ctype := fetchOnce(b, client, bridge, ep.path)
		ep.bridge, ep.bare = bridge, serveBare(b, body, ctype)
	}
	return client, endpoints
}

// benchServer builds a bridge over a robot with the samples installed and
// one finished job of benchOrigin, whose id it returns.
func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	r, err := robot.New(robot.Options{Self: exe})
	if err != nil {
		b.Fatal(err)
	}
	pkgs, err := samples.Packages()
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range pkgs {
		r.Install(p)
	}
	jobID := finishedJob(b, r)
	return New(Config{}, r, consent.NewGate([]string{benchOrigin})), jobID
}

// finishedJob runs the echo helper to its end, so its status is final and
// carries output arguments like a real answer.
func finishedJob(b *testing.B, r *robot.Robot) string {
	b.Helper()
	pkg := &robot.Package{
		Key: "bench-echo", Name: "bench-echo", Source: "bench",
		Command:               []string{robot.SelfExecutable, benchChildRun},
		AcceptsExtraArguments: true,
	}
	r.Install(pkg)
	b.Setenv(benchChildEnv, "1") // the child inherits the robot's environment

	job, err := r.Start(robot.StartRequest{
		ProcessKey: pkg.Key,
		Arguments:  map[string]any{"text": "hello", "number": 42},
		Origin:     benchOrigin,
	})
	if err != nil {
		b.Fatal(err)
	}
	waitJob(b, job, 10*time.Second)
	if snap := job.Since(0); snap.State != robot.Successful {
		b.Fatalf("fixture job ended %s: %+v", snap.State, snap.Err)
	}
	return job.ID
}

// waitJob waits for the job to end, failing after limit.
func waitJob(b *testing.B, job *robot.Job, limit time.Duration) {
	b.Helper()
	done := make(chan struct{})
	go func() { job.Wait(); close(done) }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		b.Fatalf("job %s did not end within %s", job.ID, limit)
	}
}

// serveBridge serves the API handler the way the engine does: Listen on
// loopback, then Serve until the benchmark ends.
func serveBridge(b *testing.B, s *Server) target {
	b.Helper()
	ls, err := Listen(0, 0)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ls) }()
	b.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			b.Error(err)
		}
	})
	return loopbackTarget(ls.APIPort())
}

// serveBare serves body for every path with a handler that does nothing
// else: the floor the bridge is compared with.
func serveBare(b *testing.B, body []byte, ctype string) target {
	b.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	answer := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	}
	srv := &http.Server{Handler: http.HandlerFunc(answer)}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return loopbackTarget(ln.Addr().(*net.TCPAddr).Port)
}

func loopbackTarget(port int) target {
	p := strconv.Itoa(port)
	return target{base: "http://127.0.0.1:" + p, host: "localhost:" + p}
}

// keepAliveClient reuses one connection per server, as a browser tab does
// for its polls, so the benchmark measures requests, not TCP handshakes.
func keepAliveClient(b *testing.B) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// fetchOnce gets the bridge's answer for path, to serve the same bytes
// from the bare handler.
func fetchOnce(b *testing.B, c *http.Client, t target, path string) ([]byte, string) {
	b.Helper()
	resp, err := c.Do(newGet(b, t, path))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, body, err)
	}
	return body, resp.Header.Get("Content-Type")
}

// newGet builds a request as the SDK sends it: Host localhost:<port> and
// an allowed Origin.
func newGet(b *testing.B, t target, path string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, t.base+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Host = t.host
	req.Header.Set("Origin", benchOrigin)
	return req
}

// benchGet times b.N sequential requests one by one, for the percentiles.
func benchGet(b *testing.B, c *http.Client, t target, path string) {
	b.ReportAllocs()
	took := make([]time.Duration, 0, b.N)
	for range b.N {
		took = append(took, timeGet(b, c, t, path))
	}
	reportPercentiles(b, took)
}

// benchPaired times b.N pairs, swapping the order every iteration so
// neither side always goes first.
func benchPaired(b *testing.B, c *http.Client, ep endpoint) {
	b.ReportAllocs()
	bridgeTook := make([]time.Duration, 0, b.N)
	bareTook := make([]time.Duration, 0, b.N)
	for i := range b.N {
		if i%2 == 0 {
			bridgeTook = append(bridgeTook, timeGet(b, c, ep.bridge, ep.path))
			bareTook = append(bareTook, timeGet(b, c, ep.bare, ep.path))
		} else {
			bareTook = append(bareTook, timeGet(b, c, ep.bare, ep.path))
			bridgeTook = append(bridgeTook, timeGet(b, c, ep.bridge, ep.path))
		}
	}
	bridge50, bridge99 := percentiles(bridgeTook)
	bare50, bare99 := percentiles(bareTook)
	b.ReportMetric(bridge50, "bridge-p50-ns")
	b.ReportMetric(bare50, "bare-p50-ns")
	b.ReportMetric(bridge99, "bridge-p99-ns")
	b.ReportMetric(bare99, "bare-p99-ns")
	b.ReportMetric(bridge50/bare50, "p50-ratio")
}

func timeGet(b *testing.B, c *http.Client, t target, path string) time.Duration {
	start := time.Now()
	if err := get(c, newGet(b, t, path)); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// get does one request and drains the body, so the connection is reused.
func get(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("status " + resp.Status)
	}
	return nil
}

// reportPercentiles adds p50 and p99 to the result line: ns/op is a mean,
// which hides the tail a page's long-poll loop feels.
func reportPercentiles(b *testing.B, took []time.Duration) {
	p50, p99 := percentiles(took)
	b.ReportMetric(p50, "p50-ns")
	b.ReportMetric(p99, "p99-ns")
}

// percentiles returns the p50 and p99 of took in nanoseconds, sorting it.
func percentiles(took []time.Duration) (p50, p99 float64) {
	if len(took) == 0 {
		return 0, 0
	}
	slices.Sort(took)
	at := func(p int) float64 { return float64(took[(len(took)-1)*p/100].Nanoseconds()) }
	return at(50), at(99)
}
