package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"robotbridge/orchestrator/orchestratortest"
)

// followFixture is a fake with InvoiceBot, a client and a follower whose
// timer is under the test's control.
type followFixture struct {
	s     *orchestratortest.Server
	c     *Client
	f     *Follower
	scope FolderScope
	rel   Release
	waits chan time.Duration // each delay Run waits for
	fire  chan time.Time     // lets Run's wait end
}

func newFollowFixture(t testing.TB, opts FollowOptions) *followFixture {
	t.Helper()
	s := orchestratortest.New(t, orchestratortest.Options{})
	s.AddUser(orchestratortest.User{Name: "jdoe", Password: "pw", Tenant: "Default"})
	s.AddRelease("Finance/AP", orchestratortest.Release{Name: "InvoiceBot",
		ProcessKey: "InvoiceBot", ProcessVersion: "1.0.2"})
	ca := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(ca, s.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Profile: Profile{Name: "t", URL: s.URL, Auth: AuthPassword,
		User: "jdoe", CAFile: ca}, Secret: "pw", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	fx := &followFixture{s: s, c: c, waits: make(chan time.Duration, 100),
		fire: make(chan time.Time)}
	if opts.After == nil {
		opts.After = func(d time.Duration) <-chan time.Time { fx.waits <- d; return fx.fire }
	}
	fx.f = c.NewFollower(opts)
	ctx := context.Background()
	if fx.scope, err = c.ResolveFolder(ctx, "Finance/AP"); err != nil {
		t.Fatal(err)
	}
	if fx.rel, err = c.ReleaseByName(ctx, fx.scope, "InvoiceBot"); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *followFixture) start(t testing.TB) *Followed {
	t.Helper()
	j, err := fx.c.StartJob(context.Background(), fx.scope, fx.rel, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return fx.f.Follow(fx.scope, j)
}

func TestJobResult_WaitsForFinalState_ParsesOutputArguments(t *testing.T) {
	cases := []struct {
		name, state, info string
		out               *string
		want              string // outputs as JSON, or the error text
	}{
		{"successful", "Successful", "Job completed", ptr(`{"total":1.5,"rows":[]}`),
			`{"rows":[],"total":1.5}`},
		{"null outputs", "Successful", "", nil, `{}`},
		{"faulted", "Faulted", "System.Exception: no invoices found", nil,
			"job * Faulted: System.Exception: no invoices found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFollowFixture(t, FollowOptions{})
			x := fx.start(t)
			if err := fx.f.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			fx.s.SetJob(x.ID, "Running", "", nil)
			if err := fx.f.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case <-x.Done():
				t.Fatalf("the job was done while %s", x.Job().State)
			default:
			}
			fx.s.SetJob(x.ID, tc.state, tc.info, tc.out)
			if err := fx.f.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			res, err := x.Wait(ctxT(t))
			checkResult(t, res, err, strings.Replace(tc.want, "*", itoa(x.ID), 1))
		})
	}
}

func checkResult(t *testing.T, res JobResult, err error, want string) {
	t.Helper()
	if strings.HasPrefix(want, "{") {
		got, _ := json.Marshal(res.Outputs)
		if err != nil || string(got) != want {
			t.Fatalf("result = %s, %v; want %s", got, err, want)
		}
		return
	}
	var failed *JobFailedError
	if !errors.As(err, &failed) || err.Error() != want {
		t.Fatalf("result error = %v, want %q", err, want)
	}
}

func TestOrchestratorJob_PendingTimeout_ActionableError(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fx := newFollowFixture(t, FollowOptions{PendingTimeout: time.Minute, Now: clock})
	x := fx.start(t)
	if err := fx.f.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if err := fx.f.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := x.Wait(ctxT(t))
	if !errors.Is(err, ErrStillPending) || !errors.Is(err, ErrNoRobot) {
		t.Fatalf("Wait = %v, want ErrStillPending", err)
	}
	for _, want := range []string{"still Pending after 1m1s", `"Finance/AP"`, "no robot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The caller may cancel the job: it was left queued, not dropped.
	if fx.s.JobState(x.ID) != "Pending" {
		t.Fatalf("job state = %s, want Pending", fx.s.JobState(x.ID))
	}
	if err := fx.c.StopJobs(context.Background(), fx.scope, []int64{x.ID}, SoftStop); err != nil {
		t.Fatal(err)
	}
	if fx.s.JobState(x.ID) != "Stopped" {
		t.Errorf("after stop: %s, want Stopped", fx.s.JobState(x.ID))
	}
}

func TestFollower_OneRequestPerInterval_1000Jobs(t *testing.T) {
	fx := newFollowFixture(t, FollowOptions{})
	ids := fx.s.AddJobs("Finance/AP", "InvoiceBot", 1000, "Running")
	for _, id := range ids {
		fx.f.Follow(fx.scope, Job{ID: id, State: JobRunning})
	}
	fx.s.ResetCounts()
	for range 3 {
		if err := fx.f.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := fx.s.Total(); n != 3 {
		t.Fatalf("requests for 3 intervals of 1,000 jobs = %d, want 3", n)
	}

	// Two jobs end: one more read each, for their outputs, then no more.
	fx.s.SetJob(ids[10], "Successful", "", ptr(`{"n":1}`))
	fx.s.SetJob(ids[500], "Faulted", "boom", nil)
	fx.s.ResetCounts()
	if err := fx.f.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fx.s.Count("jobs") != 1 || fx.s.Count("job") != 2 || fx.f.Len() != 998 {
		t.Fatalf("list %d, reads %d, followed %d; want 1, 2, 998", fx.s.Count("jobs"),
			fx.s.Count("job"), fx.f.Len())
	}
}

func TestFollower_FewJobs_AskedByIDList(t *testing.T) {
	fx := newFollowFixture(t, FollowOptions{})
	x, y := fx.start(t), fx.start(t)
	if err := fx.f.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := fx.s.LastRequest("jobs").URL.Query().Get("$filter")
	want := "Id eq " + itoa(x.ID) + " or Id eq " + itoa(y.ID)
	want2 := "Id eq " + itoa(y.ID) + " or Id eq " + itoa(x.ID)
	if got != want && got != want2 {
		t.Fatalf("$filter = %q, want %q", got, want)
	}
	fx.s.DeleteJob(x.ID)
	if err := fx.f.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Wait(ctxT(t)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted job ends with %v, want ErrNotFound", err)
	}
}

func TestFollower_NoRequestsWhileIdle_BackoffAndRetryAfter(t *testing.T) {
	fx := newFollowFixture(t, FollowOptions{Interval: 2 * time.Second,
		MaxInterval: 10 * time.Second})
	idle := make(chan struct{}, 10)
	fx.f.idle = func() { idle <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fx.f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	<-idle // nothing followed: Run waits without a timer and sends nothing
	fx.s.ResetCounts()
	x := fx.start(t)
	if d := <-fx.waits; d != 2*time.Second {
		t.Fatalf("first wait = %s, want the interval 2s", d)
	}
	fx.s.Fail("jobs", orchestratortest.Fault{Status: 503, Shape: orchestratortest.ShapeHTML,
		Times: 3})
	fx.fire <- time.Now() // fails: 4s
	fx.fire <- time.Now() // fails: 8s
	fx.fire <- time.Now() // fails: capped at 10s
	want := []time.Duration{4 * time.Second, 8 * time.Second, 10 * time.Second}
	for i, w := range want {
		if d := <-fx.waits; d != w {
			t.Fatalf("wait after failure %d = %s, want %s", i+1, d, w)
		}
	}
	fx.s.Fail("jobs", orchestratortest.Fault{Status: 429, RetryAfter: "25", Times: 1})
	fx.fire <- time.Now()
	if d := <-fx.waits; d != 25*time.Second {
		t.Fatalf("wait after 429 Retry-After: 25 = %s, want 25s", d)
	}
	fx.fire <- time.Now() // succeeds: back to the interval
	if d := <-fx.waits; d != 2*time.Second {
		t.Fatalf("wait after success = %s, want 2s", d)
	}
	fx.s.SetJob(x.ID, "Successful", "", nil)
	fx.fire <- time.Now()
	<-idle // the job ended: idle again
	if _, err := x.Wait(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := fx.s.Count("jobs"); got != 6 {
		t.Errorf("list requests = %d, want 6 (one per interval)", got)
	}
}

func BenchmarkFollower_1000Jobs(b *testing.B) {
	fx := newFollowFixture(b, FollowOptions{})
	ids := fx.s.AddJobs("Finance/AP", "InvoiceBot", 1000, "Running")
	for _, id := range ids {
		fx.f.Follow(fx.scope, Job{ID: id, State: JobRunning})
	}
	fx.s.ResetCounts()
	b.ResetTimer()
	for b.Loop() {
		if err := fx.f.PollOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(fx.s.Total())/float64(b.N), "requests/interval")
	b.ReportMetric(1000, "jobs")
}

func ptr(s string) *string { return &s }

func ctxT(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
