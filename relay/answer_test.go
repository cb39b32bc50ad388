package relay

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// The Orchestrator switches a webhook off for an hour when a delivery
// fails or is slow, so calls are answered before any work is done: with
// the relay's worker stuck on the first call, both deliveries of an
// event are still answered 202, and the redelivery is recognised once the
// worker goes on.
func TestWebhook_AnsweredBeforeWork(t *testing.T) {
	srv, err := New(Config{Secrets: [][]byte{[]byte("answer-secret-0123456789")},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}, 4), make(chan struct{})
	srv.hub.held = func() {
		entered <- struct{}{}
		<-release
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	body := []byte(`{"Type":"job.completed","EventId":"f2","Job":{"Id":1,"State":"Successful"}}`)
	for i := range 2 {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+WebhookPath,
			bytes.NewReader(body))
		req.Header.Set(SignatureHeader, Sign([]byte("answer-secret-0123456789"), body))
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delivery %d: status %d, want 202", i+1, resp.StatusCode)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("delivery %d answered after %s, want under 1 s", i+1, took)
		}
		if i == 0 {
			<-entered // the worker now holds the first call
		}
	}
	close(release)
	<-entered // the second call reached the worker...
	deadline := time.After(10 * time.Second)
	for srv.Stats().Duplicates != 1 {
		select { // ...and is recognised as a redelivery
		case <-deadline:
			t.Fatalf("Stats().Duplicates = %d, want 1", srv.Stats().Duplicates)
		case <-time.After(time.Millisecond):
		}
	}
}
