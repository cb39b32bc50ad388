package robot

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"sync"
	"time"

	"robotbridge/feed"
)

// Errors callers map to answers (the bridge turns them into HTTP statuses).
var (
	ErrUnknownProcess = errors.New("process not found")
	ErrUnknownJob     = errors.New("job not found")
	ErrNotRunning     = errors.New("job is not running")
	ErrBusy           = errors.New("job cannot take messages now")
	ErrRobotBusy      = errors.New("another attended job is running")
)

// Options configures a Robot. The zero value is usable.
type Options struct {
	Limits Limits
	// Retention is how long an ended job stays in memory (answerable with
	// its output). Zero means 10 min. History keeps its metadata longer.
	Retention time.Duration
	// Feed receives every job update (nil: none).
	Feed *feed.Log
	// Self is the robotbridge executable that "${robotbridge}" in a command
	// stands for. Empty means os.Executable().
	Self string
	// MaxForeground is how many attended jobs (processes that need the
	// user's desktop) run at once. Zero means 1.
	MaxForeground int
	// RefuseWhenBusy refuses an attended job while the limit is reached,
	// instead of queueing it.
	RefuseWhenBusy bool
	// DefaultTimeout ends jobs that run longer (zero: no limit); a
	// package's own timeoutSeconds wins.
	DefaultTimeout time.Duration
	// JobLogDir, when set, keeps each job's stdout and stderr in
	// <dir>/<job id>.log (capped). Off by default: process output may hold
	// private data.
	JobLogDir string
	// StateDir holds pins.json and history.jsonl ("" keeps them in memory).
	StateDir string
}

// Robot holds the installed processes and the jobs that run them.
type Robot struct {
	opts    Options
	self    string
	history *History

	mu sync.Mutex
	// guarded by mu:
	packages   map[string]*process // by key
	pins       map[string]string   // key -> pinned version
	jobs       map[string]*Job     // by id
	foreground int                 // attended jobs running
	queue      []queuedJob         // attended jobs waiting to run
}

type queuedJob struct {
	job  *Job
	args map[string]any
}

// New returns a robot with no packages, loading pins and job history from
// the state directory.
func New(opts Options) (*Robot, error) {
	self := opts.Self
	if self == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("robot: find own executable: %w", err)
		}
		self = exe
	}
	if opts.Retention <= 0 {
		opts.Retention = 10 * time.Minute
	}
	if opts.MaxForeground <= 0 {
		opts.MaxForeground = 1
	}

	r := &Robot{opts: opts, self: self, packages: map[string]*process{},
		jobs: map[string]*Job{}}
	if err := r.loadPins(); err != nil {
		return nil, err
	}
	history, err := OpenHistory(historyPath(opts.StateDir))
	if err != nil {
		return nil, err
	}
	r.history = history
	return r, nil
}

// History is the robot's job history (metadata only).
func (r *Robot) History() *History { return r.history }

// StartRequest asks for one job.
type StartRequest struct {
	ProcessKey string
	// Version runs an exact installed version; empty runs the pinned one.
	Version   string
	Arguments map[string]any
	Origin    string
	// JobID is adopted when it is a valid id not in use; otherwise a new
	// id is minted.
	JobID string
}

// Start validates the arguments and starts a job, or queues it behind a
// running attended job. It returns once the child process has started
// (or failed to, which ends the job as faulted) or the job is queued.
func (r *Robot) Start(req StartRequest) (*Job, error) {
	pkg, err := r.resolve(req.ProcessKey, req.Version)
	if err != nil {
		return nil, err
	}
	if req.Arguments == nil {
		req.Arguments = map[string]any{}
	}
	if err := pkg.CheckInputs(req.Arguments); err != nil {
		return nil, err
	}

	job, queued, err := r.admit(req, pkg)
	if err != nil {
		return nil, err
	}
	r.history.Record(job) // after admit: no file writes under r.mu
	if !queued {
		r.launch(job, req.Arguments)
	}
	return job, nil
}

// resolve finds the package of an exact version, or the pinned one.
func (r *Robot) resolve(key, version string) (*Package, error) {
	if version == "" {
		return r.Process(key)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.packages[key]; p != nil && p.versions[version] != nil {
		return p.versions[version], nil
	}
	return nil, fmt.Errorf("%w: %s version %s", ErrUnknownProcess, key, version)
}

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// admit registers the job and decides whether it runs now. Attended jobs
// beyond the limit wait in a queue (or are refused when so configured).
func (r *Robot) admit(req StartRequest, pkg *Package) (*Job, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgetOldLocked(time.Now())

	busy := pkg.Foreground && r.foreground >= r.opts.MaxForeground
	if busy && r.opts.RefuseWhenBusy {
		return nil, false, fmt.Errorf("%w: only %d attended job(s) may run at once; "+
			"try again when the running one ends", ErrRobotBusy, r.opts.MaxForeground)
	}

	id := req.JobID
	if _, taken := r.jobs[id]; taken || !jobIDPattern.MatchString(id) {
		id = newID()
	}
	job := newJob(id, pkg, req.Origin, time.Now())
	job.feed = r.opts.Feed
	job.setState(Pending)
	r.jobs[id] = job

	switch {
	case busy:
		r.queue = append(r.queue, queuedJob{job: job, args: req.Arguments})
		job.addStatus("Waiting: another attended job is running")
	case pkg.Foreground:
		r.foreground++
	}
	return job, busy, nil
}

// launch starts the job's process; when it ends, the next queued
// attended job (if any) starts.
func (r *Robot) launch(job *Job, args map[string]any) {
	run(job, args, r.self, r.runSettings(job.Package), func() { r.ended(job) })
	r.history.Record(job)
}

func (r *Robot) runSettings(pkg *Package) runSettings {
	s := runSettings{limits: r.opts.Limits, timeout: r.opts.DefaultTimeout,
		logDir: r.opts.JobLogDir}
	if pkg.Timeout > 0 {
		s.timeout = pkg.Timeout
	}
	return s
}

func (r *Robot) ended(job *Job) {
	r.history.Record(job)
	if !job.Package.Foreground {
		return
	}

	r.mu.Lock()
	r.foreground--
	var next *queuedJob
	if len(r.queue) > 0 {
		next = &r.queue[0]
		r.queue = r.queue[1:]
		r.foreground++
	}
	r.mu.Unlock()

	if next != nil {
		r.launch(next.job, next.args)
	}
}

// dequeue removes a job that has not started yet and ends it as stopped.
// It reports whether the job was waiting in the queue.
func (r *Robot) dequeue(job *Job) bool {
	r.mu.Lock()
	found := false
	for i, q := range r.queue {
		if q.job == job {
			r.queue = append(r.queue[:i:i], r.queue[i+1:]...)
			found = true
			break
		}
	}
	r.mu.Unlock()

	if found {
		job.finish(Stopped, nil, &JobError{Message: "the job was stopped before it started",
			Type: "Stopped"})
		r.history.Record(job)
	}
	return found
}

// forgetOldLocked drops ended jobs past their retention. r.mu must be held.
func (r *Robot) forgetOldLocked(now time.Time) {
	for id, j := range r.jobs {
		state, ended := j.endedAt()
		if state.Terminal() && now.Sub(ended) > r.opts.Retention {
			delete(r.jobs, id)
		}
	}
}

// Job returns a job in memory by id.
func (r *Robot) Job(id string) (*Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	job, ok := r.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownJob, id)
	}
	return job, nil
}

// Jobs lists the jobs in memory, oldest first.
func (r *Robot) Jobs() []*Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]*Job, 0, len(r.jobs))
	for _, j := range r.jobs {
		list = append(list, j)
	}
	sort.Slice(list, func(i, k int) bool { return list[i].Created.Before(list[k].Created) })
	return list
}

// StopJob asks one job to stop (polite signal, grace, kill). Stopping an
// ended job is an error that says so.
func (r *Robot) StopJob(id string) error {
	return r.stop(id, false)
}

// KillJob ends a job at once: its whole process group is killed without
// the polite stop and grace period.
func (r *Robot) KillJob(id string) error {
	return r.stop(id, true)
}

func (r *Robot) stop(id string, kill bool) error {
	job, err := r.Job(id)
	if err != nil {
		return err
	}
	if r.dequeue(job) {
		return nil
	}
	asked := job.requestStop()
	if kill {
		asked = job.requestKill() || asked
	}
	if !asked {
		return fmt.Errorf("%w: job %s already ended as %s", ErrNotRunning, id, job.State())
	}
	return nil
}

// StopProcess stops every executing job of a process that origin started
// (all of them when origin is empty). It returns how many were asked.
func (r *Robot) StopProcess(key, origin string) (int, error) {
	r.mu.Lock()
	_, known := r.packages[key]
	r.mu.Unlock()
	if !known {
		return 0, fmt.Errorf("%w: %s", ErrUnknownProcess, key)
	}

	stopped := 0
	for _, job := range r.Jobs() {
		if job.Package.Key != key || (origin != "" && job.Origin != origin) {
			continue
		}
		if r.dequeue(job) || job.requestStop() {
			stopped++
		}
	}
	return stopped, nil
}

// SendMessage delivers a client message to a running job's stdin.
func (r *Robot) SendMessage(jobID, channel string, payload []byte) error {
	job, err := r.Job(jobID)
	if err != nil {
		return err
	}
	return job.deliver(channel, payload)
}

// Wait blocks until the job has ended.
func (j *Job) Wait() { <-j.done }

// newID returns a random version 4 UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
