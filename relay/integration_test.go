package relay_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
	"robotbridge/relay"
)

// The acceptance set-up: a fake Orchestrator that delivers real signed
// webhook calls, a real relay over TLS, and an engine side made of a
// real Subscriber feeding a real Follower.
type e2e struct {
	t       *testing.T
	fake    *orchestratortest.Server
	relay   *testRelay
	client  *orchestrator.Client
	follow  *orchestrator.Follower
	scope   orchestrator.FolderScope
	release orchestrator.Release
	events  *sink
	clock   *pollClock

	mu      sync.Mutex
	changes map[int64][]orchestrator.JobState // OnChange, per job
}

const e2eFolder = "Finance/Invoices"

func newE2E(t *testing.T) *e2e {
	fake := orchestratortest.New(t, orchestratortest.Options{})
	fake.AddUser(orchestratortest.User{Name: "jdoe", Password: "pw-1", Tenant: "Default",
		Permissions: append(slices.Clone(orchestratortest.AllPermissions), "Webhooks.View",
			"Webhooks.Create", "Webhooks.Edit", "Webhooks.Delete")})
	fake.AddRelease(e2eFolder, orchestratortest.Release{Name: "InvoiceBot",
		ProcessKey: "InvoiceBot", ProcessVersion: "1.0.0"})
	dir := t.TempDir()
	certFile, keyFile, err := fake.IssueCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	certs := &testCerts{certFile: certFile, keyFile: keyFile}
	certs.pool = poolOf(t, fake.CAPEM)
	e := &e2e{t: t, fake: fake, changes: map[int64][]orchestrator.JobState{},
		clock: newPollClock(), events: newSink()}
	tok, entry := subscriberToken(t, "desk")
	e.relay = startRelay(t, relay.Config{Tokens: []relay.Token{entry},
		StateDir: filepath.Join(dir, "state")}, certs)
	e.client = e.newClient(dir)
	e.register()
	e.startFollower()
	e.startSubscriber(tok)
	return e
}

func poolOf(t testing.TB, pemData []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pemData) {
		t.Fatal("the fake's CA does not parse")
	}
	return p
}

func (e *e2e) newClient(dir string) *orchestrator.Client {
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, e.fake.CAPEM, 0o600); err != nil {
		e.t.Fatal(err)
	}
	c, err := orchestrator.New(orchestrator.Config{Profile: orchestrator.Profile{
		Name: "e2e", URL: e.fake.URL, Auth: orchestrator.AuthPassword, User: "jdoe",
		Tenant: "Default", CAFile: ca}, Secret: "pw-1", Logger: testLogger(e.t),
		Timeout: 10 * time.Second})
	if err != nil {
		e.t.Fatalf("orchestrator.New: %v", err)
	}
	e.scope, err = c.ResolveFolder(ctxFor(e.t), e2eFolder)
	if err != nil {
		e.t.Fatalf("ResolveFolder: %v", err)
	}
	rels, err := c.Releases(ctxFor(e.t), e.scope)
	if err != nil || len(rels) != 1 {
		e.t.Fatalf("Releases: %v %v", rels, err)
	}
	e.release = rels[0]
	return c
}

// register sets the webhook up through the API, as the engine does.
func (e *e2e) register() {
	w, err := e.client.EnsureWebhook(ctxFor(e.t), orchestrator.WebhookSpec{
		Name: "robotbridge-e2e", URL: e.relay.webhookURL(), Secret: testSecret})
	if err != nil {
		e.t.Fatalf("EnsureWebhook: %v", err)
	}
	if len(w.Events) != len(orchestrator.JobEventTypes) {
		e.t.Fatalf("webhook events %v, want the %d job events", w.Events,
			len(orchestrator.JobEventTypes))
	}
}

func (e *e2e) startFollower() {
	e.follow = e.client.NewFollower(orchestrator.FollowOptions{Interval: 2 * time.Second,
		ReconcileInterval: time.Minute, After: e.clock.after,
		OnChange: func(u orchestrator.Update) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.changes[u.JobID] = append(e.changes[u.JobID], u.State)
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.follow.Run(ctx)
	}()
	e.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// startSubscriber feeds the follower and records the events.
func (e *e2e) startSubscriber(tok string) {
	feed := relay.FollowerSink(e.follow)
	rec := e.events.relaySink()
	s := relay.Sink{
		Event:  func(ev relay.JobEvent) { feed.Event(ev); rec.Event(ev) },
		Up:     func(up bool) { feed.Up(up); rec.Up(up) },
		Resync: func() { feed.Resync(); rec.Resync() },
	}
	cfg := relay.SubscriberConfig{URL: e.relay.subscribeURL(), Token: tok, TenantID: 1,
		Sink: s, Logger: testLogger(e.t), MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond, TLS: &tls.Config{RootCAs: e.relay.certs.pool}}
	sub, err := relay.NewSubscriber(cfg)
	if err != nil {
		e.t.Fatalf("NewSubscriber: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sub.Run(ctx)
	}()
	e.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// start starts n jobs and follows them.
func (e *e2e) start(n int) []*orchestrator.Followed {
	var out []*orchestrator.Followed
	for range n {
		j, err := e.client.StartJob(ctxFor(e.t), e.scope, e.release, orchestrator.StartRequest{})
		if err != nil {
			e.t.Fatalf("StartJob: %v", err)
		}
		out = append(out, e.follow.Follow(e.scope, j))
	}
	return out
}

// wantEvents reads n events and returns them by job.
func (e *e2e) wantEvents(n int) map[int64][]relay.JobEvent {
	byJob := map[int64][]relay.JobEvent{}
	for range n {
		ev := e.events.next(e.t)
		byJob[ev.JobID] = append(byJob[ev.JobID], ev)
	}
	return byJob
}

func (e *e2e) changesOf(id int64) []orchestrator.JobState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.changes[id])
}

func wait(t testing.TB, x *orchestrator.Followed) orchestrator.JobResult {
	t.Helper()
	res, err := x.Wait(ctxFor(t))
	if err != nil {
		t.Fatalf("job %d: Wait: %v", x.ID, err)
	}
	return res
}

// Every job event the fake sends reaches the engine once and in order
// per job; the jobs end through the pushes (no poll tick needed), and
// the follower polls at its reconciliation rate while the relay is up.
func TestRelay_FakeOrchestrator_EveryEventOnceInOrder(t *testing.T) {
	e := newE2E(t)
	e.events.waitUp(t, true)
	jobs := e.start(5)
	e.fake.Advance(time.Second)     // Running
	e.fake.Advance(3 * time.Second) // Successful
	e.fake.FlushWebhooks()

	byJob := e.wantEvents(5 * 3)
	e.events.none(t)
	for _, x := range jobs {
		var got []string
		for _, ev := range byJob[x.ID] {
			got = append(got, ev.Type+"/"+ev.State)
		}
		want := []string{"job.created/Pending", "job.started/Running",
			"job.completed/Successful"}
		if !slices.Equal(got, want) {
			t.Errorf("job %d: events %v, want %v", x.ID, got, want)
		}
		res := wait(t, x) // ended through the push and one read by id
		if res.Job.State != orchestrator.JobSuccessful || res.Outputs["out_Total"] == nil {
			t.Errorf("job %d: result %+v, want Successful with out_Total", x.ID, res)
		}
		forwardOnly(t, x.ID, e.changesOf(x.ID))
	}
	for _, d := range e.fake.WebhookDeliveries() {
		if d.Status != 202 {
			t.Errorf("delivery %s %s: status %d (%s), want 202", d.EventID, d.Type, d.Status,
				d.Err)
		}
	}
	if got := e.clock.last(); got != time.Minute {
		t.Errorf("poll interval while the relay is up = %s, want the reconciliation "+
			"interval 1m0s", got)
	}
}

// The relay restarts while jobs run: the terminal events fall into the
// outage (the Orchestrator's circuit opens and skips them), polling at
// the normal rate finds the final states, and no state goes backwards.
func TestRelay_RestartMidStream_NoTerminalStateLost(t *testing.T) {
	e := newE2E(t)
	e.events.waitUp(t, true)
	jobs := e.start(3)
	e.fake.Advance(time.Second) // Running
	e.fake.FlushWebhooks()
	e.wantEvents(3 * 2)

	e.relay.stop()
	e.events.waitUp(t, false)
	waitFor(t, "follower back to the normal rate", func() bool {
		return !e.follow.PushUp() && e.clock.last() == 2*time.Second
	})
	e.fake.Advance(3 * time.Second) // Successful, but the relay is down
	e.fake.FlushWebhooks()
	var lost int
	for _, d := range e.fake.WebhookDeliveries() {
		if d.Type == "job.completed" && d.Status != 202 {
			lost++
		}
	}
	if lost != 3 {
		t.Fatalf("%d job.completed deliveries failed or were skipped, want all 3", lost)
	}

	e.relay.restart()
	e.events.waitUp(t, true)
	e.clock.tick() // polls cover what the webhooks lost
	for _, x := range jobs {
		if res := wait(t, x); res.Job.State != orchestrator.JobSuccessful {
			t.Errorf("job %d ended %s, want Successful", x.ID, res.Job.State)
		}
		forwardOnly(t, x.ID, e.changesOf(x.ID))
	}
	e.events.none(t) // the lost completions never arrive late
}

// forwardOnly checks that a job's reported states only moved forward
// and ended Successful. Whether Running shows depends on whether a poll
// or the push got there first; both are right.
func forwardOnly(t *testing.T, job int64, changes []orchestrator.JobState) {
	t.Helper()
	ok := len(changes) > 0 && changes[len(changes)-1] == orchestrator.JobSuccessful
	for i := 1; i < len(changes); i++ {
		ok = ok && changes[i].Rank() > changes[i-1].Rank()
	}
	if !ok {
		t.Errorf("job %d: states reported %v, want them moving forward to Successful",
			job, changes)
	}
}

// pollClock is the follower's After: the test decides when a wait ends,
// and sees how long the follower asked to wait.
type pollClock struct {
	mu    sync.Mutex
	asked []time.Duration
	ch    chan time.Time
}

func newPollClock() *pollClock { return &pollClock{} }

func (c *pollClock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, d)
	c.ch = make(chan time.Time, 1)
	return c.ch
}

// last is the latest wait asked for.
func (c *pollClock) last() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.asked) == 0 {
		return 0
	}
	return c.asked[len(c.asked)-1]
}

// tick ends the current wait.
func (c *pollClock) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		c.ch <- time.Now()
		c.ch = nil
	}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
