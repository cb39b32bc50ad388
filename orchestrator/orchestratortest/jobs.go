package orchestratortest

import (
	"fmt"
	"time"
)

var finalStates = map[string]bool{"Successful": true, "Faulted": true, "Stopped": true}

// newJobLocked creates a Pending job of a release.
func (s *Server) newJobLocked(r *release, input, reference string) *job {
	s.nextID++
	script := r.Script
	if script == nil {
		script = DefaultScript
	}
	j := &job{id: s.nextID, folderID: r.folderID, key: newKey(), rel: r, input: input,
		reference: reference, created: s.now, script: script, stepAt: s.now}
	j.enter(0, s.now)
	s.jobs[j.id] = j
	return j
}

// enter moves the job to step i of its script.
func (j *job) enter(i int, at time.Time) {
	st := j.script[i]
	j.step, j.stepAt, j.state, j.info = i, at, st.State, st.Info
	j.setTimes(at)
	if finalStates[st.State] {
		j.output = st.Output
	}
	j.moves = append(j.moves, move{st.State, st.Info, at, j.output})
}

func (j *job) setTimes(at time.Time) {
	if j.state != "Pending" && j.start == nil {
		t := at
		j.start = &t
	}
	if finalStates[j.state] && j.end == nil {
		t := at
		j.end = &t
	}
}

// advance plays the script up to now.
func (j *job) advance(now time.Time) {
	for !finalStates[j.state] && j.step < len(j.script) {
		st := j.script[j.step]
		if st.For == 0 || j.step+1 >= len(j.script) || now.Before(j.stepAt.Add(st.For)) {
			return
		}
		j.enter(j.step+1, j.stepAt.Add(st.For))
	}
}

// stop applies a stop strategy; it reports false for a job that ended.
func (j *job) stop(strategy string, now time.Time, delay time.Duration) bool {
	if finalStates[j.state] {
		return false
	}
	if j.state == "Pending" {
		j.script = []Step{{State: "Stopped", Info: "Job canceled"}}
		j.enter(0, now)
		return true
	}
	mid := "Stopping"
	if strategy == "Kill" {
		mid = "Terminating"
	}
	j.script = []Step{{State: mid, For: delay}, {State: "Stopped", Info: "Job stopped"}}
	j.enter(0, now)
	return true
}

// SetJob puts a job in a state now, with Info and OutputArguments (a JSON
// object as a string, or nil); the script stops there.
func (s *Server) SetJob(id int64, state, info string, output *string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	j.script = []Step{{State: state, Info: info, Output: output}}
	j.enter(0, s.now)
	s.emitWebhooksLocked()
}

// JobState is the job's state now.
func (s *Server) JobState(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return ""
	}
	j.advance(s.now)
	return j.state
}

// DeleteJob removes a job, as a cleanup does.
func (s *Server) DeleteJob(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.jobs, id)
}

// AddJobs creates n jobs of a release directly (not through StartJobs),
// in the given state, and returns their ids: for load tests.
func (s *Server) AddJobs(path, name string, n int, state string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.releaseLocked(path, name)
	ids := make([]int64, n)
	for i := range ids {
		j := s.newJobLocked(r, "", "")
		j.script = []Step{{State: state}}
		j.enter(0, s.now)
		ids[i] = j.id
	}
	return ids
}

// row is the job as the API shows it (JobDto).
func (j *job) row() map[string]any {
	return map[string]any{
		"Id": j.id, "Key": j.key, "State": j.state, "Info": nilIfEmpty(j.info),
		"CreationTime": apiTime(&j.created), "StartTime": apiTime(j.start),
		"EndTime": apiTime(j.end), "ReleaseName": j.rel.Name, "Type": "Unattended",
		"Source": "Manual", "SourceType": "Manual", "InputArguments": nilIfEmpty(j.input),
		"OutputArguments": j.output, "OrganizationUnitId": j.folderID,
		"Reference": j.reference, "BatchExecutionKey": j.key,
	}
}

// apiTime writes times as the API does: UTC, 7 fractional digits, Z.
func apiTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) jobLocked(id int64) (*job, error) {
	j, ok := s.jobs[id]
	if !ok {
		return nil, fmt.Errorf("job %d not found", id)
	}
	j.advance(s.now)
	return j, nil
}
