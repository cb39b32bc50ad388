package orchestrator_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// pushed runs a follower of one started job whose waits end only when
// the test says so, and records its state changes and asked waits.
type pushed struct {
	f     *orchestrator.Follower
	x     *orchestrator.Followed
	fake  *orchestratortest.Server
	mu    sync.Mutex
	seen  []orchestrator.JobState
	asked []time.Duration
	tick  chan time.Time
}

func newPushed(t *testing.T) *pushed {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	p := &pushed{fake: s, tick: make(chan time.Time)}
	p.f = c.NewFollower(orchestrator.FollowOptions{Interval: 2 * time.Second,
		ReconcileInterval: time.Minute,
		After: func(d time.Duration) <-chan time.Time {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.asked = append(p.asked, d)
			return p.tick
		},
		OnChange: func(u orchestrator.Update) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.seen = append(p.seen, u.State)
		}})
	scope := folderOf(t, c, invoices)
	rels, err := c.Releases(ctx(t), scope)
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.StartJob(ctx(t), scope, rels[0], orchestrator.StartRequest{
		Inputs: map[string]any{"in_Amount": 1}})
	if err != nil {
		t.Fatal(err)
	}
	p.x = p.f.Follow(scope, j)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.f.Run(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return p
}

func (p *pushed) changes() []orchestrator.JobState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

func (p *pushed) lastAsked() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.asked) == 0 {
		return 0
	}
	return p.asked[len(p.asked)-1]
}

// A pushed state never moves a job backwards, a push never overrides a
// final state, and a pushed final state ends the job at once through one
// read by id (its outputs come from there, never from the push).
func TestFollower_Push_NeverBackwardsAndEndsAtOnce(t *testing.T) {
	p := newPushed(t)
	p.f.Push(orchestrator.Pushed{JobID: p.x.ID, State: orchestrator.JobRunning})
	p.f.Push(orchestrator.Pushed{JobID: p.x.ID, State: orchestrator.JobPending})
	p.f.Push(orchestrator.Pushed{JobID: 999999, State: orchestrator.JobFaulted})
	if got := p.changes(); !slices.Equal(got, []orchestrator.JobState{orchestrator.JobRunning}) {
		t.Fatalf("changes after Running, Pending and another job's push: %v, want [Running]",
			got)
	}
	p.fake.Advance(10 * time.Second) // the fake's job is Successful now
	p.f.Push(orchestrator.Pushed{JobID: p.x.ID, State: orchestrator.JobSuccessful})
	res, err := p.x.Wait(ctx(t)) // no tick: the push made it poll at once
	if err != nil || res.Outputs["out_Total"] == nil {
		t.Fatalf("Wait = %+v, %v; want Successful with out_Total", res, err)
	}
	p.f.Push(orchestrator.Pushed{JobID: p.x.ID, State: orchestrator.JobRunning})
	if got := p.changes(); !slices.Equal(got, []orchestrator.JobState{orchestrator.JobRunning,
		orchestrator.JobSuccessful}) {
		t.Errorf("changes %v, want [Running Successful]", got)
	}
}

// While pushes arrive the follower waits the reconciliation interval;
// when they stop it polls at once and goes back to the normal interval.
func TestFollower_PushUp_SetsPollRate(t *testing.T) {
	p := newPushed(t)
	waitAsked := func(want time.Duration) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for p.lastAsked() != want {
			if time.Now().After(deadline) {
				t.Fatalf("follower waits %s, want %s", p.lastAsked(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitAsked(2 * time.Second)
	p.f.SetPushUp(true)
	p.tick <- time.Now() // end the current wait; the next one is long
	waitAsked(time.Minute)
	before := p.fake.Count("jobs")
	p.f.SetPushUp(false) // polls at once, without a tick
	waitAsked(2 * time.Second)
	if p.fake.Count("jobs") != before+1 {
		t.Errorf("list polls after the push went down: %d, want %d", p.fake.Count("jobs"),
			before+1)
	}
}
