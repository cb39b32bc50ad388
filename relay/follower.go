package relay

import "robotbridge/orchestrator"

// FollowerSink feeds a Follower from a Subscriber: job events become
// pushed states, the connection state sets the poll rate, and a resync
// makes it poll at once.
func FollowerSink(f *orchestrator.Follower) Sink {
	return Sink{Event: func(e JobEvent) { f.Push(e.Pushed()) }, Up: f.SetPushUp,
		Resync: f.PollNow}
}

// Pushed is the event as a state for an orchestrator.Follower.
func (e JobEvent) Pushed() orchestrator.Pushed {
	p := orchestrator.Pushed{JobID: e.JobID, State: orchestrator.JobState(e.State)}
	if e.StartTime != nil {
		p.StartTime = *e.StartTime
	}
	if e.EndTime != nil {
		p.EndTime = *e.EndTime
	}
	return p
}
