package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"robotbridge/feed"
	"robotbridge/relay"
)

const relaySecret = "relay-test-secret-0123456789"

// startTestRelay serves a relay over plain HTTP on loopback that knows
// one subscriber token, which it returns with the relay's address.
func startTestRelay(t *testing.T) (addr, token string) {
	t.Helper()
	token, line, err := relay.NewToken("desk")
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := relay.ParseTokens(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := relay.New(relay.Config{Secrets: [][]byte{[]byte(relaySecret)},
		Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := relay.Listen(relay.ListenConfig{Addr: "127.0.0.1:0", PlainLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), token
}

// postJobEvent sends the relay a signed webhook call for a job's change.
func postJobEvent(t *testing.T, addr, typ, state string, job int64) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Type": typ,
		"EventId": fmt.Sprintf("%s-%d", typ, job), "TenantId": 1, "FolderId": 1,
		"OrganizationUnitId": 1, "Timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"Job": map[string]any{"Id": job, "Key": fmt.Sprintf("key-%d", job), "State": state}})
	req, _ := http.NewRequest("POST", "http://"+addr+relay.WebhookPath,
		bytes.NewReader(body))
	req.Header.Set(relay.SignatureHeader, relay.Sign([]byte(relaySecret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook %s: %v %v", typ, resp, err)
	}
	resp.Body.Close()
}

// TestOrchestratorJob_RelayPushes_StatesArriveWithoutPolling: the
// follower's interval is an hour, so only pushes through the relay can
// move the job on; the pushed final state makes it read the outputs.
func TestOrchestratorJob_RelayPushes_StatesArriveWithoutPolling(t *testing.T) {
	addr, token := startTestRelay(t)
	fx := newOrchFixtureWith(t, orchSetup{interval: time.Hour,
		relayURL: "ws://" + addr + relay.SubscribePath, relayTk: token})
	events := fx.stream(t)
	job := fx.start(t)
	expect(t, events, job.ID, "pending", "")
	waitRelay(t, fx.relay, "up")

	id, _ := strconv.ParseInt(job.ID, 10, 64)
	postJobEvent(t, addr, "job.started", "Running", id)
	expect(t, events, job.ID, "running", "")
	out := `{"out_Total":3}`
	fx.s.SetJob(id, "Successful", "Job completed", &out)
	postJobEvent(t, addr, "job.completed", "Successful", id)
	end := expect(t, events, job.ID, "successful", "")
	if fmt.Sprint(end.Output["out_Total"]) != "3" {
		t.Fatalf("outputs %v, want out_Total 3", end.Output)
	}
}

// waitRelay waits (15 s at most) for the connection's relay state.
func waitRelay(t *testing.T, ch <-chan feed.Event, state string) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Connection == "prod" && e.State == state {
				return
			}
		case <-timeout:
			t.Fatalf("the relay of prod is not %s within 15 s", state)
		}
	}
}
