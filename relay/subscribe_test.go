package relay_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"robotbridge/relay"
)

// dialRaw opens a subscriber websocket by hand.
func dialRaw(t testing.TB, r *testRelay, url string, header http.Header,
	protocols ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	if protocols == nil {
		protocols = []string{relay.Protocol}
	}
	d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 10 * time.Second}
	if r.certs != nil {
		d.TLSClientConfig = &tls.Config{RootCAs: r.certs.pool}
	}
	return d.Dial(url, header)
}

func bearerHeader(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

// Connections without the right token, with the token in the URL, from
// a web page or without the subprotocol are refused before the upgrade.
func TestSubscribe_Refusals(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()
	cases := []struct {
		name      string
		url       string
		header    http.Header
		protocols []string
		want      int
	}{
		{"no token", r.subscribeURL(), nil, nil, 401},
		{"wrong token", r.subscribeURL(), bearerHeader(tok + "x"), nil, 401},
		{"token of another relay", r.subscribeURL(), bearerHeader("rbr_" +
			strings.Repeat("A", 43)), nil, 401},
		{"token in the URL", r.subscribeURL() + "?token=" + tok, nil, nil, 400},
		{"web page", r.subscribeURL(), http.Header{"Authorization": {"Bearer " + tok},
			"Origin": {"https://evil.example"}}, nil, 403},
		{"no subprotocol", r.subscribeURL(), bearerHeader(tok), []string{"other"}, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, resp, err := dialRaw(t, r, c.url, c.header, c.protocols...)
			if err == nil {
				conn.Close()
				t.Fatalf("dial succeeded, want status %d", c.want)
			}
			if resp == nil || resp.StatusCode != c.want {
				t.Fatalf("dial: %v (response %v), want status %d", err, resp, c.want)
			}
		})
	}
	if got := r.srv.Stats().RefusedToken; got != 3 {
		t.Errorf("Stats().RefusedToken = %d, want 3", got)
	}
}

// A token limited to a tenant cannot subscribe to another, and sees only
// its tenant's events when it subscribes to "every tenant".
func TestSubscribe_TenantLimit(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	tok, entry := subscriberToken(t, "tenant2", 2)
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()

	conn, _, err := dialRaw(t, r, r.subscribeURL(), bearerHeader(tok))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.WriteJSON(map[string]any{"type": "subscribe", "tenantId": 1})
	var m struct{ Type, Message string }
	if err := conn.ReadJSON(&m); err != nil || m.Type != "error" ||
		!strings.Contains(m.Message, "tenant 1") {
		t.Fatalf("subscribe to tenant 1: got %+v (%v), want an error naming tenant 1", m, err)
	}

	// Changing the subscription to a tenant it may not see ends it.
	ok := subscribeRaw(t, r, tok, "", 0)
	_ = ok.conn.WriteJSON(map[string]any{"type": "subscribe", "tenantId": 1})
	_, _, err = ok.conn.ReadMessage()
	var closed *websocket.CloseError
	if !errors.As(err, &closed) || !strings.Contains(closed.Text, "tenant 1") {
		t.Fatalf("re-subscribe to tenant 1: read = %v, want a close naming tenant 1", err)
	}

	s := newSink()
	r.subscribe(t, tok, 0, nil, s)
	s.waitUp(t, true)
	r.mustPost(hookEvent{id: "t1", typ: "job.started", state: "Running", job: 1, tenant: 1}.body())
	r.mustPost(hookEvent{id: "t2", typ: "job.started", state: "Running", job: 2, tenant: 2}.body())
	if e := s.next(t); e.EventID != "t2" {
		t.Fatalf("event %q, want only tenant 2's %q", e.EventID, "t2")
	}
}

// A subscriber that never reads is cut off when its buffer fills, while
// another subscriber gets every event, and the relay keeps answering;
// over TLS too, where closing a connection could block on its writes.
func TestSubscribe_NeverReading_CutOffOthersNotSlowed(t *testing.T) {
	t.Run("plain", func(t *testing.T) { neverReading(t, nil) })
	t.Run("TLS", func(t *testing.T) { neverReading(t, newTestCerts(t)) })
}

func neverReading(t *testing.T, certs *testCerts) {
	r := startRelay(t, relay.Config{Buffer: 1024}, certs)
	tokGood, good := subscriberToken(t, "good")
	tokBad, bad := subscriberToken(t, "never-reads")
	r.cfg.Tokens = []relay.Token{good, bad}
	r.restart()
	s := newSink()
	r.subscribe(t, tokGood, 0, nil, s)
	s.waitUp(t, true)

	// The bad one subscribes, reads the hello, then never reads again.
	conn, _, err := dialRaw(t, r, r.subscribeURL(), bearerHeader(tokBad))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "subscribe"}); err != nil {
		t.Fatal(err)
	}
	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("hello: %v %v", hello, err)
	}

	const n = 1500 // the bad one's buffer overflows; the good one keeps up
	for i := range n {
		r.mustPost(hookEvent{id: fmt.Sprintf("n-%d", i), typ: "job.started",
			state: "Running", job: int64(1000 + i)}.body())
	}
	for i := range n {
		if e := s.next(t); e.EventID != fmt.Sprintf("n-%d", i) {
			t.Fatalf("event %d is %q, want n-%d", i, e.EventID, i)
		}
	}
	waitFor(t, "the never-reading subscriber cut off", func() bool {
		return r.srv.Stats().CutOff == 1 && r.srv.Stats().Subscribers == 1
	})
}

// A subscriber that comes back resumes after the last event it
// acknowledged: events sent while it was away arrive, none twice.
func TestSubscribe_Reconnect_ResumesOnce(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()

	first := subscribeRaw(t, r, tok, "", 0)
	r.mustPost(hookEvent{id: "a", typ: "job.started", state: "Running", job: 1}.body())
	r.mustPost(hookEvent{id: "b", typ: "job.started", state: "Running", job: 2}.body())
	evs := readEvents(t, first.conn, 2)
	ack(t, first.conn, evs[0].Seq) // b arrived but was not acknowledged
	first.conn.Close()
	waitFor(t, "disconnect seen", func() bool { return r.srv.Stats().Subscribers == 0 })

	r.mustPost(hookEvent{id: "c", typ: "job.started", state: "Running", job: 3}.body())
	again := subscribeRaw(t, r, tok, first.epoch, evs[0].Seq)
	if !again.resumed {
		t.Fatalf("hello after reconnecting: not resumed, want resumed")
	}
	got := readEvents(t, again.conn, 2)
	if got[0].EventID != "b" || got[1].EventID != "c" {
		t.Fatalf("after resuming got %s, %s; want b, c", got[0].EventID, got[1].EventID)
	}
}

// A subscriber away for more events than its buffer holds cannot resume:
// it is told so, and polls.
func TestSubscribe_BufferOverflow_NotResumed(t *testing.T) {
	r := startRelay(t, relay.Config{Buffer: 4}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()
	first := subscribeRaw(t, r, tok, "", 0)
	first.conn.Close()
	waitFor(t, "disconnect seen", func() bool { return r.srv.Stats().Subscribers == 0 })
	for i := range 10 {
		r.mustPost(hookEvent{id: fmt.Sprintf("o-%d", i), typ: "job.started",
			state: "Running", job: int64(i + 1)}.body())
	}
	waitFor(t, "events forwarded", func() bool { return r.srv.Stats().Forwarded == 10 })
	again := subscribeRaw(t, r, tok, first.epoch, 0)
	if again.resumed {
		t.Fatalf("resumed after losing 6 of 10 events, want not resumed")
	}
}

type rawSub struct {
	conn    *websocket.Conn
	epoch   string
	resumed bool
}

func subscribeRaw(t testing.TB, r *testRelay, tok, epoch string, after uint64) rawSub {
	t.Helper()
	conn, _, err := dialRaw(t, r, r.subscribeURL(), bearerHeader(tok))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "epoch": epoch,
		"after": after}); err != nil {
		t.Fatal(err)
	}
	var hello struct {
		Type, Epoch string
		Resumed     bool
	}
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Fatalf("hello: %+v %v", hello, err)
	}
	return rawSub{conn: conn, epoch: hello.Epoch, resumed: hello.Resumed}
}

func readEvents(t testing.TB, conn *websocket.Conn, n int) []relay.JobEvent {
	t.Helper()
	var out []relay.JobEvent
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for len(out) < n {
		var m struct {
			Type   string
			Events []relay.JobEvent
		}
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read events: %v (have %d of %d)", err, len(out), n)
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Events...)
	}
	return out
}

func ack(t testing.TB, conn *websocket.Conn, seq uint64) {
	t.Helper()
	if err := conn.WriteJSON(map[string]any{"type": "ack", "seq": seq}); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

// A subscriber message larger than the relay reads is refused with the
// connection; the relay holds no more of it than its read limit.
func TestSubscribe_HugeMessage_Closed(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()
	sub := subscribeRaw(t, r, tok, "", 0)
	big := `{"type":"ack","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	_ = sub.conn.WriteMessage(websocket.TextMessage, []byte(big))
	_ = sub.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, _, err := sub.conn.ReadMessage(); err == nil {
		t.Fatalf("read after a 1 MiB message: no error, want the connection closed")
	}
	waitFor(t, "session ended", func() bool { return r.srv.Stats().Subscribers == 0 })
}
