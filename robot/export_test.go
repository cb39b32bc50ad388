package robot

import "time"

// NewEndedJobForTest makes a finished job for history tests.
func NewEndedJobForTest(id string, pkg *Package) *Job {
	j := newJob(id, pkg, "test", time.Now())
	j.setState(Running)
	j.finish(Successful, nil, nil)
	return j
}
