package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// FollowOptions tune a Follower. Zero values mean the defaults.
type FollowOptions struct {
	// Interval between two polls (0: 2 s).
	Interval time.Duration
	// MaxInterval caps the backoff after errors (0: 30 s). A server's
	// Retry-After is honoured even when longer.
	MaxInterval time.Duration
	// PendingTimeout gives up on a job still Pending after this long and
	// reports that no robot took it (0: wait for ever). The job itself is
	// left as it is; stop it with Follower.Stop if it should not run.
	PendingTimeout time.Duration
	// ReconcileInterval is the interval while pushed states arrive (see
	// SetPushUp; 0: DefaultReconcileInterval). It is never shorter than
	// Interval.
	ReconcileInterval time.Duration
	// OnChange is called when a job changes state: from Run's goroutine,
	// or from Push's caller for a pushed state. Calls never overlap.
	OnChange func(Update)
	// Now and After are the clock (nil: time.Now, time.After).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

// Update is a job's new state.
type Update struct {
	JobID  int64
	Folder FolderScope
	State  JobState
}

// Follower follows the jobs of one connection by batched polling: each
// interval it sends one list request per folder that has followed jobs,
// whatever their number, plus one read per job that reached a final
// state (for its outputs). While nothing is followed it sends nothing.
type Follower struct {
	c       *Client
	opts    FollowOptions
	wake    chan struct{} // a job was added while Run was idle
	idle    func()        // test hook: Run is idle
	backoff int           // consecutive failed polls; Run's goroutine only
	push    pushState     // pushed states (push.go)

	mu   sync.Mutex // guards jobs
	jobs map[int64]*Followed
}

// NewFollower makes a follower for the client's jobs. Call Run to poll.
func (c *Client) NewFollower(opts FollowOptions) *Follower {
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.MaxInterval <= 0 {
		opts.MaxInterval = 30 * time.Second
	}
	if opts.ReconcileInterval <= 0 {
		opts.ReconcileInterval = DefaultReconcileInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	return &Follower{c: c, opts: opts, wake: make(chan struct{}, 1),
		jobs: map[int64]*Followed{}, push: pushState{now: make(chan struct{}, 1)}}
}

// Follow adds a job (as StartJob returned it) and returns its handle.
// Following a job twice returns the same handle.
func (f *Follower) Follow(scope FolderScope, j Job) *Followed {
	f.mu.Lock()
	defer f.mu.Unlock()
	if x, ok := f.jobs[j.ID]; ok {
		return x
	}
	x := &Followed{ID: j.ID, Scope: scope, since: f.opts.Now(), done: make(chan struct{}),
		job: j}
	f.jobs[j.ID] = x
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return x
}

// Unfollow stops following a job; its handle ends with ErrUnfollowed.
func (f *Follower) Unfollow(id int64) {
	if x := f.remove(id); x != nil {
		x.finish(JobResult{}, ErrUnfollowed)
	}
}

// ErrUnfollowed ends the handle of a job nobody follows any more.
var ErrUnfollowed = errors.New("job no longer followed")

// Stop asks the Orchestrator to stop a followed job; it stays followed
// until it reaches a final state.
func (f *Follower) Stop(ctx context.Context, id int64, s StopStrategy) error {
	f.mu.Lock()
	x, ok := f.jobs[id]
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("stop job %d: it is not followed", id)
	}
	return f.c.StopJobs(ctx, x.Scope, []int64{id}, s)
}

// Len is the number of followed jobs.
func (f *Follower) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.jobs)
}

// Run polls until ctx ends. Errors back off (doubling the interval up to
// MaxInterval, longer when the server sends Retry-After) and are logged;
// Run itself returns only when ctx ends.
func (f *Follower) Run(ctx context.Context) {
	delay := f.interval()
	for {
		if f.Len() == 0 {
			if f.idle != nil {
				f.idle()
			}
			select {
			case <-ctx.Done():
				return
			case <-f.wake:
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-f.opts.After(delay):
		case <-f.push.now:
		}
		err := f.PollOnce(ctx)
		if err != nil && ctx.Err() == nil {
			f.c.log.Warn("orchestrator: job poll failed", "connection", f.c.profile.Name,
				"error", err)
		}
		delay = f.nextDelay(err)
	}
}

// nextDelay is the wait before the next poll.
func (f *Follower) nextDelay(err error) time.Duration {
	if err == nil {
		f.backoff = 0
		return f.interval()
	}
	f.backoff++
	d := f.opts.Interval
	for i := 0; i < f.backoff && d < f.opts.MaxInterval; i++ {
		d *= 2
	}
	d = min(d, f.opts.MaxInterval)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > d {
		d = apiErr.RetryAfter
	}
	return d
}

// PollOnce polls every followed job once: one list request per folder,
// one read per job that ended. Run calls it each interval.
func (f *Follower) PollOnce(ctx context.Context) error {
	for _, group := range f.groups() {
		if err := f.pollFolder(ctx, group); err != nil {
			return err
		}
	}
	return nil
}

// groups returns the followed jobs by folder.
func (f *Follower) groups() [][]*Followed {
	f.mu.Lock()
	defer f.mu.Unlock()
	byScope := map[FolderScope][]*Followed{}
	var order []FolderScope
	for _, x := range f.jobs {
		if _, ok := byScope[x.Scope]; !ok {
			order = append(order, x.Scope)
		}
		byScope[x.Scope] = append(byScope[x.Scope], x)
	}
	out := make([][]*Followed, 0, len(order))
	for _, s := range order {
		out = append(out, byScope[s])
	}
	return out
}

func (f *Follower) remove(id int64) *Followed {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.jobs[id]
	delete(f.jobs, id)
	return x
}

func (f *Follower) pollFolder(ctx context.Context, group []*Followed) error {
	scope := group[0].Scope
	seen, err := f.c.jobStates(ctx, scope, ids(group))
	if err != nil {
		return err
	}
	for _, x := range group {
		j, ok := seen[x.ID]
		switch {
		case ok && !j.State.Final():
			f.update(x, j)
		default:
			// Final, or missing from the answer: read it once by id.
			if err := f.finishFromServer(ctx, x); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *Follower) update(x *Followed, j Job) {
	f.apply(x, j)
	waited := f.opts.Now().Sub(x.since)
	if j.State == JobPending && f.opts.PendingTimeout > 0 && waited >= f.opts.PendingTimeout {
		f.remove(x.ID)
		x.finish(JobResult{Job: j}, &PendingTimeoutError{JobID: x.ID, Folder: x.Scope,
			Waited: waited, Info: j.Info})
	}
}

func (f *Follower) finishFromServer(ctx context.Context, x *Followed) error {
	j, err := f.c.Job(ctx, x.Scope, x.ID)
	if errors.Is(err, ErrNotFound) {
		f.remove(x.ID)
		x.finish(JobResult{}, fmt.Errorf("job %d in folder %s: %w: it was deleted", x.ID,
			x.Scope, ErrNotFound))
		return nil
	}
	if err != nil {
		return err
	}
	if !j.State.Final() {
		f.update(x, j)
		return nil
	}
	f.apply(x, j)
	f.remove(x.ID)
	x.finish(resultOf(j))
	f.c.log.Info("orchestrator: job ended", "connection", f.c.profile.Name, "job", x.ID,
		"state", string(j.State))
	return nil
}

func ids(group []*Followed) []int64 {
	out := make([]int64, len(group))
	for i, x := range group {
		out[i] = x.ID
	}
	return out
}
