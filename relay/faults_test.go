package relay_test

import (
	"slices"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// The fake Orchestrator misbehaves the ways the spec allows; the relay
// and the engine side still give each job its lifecycle once, in order,
// and the job its final state.
func TestRelay_FakeOrchestratorFaults(t *testing.T) {
	all := []string{"job.created/Pending", "job.started/Running", "job.completed/Successful"}
	cases := []struct {
		name   string
		faults orchestratortest.WebhookFaults
		want   []string // what the subscriber gets for the job
	}{
		{"redelivered", orchestratortest.WebhookFaults{Duplicate: true}, all},
		{"per-folder twins", orchestratortest.WebhookFaults{Twins: []int64{9, 10}}, all},
		{"completed before started", orchestratortest.WebhookFaults{Reorder: true},
			[]string{"job.created/Pending", "job.completed/Successful"}},
		{"Jobs arrays and string outputs", orchestratortest.WebhookFaults{JobsArray: true,
			StringOutputs: true}, all},
		{"completion dropped", orchestratortest.WebhookFaults{Drop: []string{"job.completed"}},
			[]string{"job.created/Pending", "job.started/Running"}},
		{"bad signature", orchestratortest.WebhookFaults{BadSignature: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t)
			e.events.waitUp(t, true)
			e.fake.SetWebhookFaults(c.faults)
			x := e.start(1)[0]
			e.fake.Advance(time.Second)
			e.fake.Advance(3 * time.Second)
			e.fake.FlushWebhooks()
			if got := e.eventsUntilMarker(); !slices.Equal(got[x.ID], c.want) {
				t.Errorf("job events %v, want %v", got[x.ID], c.want)
			}
			e.clock.tick() // a poll covers whatever did not arrive
			if res := wait(t, x); res.Job.State != orchestrator.JobSuccessful {
				t.Errorf("job ended %s, want Successful", res.Job.State)
			}
			forwardOnly(t, x.ID, e.changesOf(x.ID))
		})
	}
}

// eventsUntilMarker posts a signed call of its own after what the fake
// sent and returns the events before it, by job: the relay handles calls
// in order, so once the marker arrives everything before it has.
func (e *e2e) eventsUntilMarker() map[int64][]string {
	marker := hookEvent{id: "marker", typ: "job.started", state: "Running", job: 1 << 40}
	e.relay.mustPost(marker.body())
	got := map[int64][]string{}
	for {
		ev := e.events.next(e.t)
		if ev.EventID == marker.id {
			return got
		}
		got[ev.JobID] = append(got[ev.JobID], ev.Type+"/"+ev.State)
	}
}
