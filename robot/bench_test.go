package robot_test

// Job start overhead: what the robot adds to starting and finishing a child
// process, compared with os/exec alone on the same command and input.
// scripts/bench.sh runs these and prints the difference of the p50s.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"robotbridge/assets/samples"
	"robotbridge/robot"
)

// benchChildEnv switches the test binary into the helper child mode.
const benchChildEnv = "ROBOTBRIDGE_BENCH_CHILD"

// benchArgs are the input arguments of every benchmark job.
var benchArgs = map[string]any{"text": "hello", "number": 42}

// TestBenchChild is not a test: it is the body of the child process the
// benchmarks start (the test binary re-executed, as os/exec's tests do):
// the echo sample, which reads its input line, answers and exits. Normal
// runs skip it.
func TestBenchChild(t *testing.T) {
	if os.Getenv(benchChildEnv) != "1" {
		t.Skip("helper process for the benchmarks")
	}
	os.Exit(samples.Run("echo", os.Stdin, os.Stdout))
}

// benchChild is the command both sides run, and the robot holding it.
type benchChild struct {
	argv  []string
	input []byte // the input line the robot would write, for the bare side
	robot *robot.Robot
	pkg   *robot.Package
}

func newBenchChild(b *testing.B) *benchChild {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv(benchChildEnv, "1") // both sides' children inherit it

	r, err := robot.New(robot.Options{Self: exe})
	if err != nil {
		b.Fatal(err)
	}
	pkg := &robot.Package{
		Key: "bench-echo", Name: "bench-echo", Source: "bench",
		Command:               []string{robot.SelfExecutable, "-test.run=^TestBenchChild$"},
		AcceptsExtraArguments: true,
	}
	r.Install(pkg)
	return &benchChild{
		argv:  []string{exe, "-test.run=^TestBenchChild$"},
		input: inputLine(b),
		robot: r,
		pkg:   pkg,
	}
}

// inputLine is the first stdin line of a job, so the bare child does the
// same work as the robot's.
func inputLine(b *testing.B) []byte {
	line, err := json.Marshal(map[string]any{
		"type": "input", "jobId": "00000000-0000-4000-8000-000000000000",
		"arguments": benchArgs,
	})
	if err != nil {
		b.Fatal(err)
	}
	return append(line, '\n')
}

// BenchmarkJobStart times Robot.Start (it returns once the child process
// has started) against exec.Cmd.Start of the same command. Waiting for
// the child to end is left out of the timing.
func BenchmarkJobStart(b *testing.B) {
	c := newBenchChild(b)
	b.Run("robot", func(b *testing.B) {
		timeOps(b, func() (time.Duration, func()) {
			start := time.Now()
			job := c.start(b)
			return time.Since(start), func() { c.finish(b, job) }
		})
	})
	b.Run("bare", func(b *testing.B) {
		timeOps(b, func() (time.Duration, func()) {
			start := time.Now()
			cmd := c.bareStart(b)
			return time.Since(start), func() { bareWait(b, cmd) }
		})
	})
}

// BenchmarkJobRoundTrip times a whole job, start to ended with its output
// recorded, against exec.Cmd Start and Wait of the same command.
func BenchmarkJobRoundTrip(b *testing.B) {
	c := newBenchChild(b)
	b.Run("robot", func(b *testing.B) {
		timeOps(b, func() (time.Duration, func()) {
			start := time.Now()
			c.finish(b, c.start(b))
			return time.Since(start), nil
		})
	})
	b.Run("bare", func(b *testing.B) {
		timeOps(b, func() (time.Duration, func()) {
			start := time.Now()
			bareWait(b, c.bareStart(b))
			return time.Since(start), nil
		})
	})
}

// timeOps runs op b.N times. op returns how long its timed part took and
// an optional cleanup that runs with the benchmark timer stopped, so a
// child is always reaped before the next one starts.
func timeOps(b *testing.B, op func() (time.Duration, func())) {
	took := make([]time.Duration, 0, b.N)
	for range b.N {
		d, cleanup := op()
		took = append(took, d)
		if cleanup != nil {
			b.StopTimer()
			cleanup()
			b.StartTimer()
		}
	}
	reportPercentiles(b, took)
}

func (c *benchChild) start(b *testing.B) *robot.Job {
	job, err := c.robot.Start(robot.StartRequest{
		ProcessKey: c.pkg.Key, Arguments: benchArgs, Origin: "bench",
	})
	if err != nil {
		b.Fatal(err)
	}
	return job
}

// finish waits for the job and checks that the child really ran: a job
// that failed to start also "ends" quickly.
func (c *benchChild) finish(b *testing.B, job *robot.Job) {
	done := make(chan struct{})
	go func() { job.Wait(); close(done) }()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		b.Fatalf("job %s did not end within 10 s", job.ID)
	}
	if snap := job.Since(0); snap.State != robot.Successful || snap.Output["text"] != "hello" {
		b.Fatalf("job ended %s with output %v: %+v", snap.State, snap.Output, snap.Err)
	}
}

// bareStart starts the command with os/exec alone, feeding it the same
// input line.
func (c *benchChild) bareStart(b *testing.B) *exec.Cmd {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Stdin = bytes.NewReader(c.input)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return cmd
}

func bareWait(b *testing.B, cmd *exec.Cmd) {
	if err := cmd.Wait(); err != nil {
		b.Fatalf("bare child: %v", err)
	}
}

// reportPercentiles adds p50 and p99 to the result line; ns/op is a mean
// that one slow fork can skew.
func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p int) float64 { return float64(took[(len(took)-1)*p/100].Nanoseconds()) }
	b.ReportMetric(at(50), "p50-ns")
	b.ReportMetric(at(99), "p99-ns")
}
