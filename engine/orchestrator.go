package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"robotbridge/feed"
	"robotbridge/orchestrator"
)

// OrchestratorOptions tune the engine's Orchestrator connections; the
// zero value is what `robotbridge serve` uses.
type OrchestratorOptions struct {
	// Secrets is where connection secrets are read (nil: the OS keyring,
	// as the CLI reads them).
	Secrets *orchestrator.Secrets
	// Follow tunes each connection's Follower (zero: its defaults). Its
	// OnChange is replaced by the engine's.
	Follow orchestrator.FollowOptions
}

// orchKeep is how long an ended Orchestrator job stays listed.
const orchKeep = 10 * time.Minute

var (
	errNotFollowed = errors.New("the engine does not follow this job")
	errJobEnded    = errors.New("the job has ended")
)

// orchestrators keeps one client and Follower per connection profile,
// opened on first use, and the Orchestrator jobs the engine follows.
type orchestrators struct {
	ctx    context.Context // the engine's life: followers run until it ends
	store  *orchestrator.Store
	feed   *feed.Log
	follow orchestrator.FollowOptions

	connMu sync.Mutex // guards conns; held while a connection opens
	conns  map[string]*orchConn

	mu   sync.Mutex // guards jobs and every orchJob's outcome fields
	jobs map[orchKey]*orchJob
}

type orchConn struct {
	client   *orchestrator.Client
	follower *orchestrator.Follower
}

type orchKey struct {
	conn string
	id   int64
}

// orchJob is a followed job. The fields after created change under
// orchestrators.mu.
type orchJob struct {
	key     orchKey
	folder  string
	process string
	created time.Time
	state   string
	err     string
	output  map[string]any
	ended   time.Time
}

func newOrchestrators(ctx context.Context, dir string, events *feed.Log,
	opts OrchestratorOptions) *orchestrators {
	store := orchestrator.OpenStore(dir)
	if opts.Secrets != nil {
		store = orchestrator.NewStore(dir, opts.Secrets, nil)
	}
	return &orchestrators{ctx: ctx, store: store, feed: events, follow: opts.Follow,
		conns: map[string]*orchConn{}, jobs: map[orchKey]*orchJob{}}
}

// connection returns the connection's client and follower, opening them
// (profile from connections.json, secret from the keyring) on first use.
func (o *orchestrators) connection(name string) (*orchConn, error) {
	o.connMu.Lock()
	defer o.connMu.Unlock()
	if c := o.conns[name]; c != nil {
		return c, nil
	}
	client, err := o.store.Client(name, orchestrator.Config{})
	if err != nil {
		return nil, err
	}
	opts := o.follow
	opts.OnChange = func(u orchestrator.Update) { o.changed(name, u) }
	c := &orchConn{client: client, follower: client.NewFollower(opts)}
	o.conns[name] = c
	go c.follower.Run(o.ctx)
	o.subscribe(client.Profile(), c.follower)
	slog.Info("engine: orchestrator connection opened", "connection", name)
	return c, nil
}

// folderOf is the folder asked for, else the connection's default.
func folderOf(c *orchConn, folder string) (string, error) {
	if folder = orchestrator.CleanFolderPath(folder); folder != "" {
		return folder, nil
	}
	if p := c.client.Profile(); p.Folder != "" {
		return p.Folder, nil
	}
	return "", fmt.Errorf("connection %s has no default folder; name one: %w",
		c.client.Profile().Name, orchestrator.ErrFolderRequired)
}

// start starts a job of the process in the folder and follows it.
func (o *orchestrators) start(ctx context.Context, req OrchestratorRunRequest) (
	OrchestratorJob, error) {
	c, err := o.connection(req.Connection)
	if err != nil {
		return OrchestratorJob{}, err
	}
	folder, err := folderOf(c, req.Folder)
	if err != nil {
		return OrchestratorJob{}, err
	}
	scope, err := c.client.ResolveFolder(ctx, folder)
	if err != nil {
		return OrchestratorJob{}, err
	}
	rel, err := c.client.ReleaseByName(ctx, scope, req.Process)
	if err != nil {
		return OrchestratorJob{}, err
	}
	j, err := c.client.StartJob(ctx, scope, rel, orchestrator.StartRequest{
		Inputs: req.Arguments})
	if err != nil {
		return OrchestratorJob{}, err
	}
	job := &orchJob{key: orchKey{req.Connection, j.ID}, folder: cmp.Or(scope.Path, folder),
		process: rel.Name, created: time.Now()}
	entry := o.add(job, j.State) // before Follow: the follower reports changes from now on
	go o.await(job, c.follower.Follow(scope, j))
	slog.Info("engine: orchestrator job started", "connection", req.Connection,
		"folder", job.folder, "process", rel.Name, "job", j.ID)
	return entry, nil
}

// add registers the job in its first state and publishes it.
func (o *orchestrators) add(job *orchJob, state orchestrator.JobState) OrchestratorJob {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.prune()
	o.jobs[job.key] = job
	job.state = stateName(state)
	o.publish(job)
	return job.entry()
}

// changed is the followers' OnChange: it publishes states on the way. The
// final state comes from await, with the outputs or the error.
func (o *orchestrators) changed(conn string, u orchestrator.Update) {
	if u.State.Final() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	job := o.jobs[orchKey{conn, u.JobID}]
	if job == nil || !job.ended.IsZero() {
		return
	}
	job.state = stateName(u.State)
	o.publish(job)
}

// await publishes the job's end.
func (o *orchestrators) await(job *orchJob, x *orchestrator.Followed) {
	res, err := x.Wait(o.ctx)
	if o.ctx.Err() != nil {
		return // the engine stops
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	job.ended = time.Now()
	job.state, job.err = outcome(res, err)
	if err == nil {
		job.output = res.Outputs
	}
	o.publish(job)
	slog.Info("engine: orchestrator job ended", "connection", job.key.conn,
		"job", job.key.id, "state", job.state)
}

// outcome is the final state and error message of a followed job.
func outcome(res orchestrator.JobResult, err error) (state, msg string) {
	var failed *orchestrator.JobFailedError
	switch {
	case err == nil:
		return stateName(res.Job.State), ""
	case errors.As(err, &failed):
		return stateName(failed.State), cmp.Or(failed.Info, err.Error())
	}
	return "unknown", err.Error() // given up: deleted, or no robot took it
}

func stateName(s orchestrator.JobState) string { return strings.ToLower(string(s)) }

// publish puts the job's state into the feed; o.mu is held.
func (o *orchestrators) publish(job *orchJob) {
	o.feed.Publish(feed.Event{Type: feed.OrchestratorJobState,
		JobID: strconv.FormatInt(job.key.id, 10), Process: job.process,
		Connection: job.key.conn, Folder: job.folder, State: job.state, Error: job.err,
		Output: job.output})
}

// prune forgets jobs that ended more than orchKeep ago; o.mu is held.
func (o *orchestrators) prune() {
	for k, job := range o.jobs {
		if !job.ended.IsZero() && time.Since(job.ended) > orchKeep {
			delete(o.jobs, k)
		}
	}
}

// list returns the followed jobs and those that ended lately, oldest first.
func (o *orchestrators) list() []OrchestratorJob {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.prune()
	out := []OrchestratorJob{}
	for _, job := range o.jobs {
		out = append(out, job.entry())
	}
	slices.SortFunc(out, func(a, b OrchestratorJob) int { return a.Created.Compare(b.Created) })
	return out
}

// stop asks the Orchestrator to stop a followed job.
func (o *orchestrators) stop(ctx context.Context, conn string, id int64, kill bool) error {
	o.mu.Lock()
	job := o.jobs[orchKey{conn, id}]
	ended := job != nil && !job.ended.IsZero()
	o.mu.Unlock()
	switch {
	case job == nil:
		return fmt.Errorf("job %d of connection %s: %w", id, conn, errNotFollowed)
	case ended:
		return fmt.Errorf("job %d of connection %s: %w", id, conn, errJobEnded)
	}
	c, err := o.connection(conn)
	if err != nil {
		return err
	}
	strategy := orchestrator.SoftStop
	if kill {
		strategy = orchestrator.Kill
	}
	slog.Info("engine: stopping orchestrator job", "connection", conn, "job", id,
		"strategy", string(strategy))
	return c.follower.Stop(ctx, id, strategy)
}
