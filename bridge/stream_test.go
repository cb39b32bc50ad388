package bridge_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"robotbridge/bridge"
	"robotbridge/consent"
	"robotbridge/feed"
)

func streamFixture(t *testing.T, cfg bridge.Config, gate bridge.Authorizer) (*fixture, *feed.Log) {
	f, events, _ := streamFixtureServer(t, cfg, gate)
	return f, events
}

func streamFixtureServer(t *testing.T, cfg bridge.Config,
	gate bridge.Authorizer) (*fixture, *feed.Log, *bridge.Server) {
	t.Helper()
	events := feed.New(4096)
	cfg.Feed = events
	f := newFixtureWithGate(t, cfg, gate)
	return f, events, f.bridge
}

// dial opens the event stream as a page from origin would.
func dial(t *testing.T, f *fixture, origin string, protocols []string,
	query string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	url := "ws://" + strings.TrimPrefix(f.api.URL, "http://") + "/events" + query
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	h.Set("Host", "localhost:"+strconv.Itoa(port(f.api.URL)))
	d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(url, h)
	if conn != nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, resp, err
}

type streamMsg struct {
	Type, JobID, State, Text, Name, Payload, Message string
	Seq                                              uint64
	Output                                           map[string]any
}

// collect reads messages until one satisfies done, with a deadline.
func collect(t *testing.T, conn *websocket.Conn, done func(streamMsg) bool) []streamMsg {
	t.Helper()
	var got []streamMsg
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m streamMsg
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("reading the stream: %v (after %d messages)", err, len(got))
		}
		m.Text = m.Text[:min(len(m.Text), 80)] // keep failure output short
		got = append(got, m)
		if done(m) {
			return got
		}
	}
}

func TestStream_DeliversAJobsStatesStatusesAndEventsInOrderOnce(t *testing.T) {
	f, _ := streamFixture(t, bridge.Config{}, consent.NewGate([]string{approved}))
	conn, resp, err := dial(t, f, approved, []string{"robotbridge.events.v1"}, "")
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	if conn.Subprotocol() != "robotbridge.events.v1" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}

	id := f.invoke("events", "")
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "jobId": id}); err != nil {
		t.Fatal(err)
	}
	got := collect(t, conn, func(m streamMsg) bool { return m.Type == "job.state" && m.State == "successful" })

	var seen []string
	var lastSeq uint64
	for _, m := range got {
		if m.Type == "ack" {
			continue
		}
		if m.Seq <= lastSeq {
			t.Fatalf("events out of order or repeated: %+v", got)
		}
		lastSeq = m.Seq
		switch m.Type {
		case "job.state":
			seen = append(seen, "state:"+m.State)
		case "job.status":
			seen = append(seen, "status:"+m.Text)
		case "job.event":
			seen = append(seen, "event:"+m.Name+"="+m.Payload)
		case "job.output":
			seen = append(seen, "output")
		}
	}
	want := "state:pending|state:running|status:Step 1 of 3: reading|event:progress=33|" +
		"status:Step 2 of 3: checking|event:progress=66|status:Step 3 of 3: writing|" +
		`event:progress=100|event:summary={"ok":true,"steps":3}|output|state:successful`
	if strings.Join(seen, "|") != want {
		t.Fatalf("stream\n got %s\nwant %s", strings.Join(seen, "|"), want)
	}
}

func TestStream_AttacksAreRefusedBeforeTheUpgrade(t *testing.T) {
	site := "https://app.example.com"
	gate := consent.NewGate([]string{approved})
	f, _ := streamFixture(t, bridge.Config{}, gate)
	proto := []string{"robotbridge.events.v1"}

	cases := map[string]struct {
		origin, query string
		protocols     []string
		status        int
	}{
		"unapproved origin (CSWSH)": {"https://evil.example", "", proto, 401},
		"wrong token":               {site, "", append(proto, "token.forged"), 401},
		"no origin":                 {"", "", proto, 403},
		"null origin":               {"null", "", proto, 403},
		"token in the URL":          {approved, "?token=abc", proto, 400},
		"no subprotocol":            {approved, "", nil, 400},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			conn, resp, err := dial(t, f, c.origin, c.protocols, c.query)
			if err == nil || conn != nil {
				t.Fatal("the upgrade succeeded")
			}
			if resp == nil || resp.StatusCode != c.status {
				t.Fatalf("got %v, want %d", resp, c.status)
			}
		})
	}
}

func TestStream_TokenAsSubprotocolAndOnlyOwnJobs(t *testing.T) {
	gate := consent.NewGate([]string{approved})
	f, _ := streamFixture(t, bridge.Config{}, gate)
	site := "https://app.example.com"
	f.do(f.discovery, "GET", "/GetPort?consentCode=123456", site, "")
	if _, err := gate.Approve("123456", ""); err != nil {
		t.Fatal(err)
	}
	token := f.do(f.discovery, "GET", "/GetPort?consentCode=123456", site, "").header.Get("uipathToken")

	conn, resp, err := dial(t, f, site, []string{"robotbridge.events.v1", "token." + token}, "")
	if err != nil {
		t.Fatalf("dial with the token: %v %v", err, resp)
	}
	if strings.Contains(conn.Subprotocol(), token) {
		t.Fatal("the server echoed the token back")
	}
	conn.WriteJSON(map[string]any{"type": "subscribe", "all": true})
	collect(t, conn, func(m streamMsg) bool { return m.Type == "ack" })

	other := f.invoke("echo", "") // started by the approved test origin, not by site
	mine := f.do(f.api, "POST", "/InvokeRobot?robotProcessId="+f.keys["events"], site, "",
		"uipathToken", token)
	if mine.status != 200 {
		t.Fatalf("invoke with token: %d", mine.status)
	}
	got := collect(t, conn, func(m streamMsg) bool { return m.State == "successful" })
	for _, m := range got {
		if m.JobID == other {
			t.Fatalf("another site's job leaked into the stream: %+v", m)
		}
	}
}

// A client that stops reading is dropped; the others keep getting every
// event, so one slow page cannot hold up the rest.
func TestStream_SlowConsumerDoesNotHoldUpOthers(t *testing.T) {
	f, events, server := streamFixtureServer(t, bridge.Config{StreamWriteTimeout: time.Second},
		consent.NewGate([]string{approved}))
	proto := []string{"robotbridge.events.v1"}
	stuck, _, err := dial(t, f, approved, proto, "")
	if err != nil {
		t.Fatal(err)
	}
	stuck.WriteJSON(map[string]any{"type": "subscribe", "all": true})
	reader, _, err := dial(t, f, approved, proto, "")
	if err != nil {
		t.Fatal(err)
	}
	reader.WriteJSON(map[string]any{"type": "subscribe", "all": true})
	collect(t, reader, func(m streamMsg) bool { return m.Type == "ack" })

	big := strings.Repeat("x", 8<<10)
	const n = 2000 // 16 MiB for the stuck client: far beyond socket buffers
	go func() {
		for i := 0; i < n; i++ {
			events.Publish(feed.Event{Type: feed.JobStatus, JobID: "j", Origin: approved,
				Text: big})
		}
		events.Publish(feed.Event{Type: feed.JobState, JobID: "j", Origin: approved,
			State: "successful"})
	}()
	statuses := 0
	collect(t, reader, func(m streamMsg) bool {
		if m.Type == "job.status" {
			statuses++
		}
		return m.State == "successful"
	})
	if statuses != n { // n is below the ring's size, so nothing may be dropped
		t.Fatalf("the reading client got %d of %d events", statuses, n)
	}

	deadline := time.Now().Add(30 * time.Second)
	for server.StreamClients() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the server kept a client that stopped reading (%d clients)",
				server.StreamClients())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Reading now drains what the kernel buffered; then the connection must
	// end because the server dropped it, not because our deadline passed.
	stuck.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := stuck.ReadMessage()
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the server kept a client that stopped reading")
		}
		break
	}
}

// Found by the client e2e tests: subscribing to a job on a socket that
// already follows others still delivers that job's earlier events.
func TestStream_LateJobSubscriptionReplaysItsEvents(t *testing.T) {
	f, _ := streamFixture(t, bridge.Config{}, consent.NewGate([]string{approved}))
	conn, _, err := dial(t, f, approved, []string{"robotbridge.events.v1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	conn.WriteJSON(map[string]any{"type": "subscribe", "jobId": "none-such"})
	collect(t, conn, func(m streamMsg) bool { return m.Type == "ack" })

	id := f.invoke("echo", "")
	f.untilDone(id)
	conn.WriteJSON(map[string]any{"type": "subscribe", "jobId": id})
	got := collect(t, conn, func(m streamMsg) bool { return m.State == "successful" })
	states := 0
	for _, m := range got {
		if m.JobID == id && m.Type == "job.state" {
			states++
		}
	}
	if states != 3 { // pending, running, successful
		t.Fatalf("replayed %d state events of the job, want 3", states)
	}
}

// Resuming after a position the engine never reached (it restarted) gets
// a resync instead of silence.
func TestStream_ResumeBeyondTheEndIsAResync(t *testing.T) {
	f, _ := streamFixture(t, bridge.Config{}, consent.NewGate([]string{approved}))
	conn, _, err := dial(t, f, approved, []string{"robotbridge.events.v1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	conn.WriteJSON(map[string]any{"type": "subscribe", "all": true, "after": 1000000})
	collect(t, conn, func(m streamMsg) bool { return m.Type == "resync" })
}
