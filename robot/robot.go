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
)

// Options configures a Robot. The zero value is usable.
type Options struct {
	Limits Limits
	// Retention is how long an ended job stays answerable. Zero means 10 min.
	Retention time.Duration
	// Feed receives every job update (nil: none).
	Feed *feed.Log
	// Self is the robotbridge executable that "${robotbridge}" in a command
	// stands for. Empty means os.Executable().
	Self string
}

// Robot holds the installed processes and the jobs that run them.
type Robot struct {
	opts Options
	self string

	mu sync.Mutex
	// guarded by mu:
	packages map[string]*Package // by key
	jobs     map[string]*Job     // by id
}

// New returns a robot with no packages.
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
	return &Robot{
		opts:     opts,
		self:     self,
		packages: map[string]*Package{},
		jobs:     map[string]*Job{},
	}, nil
}

// Install adds a package, replacing one with the same key.
func (r *Robot) Install(pkg *Package) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.packages[pkg.Key] = pkg
}

// Processes lists the installed packages by name.
func (r *Robot) Processes() []*Package {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]*Package, 0, len(r.packages))
	for _, p := range r.packages {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// Process returns the package with the given key.
func (r *Robot) Process(key string) (*Package, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pkg, ok := r.packages[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownProcess, key)
	}
	return pkg, nil
}

// StartRequest asks for one job.
type StartRequest struct {
	ProcessKey string
	Arguments  map[string]any
	Origin     string
	// JobID is adopted when it is a valid id not in use; otherwise a new
	// id is minted.
	JobID string
}

// Start validates the arguments and starts a job. It returns once the
// child process has been started (or failed to start, which ends the job
// as faulted).
func (r *Robot) Start(req StartRequest) (*Job, error) {
	pkg, err := r.Process(req.ProcessKey)
	if err != nil {
		return nil, err
	}
	if req.Arguments == nil {
		req.Arguments = map[string]any{}
	}
	if err := pkg.CheckInputs(req.Arguments); err != nil {
		return nil, err
	}

	job := r.register(req, pkg)
	run(job, req.Arguments, r.self, r.opts.Limits)
	return job, nil
}

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

func (r *Robot) register(req StartRequest, pkg *Package) *Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgetOldLocked(time.Now())

	id := req.JobID
	if _, taken := r.jobs[id]; taken || !jobIDPattern.MatchString(id) {
		id = newID()
	}
	job := newJob(id, pkg, req.Origin, time.Now())
	job.feed = r.opts.Feed
	job.setState(Pending)
	r.jobs[id] = job
	return job
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

// Job returns a job by id.
func (r *Robot) Job(id string) (*Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	job, ok := r.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownJob, id)
	}
	return job, nil
}

// Jobs lists the jobs the robot remembers, oldest first.
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

// StopJob asks one job to stop. Stopping an ended job is an error that
// says so, so a caller learns the job already finished.
func (r *Robot) StopJob(id string) error {
	job, err := r.Job(id)
	if err != nil {
		return err
	}
	if !job.requestStop() {
		return fmt.Errorf("%w: job %s already ended as %s", ErrNotRunning, id, job.State())
	}
	return nil
}

// KillJob ends a job at once: its whole process group is killed without
// the polite stop and grace period.
func (r *Robot) KillJob(id string) error {
	job, err := r.Job(id)
	if err != nil {
		return err
	}
	if !job.requestKill() {
		return fmt.Errorf("%w: job %s already ended as %s", ErrNotRunning, id, job.State())
	}
	return nil
}

// StopProcess stops every executing job of a process that origin started
// (all of them when origin is empty). It returns how many were asked.
func (r *Robot) StopProcess(key, origin string) (int, error) {
	if _, err := r.Process(key); err != nil {
		return 0, err
	}

	stopped := 0
	for _, job := range r.Jobs() {
		if job.Package.Key != key || (origin != "" && job.Origin != origin) {
			continue
		}
		if job.requestStop() {
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
