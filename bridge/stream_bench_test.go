package bridge_test

// Event stream benchmarks (issue 8): fan-out latency to 200 subscribed
// clients, and what 1,000 idle clients cost. Reported, not asserted;
// scripts/bench.sh prints them.

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"robotbridge/bridge"
	"robotbridge/consent"
	"robotbridge/feed"
	"robotbridge/robot"
)

func streamServer(b *testing.B) (*httptest.Server, *feed.Log) {
	b.Helper()
	events := feed.New(1 << 16)
	r, err := robot.New(robot.Options{Self: os.Args[0], Feed: events})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(bridge.New(bridge.Config{Feed: events}, r,
		consent.NewGate([]string{approved})).APIHandler())
	b.Cleanup(srv.Close)
	return srv, events
}

func connectClients(b *testing.B, srv *httptest.Server, n int) []*websocket.Conn {
	b.Helper()
	url := "ws://" + strings.TrimPrefix(srv.URL, "http://") + "/events"
	h := http.Header{"Origin": {approved}, "Host": {"localhost:" + strconv.Itoa(port(srv.URL))}}
	d := websocket.Dialer{Subprotocols: []string{"robotbridge.events.v1"}}
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c, _, err := d.Dial(url, h)
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		c.WriteJSON(map[string]any{"type": "subscribe", "all": true})
		var ack map[string]any
		if err := c.ReadJSON(&ack); err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// BenchmarkStreamFanout publishes one event per op to 200 clients and
// reports the p99 of publish-to-receive latency over all deliveries.
func BenchmarkStreamFanout(b *testing.B) {
	srv, events := streamServer(b)
	conns := connectClients(b, srv, 200)

	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				// Only the publish time is read out of each message, so
				// the clients' own decoding (200 of them share these 2
				// cores with the server) does not count as delivery time.
				_, msg, err := c.ReadMessage()
				at, ok := publishedAt(msg)
				if err != nil || !ok {
					return
				}
				d := time.Since(at)
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
			}
		}()
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		events.Publish(feed.Event{Type: feed.JobStatus, JobID: "j", Origin: approved,
			Text: "tick", At: time.Now()})
		time.Sleep(2 * time.Millisecond) // 500 events/s to 200 clients, not a flood
	}
	events.Publish(feed.Event{Type: feed.JobState, JobID: "j", Origin: approved,
		State: "successful"}) // has no "tick": ends the readers
	wg.Wait()
	b.StopTimer()

	slices.Sort(latencies)
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkStreamIdle holds 1,000 subscribed clients for one second per
// op and reports the CPU the whole process used meanwhile.
func BenchmarkStreamIdle(b *testing.B) {
	srv, _ := streamServer(b)
	connectClients(b, srv, 1000)

	b.ResetTimer()
	before := cpuTime()
	for i := 0; i < b.N; i++ {
		time.Sleep(time.Second) // measuring idleness itself
	}
	used := cpuTime() - before
	b.ReportMetric(float64(used.Milliseconds())/float64(b.N), "cpu-ms/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// publishedAt finds the "at" time of a status event without decoding the
// whole message; anything else (the final state) reports false.
func publishedAt(msg []byte) (time.Time, bool) {
	s := string(msg)
	if !strings.Contains(s, `"text":"tick"`) {
		return time.Time{}, false
	}
	i := strings.Index(s, `"at":"`)
	if i < 0 {
		return time.Time{}, false
	}
	rest := s[i+6:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, rest[:j])
	return at, err == nil
}
