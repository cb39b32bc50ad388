package relay_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"robotbridge/relay"
)

// BenchmarkRelayLoad sends signed webhook calls at RELAY_BENCH_RATE per
// second (default 1,000) over HTTPS to a relay running as its own
// process, with RELAY_BENCH_SUBSCRIBERS real Subscribers (default 200)
// connected over TLS. Each b.N is one second of load: run it with
// -benchtime 5x for five seconds. It reports the delivery latency (from
// the call's Timestamp, set when it is sent, to its arrival at a
// subscriber) over every event and subscriber, the time to answer a call,
// the calls per second achieved, the relay's RSS and peak RSS, and the
// load average, which says how busy the machine was. Linux only (/proc).
func BenchmarkRelayLoad(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc to read the relay's memory")
	}
	rate, nsubs := envInt("RELAY_BENCH_RATE", 1000), envInt("RELAY_BENCH_SUBSCRIBERS", 200)
	certs := newTestCerts(b)
	child, toks := startRelayChild(b, certs, nsubs)
	load0 := loadAvg()
	relayCPU0, selfCPU0 := procCPU(child.cmd.Process.Pid), selfCPU()

	subs := startBenchSubscribers(b, child.addr, certs, toks, rate*b.N)
	b.ResetTimer()
	start := time.Now()
	sent := sendLoad(b, child.addr, certs, rate, b.N)
	sending := time.Since(start)
	want := sent.accepted.Load() * int64(nsubs)
	waitForDeliveries(b, subs, want)
	b.StopTimer()

	rss, peak := procMemKB(child.cmd.Process.Pid)
	relayCPU := procCPU(child.cmd.Process.Pid) - relayCPU0
	benchCPU := selfCPU() - selfCPU0
	lat := subs.latencies()
	b.ReportMetric(float64(sent.accepted.Load())/sending.Seconds(), "calls/s")
	b.ReportMetric(pct(lat, 50), "p50-delivery-ms")
	b.ReportMetric(pct(lat, 99), "p99-delivery-ms")
	b.ReportMetric(pct(lat, 100), "max-delivery-ms")
	b.ReportMetric(pct(sent.answers(), 99), "p99-answer-ms")
	b.ReportMetric(100*float64(subs.received.Load())/float64(max(want, 1)), "delivered-%")
	b.ReportMetric(float64(rss)/1024, "relay-rss-MB")
	b.ReportMetric(float64(peak)/1024, "relay-peak-MB")
	b.ReportMetric(loadAvg(), "loadavg-1m")
	b.ReportMetric(relayCPU.Seconds()/sending.Seconds(), "relay-cpu-cores")
	b.Logf("%d calls sent (%d refused or failed) in %s to %d subscribers; load average "+
		"%.2f before, %.2f after; %d reconnections; CPU: relay %s, this process "+
		"(sender and subscribers) %s", sent.total.Load(),
		sent.total.Load()-sent.accepted.Load(), sending.Round(time.Millisecond), nsubs,
		load0, loadAvg(), subs.reconnects.Load(), relayCPU, benchCPU)
}

type relayChild struct {
	cmd  *exec.Cmd
	addr string
}

// startRelayChild runs the relay helper process with nsubs tokens.
func startRelayChild(b *testing.B, certs *testCerts, nsubs int) (*relayChild, []string) {
	dir := b.TempDir()
	var lines, toks []string
	for i := range nsubs {
		tok, line, err := relay.NewToken(fmt.Sprintf("sub-%03d", i))
		if err != nil {
			b.Fatal(err)
		}
		toks, lines = append(toks, tok), append(lines, line)
	}
	tokFile := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokFile, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "RELAY_CHILD_SECRET="+testSecret,
		"RELAY_CHILD_TOKENS="+tokFile, "RELAY_CHILD_STATE="+filepath.Join(dir, "state"),
		"RELAY_CHILD_CERT="+certs.certFile, "RELAY_CHILD_KEY="+certs.keyFile)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child stops when its stdin closes
		_ = cmd.Wait()
		if stderr.Len() > 0 {
			b.Logf("relay process output:\n%s", stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		b.Fatalf("relay process did not start: %q %v", line, err)
	}
	return &relayChild{cmd: cmd, addr: addr}, toks
}

// benchSubs are the subscribers and what they received.
type benchSubs struct {
	received, reconnects atomic.Int64
	lat                  [][]float64 // per subscriber, ms; each written by its Run only
	stop                 func()
}

func startBenchSubscribers(b *testing.B, addr string, certs *testCerts, toks []string,
	expect int) *benchSubs {
	s := &benchSubs{lat: make([][]float64, len(toks))}
	ctx, cancel := context.WithCancel(context.Background())
	var wg, up sync.WaitGroup
	for i, tok := range toks {
		s.lat[i] = make([]float64, 0, expect)
		up.Add(1)
		var once sync.Once
		var first atomic.Bool
		sink := relay.Sink{Event: func(e relay.JobEvent) {
			s.lat[i] = append(s.lat[i], float64(time.Since(e.At).Microseconds())/1000)
			s.received.Add(1)
		}, Up: func(u bool) {
			if u && !first.CompareAndSwap(false, true) {
				s.reconnects.Add(1)
			}
			if u {
				once.Do(up.Done)
			}
		}}
		sub, err := relay.NewSubscriber(relay.SubscriberConfig{URL: "wss://" + addr +
			relay.SubscribePath, Token: tok, Sink: sink, TLS: &tls.Config{RootCAs: certs.pool},
			MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub.Run(ctx)
		}()
	}
	s.stop = func() {
		cancel()
		wg.Wait()
	}
	b.Cleanup(s.stop)
	waited := make(chan struct{})
	go func() {
		up.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-time.After(60 * time.Second):
		b.Fatalf("subscribers not all connected within 60 s")
	}
	return s
}

func (s *benchSubs) latencies() []float64 {
	s.stop() // the slices are ours now
	var all []float64
	for _, l := range s.lat {
		all = append(all, l...)
	}
	return all
}

func waitForDeliveries(b *testing.B, s *benchSubs, want int64) {
	deadline := time.Now().Add(30 * time.Second)
	for s.received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

// loadResult is what the sender saw.
type loadResult struct {
	total, accepted atomic.Int64
	mu              sync.Mutex
	answerMS        []float64
}

func (r *loadResult) answers() []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answerMS
}

// sendLoad sends rate calls per second for seconds seconds, paced every
// 10 ms, from a pool of workers over kept-alive HTTPS connections; the
// calls are queued on time whether or not earlier ones were answered.
func sendLoad(b *testing.B, addr string, certs *testCerts, rate, seconds int) *loadResult {
	const workers = 64
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil,
		TLSClientConfig: &tls.Config{RootCAs: certs.pool}, MaxIdleConnsPerHost: workers}}
	res := &loadResult{}
	calls := make(chan int, rate*seconds)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				res.send(client, addr, i)
			}
		}()
	}
	// Every 10 ms, queue the calls due by then: a late tick (a busy
	// machine) catches up instead of lowering the rate.
	tick := time.NewTicker(10 * time.Millisecond)
	start, n, total := time.Now(), 0, rate*seconds
	for n < total {
		<-tick.C
		due := min(int(time.Since(start).Seconds()*float64(rate)), total)
		for ; n < due; n++ {
			calls <- n
		}
	}
	tick.Stop()
	close(calls)
	wg.Wait()
	return res
}

func (r *loadResult) send(c *http.Client, addr string, i int) {
	body := []byte(fmt.Sprintf(`{"Type":"job.started","EventId":"bench-%d","Timestamp":%q,`+
		`"TenantId":1,"OrganizationUnitId":7,"Job":{"Id":%d,"State":"Running"}}`, i,
		time.Now().UTC().Format(time.RFC3339Nano), i+1))
	req, _ := http.NewRequest("POST", "https://"+addr+relay.WebhookPath, bytes.NewReader(body))
	req.Header.Set(relay.SignatureHeader, relay.Sign([]byte(testSecret), body))
	start := time.Now()
	resp, err := c.Do(req)
	took := float64(time.Since(start).Microseconds()) / 1000
	r.total.Add(1)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusAccepted {
		r.accepted.Add(1)
	}
	r.mu.Lock()
	r.answerMS = append(r.answerMS, took)
	r.mu.Unlock()
}

// pct is the p-th percentile (100: the maximum).
func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(float64(len(v)-1) * p / 100)
	return v[i]
}

// procMemKB reads VmRSS and VmHWM of a process.
func procMemKB(pid int) (rss, peak int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				rss = v
			} else {
				peak = v
			}
		}
	}
	return rss, peak
}

// procCPU is the user and system CPU time of a process.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the ")" that ends the command name: utime is the 12th.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	return v
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
