package robot_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"robotbridge/robot"
)

// attended is a foreground copy of the sleep sample.
func attended(key string) *robot.Package {
	return &robot.Package{Key: key, Name: key, Version: "1", Foreground: true,
		Command: []string{robot.SelfExecutable, "sample", "sleep"},
		Inputs:  []robot.Argument{{Name: "seconds", Type: "System.Double"}}}
}

func TestAttendedJobs_OneAtATimeOthersQueueInOrder(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	r.Install(attended("att"))
	first, _ := r.Start(robot.StartRequest{ProcessKey: "att"})
	second, _ := r.Start(robot.StartRequest{ProcessKey: "att",
		Arguments: map[string]any{"seconds": 0.01}})
	third, _ := r.Start(robot.StartRequest{ProcessKey: "att",
		Arguments: map[string]any{"seconds": 0.01}})

	waitFor(t, "first running", func() bool { return first.State() == robot.Running })
	if second.State() != robot.Pending || third.State() != robot.Pending {
		t.Fatalf("queued jobs must wait: %s %s", second.State(), third.State())
	}
	if !strings.Contains(second.Since(0).Updates[1].Text, "Waiting") {
		t.Fatal("a queued job must say why it waits")
	}

	if err := r.StopJob(third.ID); err != nil {
		t.Fatal(err)
	}
	if third.State() != robot.Stopped {
		t.Fatalf("a queued job stopped before it started: %s", third.State())
	}
	if err := r.StopJob(first.ID); err != nil {
		t.Fatal(err)
	}
	waitEnd(t, second, 10*time.Second)
	if second.State() != robot.Successful {
		t.Fatalf("the queued job did not run after the first: %s", second.State())
	}
}

func TestAttendedJobs_RefusedWhenConfigured(t *testing.T) {
	r, err := robot.New(robot.Options{Self: os.Args[0], RefuseWhenBusy: true})
	if err != nil {
		t.Fatal(err)
	}
	r.Install(attended("att"))
	first, _ := r.Start(robot.StartRequest{ProcessKey: "att"})
	defer r.KillJob(first.ID)
	if _, err := r.Start(robot.StartRequest{ProcessKey: "att"}); !errors.Is(err, robot.ErrRobotBusy) {
		t.Fatalf("got %v, want ErrRobotBusy", err)
	}
}

func TestTimeout_FaultsTheJobWithItsLimit(t *testing.T) {
	r, err := robot.New(robot.Options{Self: os.Args[0], DefaultTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.Install(attended("att"))
	job, _ := r.Start(robot.StartRequest{ProcessKey: "att"})
	waitEnd(t, job, 10*time.Second)
	_, jobErr := job.Result()
	if job.State() != robot.Faulted || jobErr.Type != "Timeout" ||
		!strings.Contains(jobErr.Message, "200ms") {
		t.Fatalf("state %s error %+v", job.State(), jobErr)
	}
}

func TestKill_EndsAStubbornProcessWithoutTheGracePeriod(t *testing.T) {
	r := newRobot(t, robot.Limits{StopGrace: time.Hour})
	job, _ := r.Start(robot.StartRequest{ProcessKey: "ignore-term"})
	waitFor(t, "running", func() bool { return job.State() == robot.Running })
	if err := r.KillJob(job.ID); err != nil {
		t.Fatal(err)
	}
	waitEnd(t, job, 10*time.Second)
	if job.State() != robot.Stopped {
		t.Fatalf("state %s", job.State())
	}
}

func TestFlood_PlainOutputIsBoundedAndTheJobSucceeds(t *testing.T) {
	logs := t.TempDir()
	r, err := robot.New(robot.Options{Self: os.Args[0], JobLogDir: logs})
	if err != nil {
		t.Fatal(err)
	}
	r.Install(&robot.Package{Key: "flood", Name: "flood",
		Command: []string{robot.SelfExecutable, "testproc", "flood"}})
	job, _ := r.Start(robot.StartRequest{ProcessKey: "flood"})
	waitEnd(t, job, 60*time.Second)
	if snap := job.Summary(); snap.State != robot.Successful || snap.Output["ok"] != true {
		t.Fatalf("state %s output %v err %+v", snap.State, snap.Output, snap.Err)
	}

	info, err := os.Stat(robot.JobLogPath(logs, job.ID))
	if err != nil || info.Size() > 11<<20 {
		t.Fatalf("job log: %v, size %d (cap 10 MiB)", err, info.Size())
	}
	data, _ := os.ReadFile(robot.JobLogPath(logs, job.ID))
	if !strings.Contains(string(data[len(data)-200:]), "log limit") {
		t.Fatal("a capped log must say that it was capped")
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("job log mode %v: it may hold private data", mode)
	}
}
