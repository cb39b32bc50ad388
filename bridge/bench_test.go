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

// benchChildEnv switches the test binary into the helper child mode.
const benchChildEnv = "ROBOTBRIDGE_BENCH_CHILD"

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

// BenchmarkRequest compares each bridge endpoint with a bare handler in the
// same run, so machine noise hits both alike.
func BenchmarkRequest(b *testing.B) {
	s, jobID := benchServer(b)
	bridge := serveBridge(b, s)
	client := keepAliveClient(b)

	endpoints := []struct{ name, path string }{
		{"RobotProcesses", "/RobotProcesses"},
		// The job has ended, so JobStatus answers at once instead of holding.
		{"JobStatus", "/JobStatus?jobId=" + jobID},
	}
	for _, ep := range endpoints {
		body, ctype := fetchOnce(b, client, bridge, ep.path)
		bare := serveBare(b, body, ctype)
		b.Run(ep.name+"/bridge", func(b *testing.B) { benchGet(b, client, bridge, ep.path) })
		b.Run(ep.name+"/bare", func(b *testing.B) { benchGet(b, client, bare, ep.path) })
	}
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
		Command:               []string{robot.SelfExecutable, "-test.run=^TestBenchChild$"},
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
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	})}
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
		start := time.Now()
		if err := get(c, newGet(b, t, path)); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportPercentiles(b, took)
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
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p int) float64 { return float64(took[(len(took)-1)*p/100].Nanoseconds()) }
	b.ReportMetric(at(50), "p50-ns")
	b.ReportMetric(at(99), "p99-ns")
}
