package relay_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"robotbridge/relay"
)

// f2 is a job completion as the Orchestrator delivers it.
var f2 = hookEvent{id: "412345678", typ: "job.completed", state: "Successful", job: 91234,
	folder: 7}

// Field report 18: a sender redelivers an event, and the Orchestrator
// sends one event per folder for one change. Each EventId is acted on
// once, even across a relay restart; the twin for folder 9 reaches
// nobody twice; every delivery is answered 2xx.
func TestWebhook_DuplicateEventId_ProcessedOnce(t *testing.T) {
	r := startRelay(t, relay.Config{StateDir: t.TempDir()}, nil)
	tok, entry := subscriberToken(t, "desk")
	tok9, entry9 := subscriberToken(t, "desk-folder9")
	r.cfg.Tokens = []relay.Token{entry, entry9}
	r.restart()
	all, only9 := newSink(), newSink()
	r.subscribe(t, tok, 1, nil, all)
	r.subscribe(t, tok9, 1, []int64{9}, only9)
	all.waitUp(t, true)
	only9.waitUp(t, true)

	r.mustPost(f2.body())
	r.mustPost(f2.body()) // redelivered
	if e := all.next(t); e.EventID != f2.id || e.State != "Successful" || e.JobID != f2.job {
		t.Fatalf("event = %+v, want job %d Successful from %s", e, f2.job, f2.id)
	}

	// The same completion for folder 9 under its own EventId: the
	// all-folders subscriber had it already, the folder-9 one gets it now.
	twin := f2
	twin.id, twin.folder = "412345679", 9
	r.mustPost(twin.body())
	if e := only9.next(t); e.EventID != twin.id || e.FolderID != 9 {
		t.Fatalf("folder 9 subscriber got %+v, want the folder 9 twin", e)
	}
	r.mustPost(twin.body()) // and it too is redelivered

	// After a restart the relay still knows both ids.
	r.restart()
	all.waitUp(t, false)
	all.waitUp(t, true)
	only9.waitUp(t, true)
	r.mustPost(f2.body())
	r.mustPost(twin.body())

	marker := hookEvent{id: "marker-1", typ: "job.started", state: "Running", job: 5, folder: 9}
	r.mustPost(marker.body())
	if e := all.next(t); e.EventID != marker.id {
		t.Fatalf("after the restart the all-folders subscriber got %+v, want only %s", e,
			marker.id)
	}
	if e := only9.next(t); e.EventID != marker.id {
		t.Fatalf("after the restart the folder 9 subscriber got %+v, want only %s", e,
			marker.id)
	}
	all.none(t)
	only9.none(t)
	if st := r.srv.Stats(); st.Duplicates != 2 {
		t.Errorf("Stats().Duplicates after the restart = %d, want 2 (f2 and its twin)",
			st.Duplicates)
	}
}

// Every way a call can be wrong is refused before it is parsed, with
// the status that says why, and nothing is forwarded.
func TestWebhook_BadCalls_Refused(t *testing.T) {
	r := startRelay(t, relay.Config{MaxBody: 64 << 10}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()
	s := newSink()
	r.subscribe(t, tok, 0, nil, s)
	s.waitUp(t, true)

	good := hookEvent{id: "e-1", typ: "job.completed", state: "Successful", job: 1}.body()
	big := append(good[:len(good)-1:len(good)-1], []byte(`,"Pad":"`+
		strings.Repeat("x", 2<<20)+`"}`)...)
	cases := []struct {
		name   string
		body   []byte
		header string // the signature header; "sign" signs with testSecret
		want   int
	}{
		{"missing signature", good, "", 401},
		{"bad signature", good, relay.Sign([]byte("another-secret-0000000"), good), 401},
		{"not base64", good, "%%%", 401},
		{"signature of another body", good, relay.Sign([]byte(testSecret), []byte("{}")), 401},
		{"megabytes", big, "sign", 413},
		{"not JSON", []byte("not json"), "sign", 400},
		{"no EventId", []byte(`{"Type":"job.completed","Job":{"Id":1}}`), "sign", 400},
		{"EventId with a newline", []byte(`{"Type":"job.started","EventId":"a\nb",` +
			`"Job":{"Id":1,"State":"Running"}}`), "sign", 400},
		{"job event without job", []byte(`{"Type":"job.started","EventId":"x"}`), "sign", 400},
		{"state with spaces", []byte(`{"Type":"job.started","EventId":"y",` +
			`"Job":{"Id":1,"State":"Running fast"}}`), "sign", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", r.webhookURL(), bytes.NewReader(c.body))
			h := c.header
			if h == "sign" {
				h = relay.Sign([]byte(testSecret), c.body)
			}
			if h != "" {
				req.Header.Set(relay.SignatureHeader, h)
			}
			resp, err := r.httpClient().Do(req)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	// A signed ping is answered and not forwarded; then a good call is.
	if got := r.post([]byte(`{"Type":"ping","EventId":"p-1","TenantId":1}`),
		testSecret); got != http.StatusAccepted {
		t.Errorf("ping: status %d, want 202", got)
	}
	r.mustPost(hookEvent{id: "ok", typ: "job.started", state: "Running", job: 2}.body())
	if e := s.next(t); e.EventID != "ok" {
		t.Fatalf("first forwarded event is %q, want only the good call %q", e.EventID, "ok")
	}
}

// A body larger than the cap sent without Content-Length (chunked) is
// cut off at the cap, not read to the end.
func TestWebhook_ChunkedMegabytes_Bounded(t *testing.T) {
	r := startRelay(t, relay.Config{MaxBody: 64 << 10}, nil)
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for i := 0; i < 64; i++ { // 2 MiB unless the relay stops reading
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", r.webhookURL(), pr)
	req.Header.Set(relay.SignatureHeader, "irrelevant")
	resp, err := r.httpClient().Do(req)
	if err != nil {
		t.Fatalf("POST chunked: %v", err)
	}
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	if got := r.srv.Stats().RefusedSize; got != 1 {
		t.Errorf("Stats().RefusedSize = %d, want 1", got)
	}
}

// Sources outside the allowlist are refused; X-Forwarded-For counts only
// when a trusted proxy sends it.
func TestWebhook_SourceAllowlist(t *testing.T) {
	only := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }
	body := hookEvent{id: "src", typ: "job.started", state: "Running", job: 3}.body()
	cases := []struct {
		name           string
		allow, trusted []netip.Prefix
		xff            string
		want           int
	}{
		{"no allowlist admits all", nil, nil, "", 202},
		{"loopback allowed", only("127.0.0.0/8"), nil, "", 202},
		{"loopback not allowed", only("203.0.113.0/24"), nil, "", 403},
		{"forged X-Forwarded-For ignored", only("203.0.113.0/24"), nil, "203.0.113.5", 403},
		{"trusted proxy forwards an allowed client", only("203.0.113.0/24"),
			only("127.0.0.1/32"), "203.0.113.5", 202},
		{"trusted proxy forwards a client not allowed", only("203.0.113.0/24"),
			only("127.0.0.1/32"), "198.51.100.7", 403},
		{"the nearest untrusted hop counts", only("203.0.113.0/24"),
			only("127.0.0.1/32"), "203.0.113.5, 198.51.100.7", 403},
		{"garbage from a trusted proxy", nil, only("127.0.0.1/32"), "not-an-ip", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := startRelay(t, relay.Config{Allow: c.allow, TrustedProxies: c.trusted}, nil)
			req, _ := http.NewRequest("POST", r.webhookURL(), bytes.NewReader(body))
			req.Header.Set(relay.SignatureHeader, relay.Sign([]byte(testSecret), body))
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			resp, err := r.httpClient().Do(req)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
}

// Events that would move a job backwards (a late job.started after its
// completion) are not forwarded; the order per job holds.
func TestWebhook_LateEvent_NotForwarded(t *testing.T) {
	r := startRelay(t, relay.Config{}, nil)
	tok, entry := subscriberToken(t, "desk")
	r.cfg.Tokens = []relay.Token{entry}
	r.restart()
	s := newSink()
	r.subscribe(t, tok, 0, nil, s)
	s.waitUp(t, true)

	at := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	r.mustPost(hookEvent{id: "c", typ: "job.completed", state: "Successful", job: 8,
		at: at.Add(3 * time.Second)}.body())
	r.mustPost(hookEvent{id: "s", typ: "job.started", state: "Running", job: 8,
		at: at.Add(time.Second)}.body())
	r.mustPost(hookEvent{id: "next", typ: "job.created", state: "Pending", job: 9}.body())
	for _, want := range []string{"c", "next"} {
		if e := s.next(t); e.EventID != want {
			t.Fatalf("event %q, want %q (the late job.started dropped)", e.EventID, want)
		}
	}
	if st := r.srv.Stats(); st.Stale != 1 {
		t.Errorf("Stats().Stale = %d, want 1", st.Stale)
	}
}

// A client that trickles its request headers is cut off by the header
// timeout while other calls are served at once.
func TestWebhook_Slowloris_Bounded(t *testing.T) {
	r := startRelay(t, relay.Config{ReadHeaderTimeout: 300 * time.Millisecond,
		ReadTimeout: 600 * time.Millisecond}, nil)
	slow := make([]net.Conn, 20)
	for i := range slow {
		c, err := net.Dial("tcp", r.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("POST /webhook HTTP/1.1\r\nHost: x\r\n")); err != nil {
			t.Fatal(err)
		}
		slow[i] = c
	}
	// A slow body: headers complete, the body never comes.
	slowBody, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowBody.Close()
	_, _ = slowBody.Write([]byte("POST /webhook HTTP/1.1\r\nHost: x\r\n" +
		"Content-Length: 100\r\n\r\n{"))

	start := time.Now()
	r.mustPost(hookEvent{id: "fast", typ: "job.started", state: "Running", job: 4}.body())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a good call took %s while slow clients held connections", took)
	}
	for i, c := range append(slow, slowBody) {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("slow client %d: the relay did not close the connection: %v", i, err)
		}
	}
}
