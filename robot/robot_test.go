package robot_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"robotbridge/assets/samples"
	"robotbridge/process"
	"robotbridge/robot"
)

// TestMain lets the test binary stand in for robotbridge: the samples'
// command "${robotbridge} sample NAME" re-runs this binary, and the extra
// "testproc MODE" processes below misbehave on purpose.
func TestMain(m *testing.M) {
	samples.RunIfRequested()
	if len(os.Args) == 3 && os.Args[1] == "testproc" {
		os.Exit(testProcess(os.Args[2]))
	}
	os.Exit(m.Run())
}

// testProcess implements processes that break the rules.
func testProcess(mode string) int {
	switch mode {
	case "ignore-term": // never stops politely
		signal.Ignore(syscall.SIGTERM)
		fmt.Println(`{"type":"status","text":"ignoring you"}`)
		time.Sleep(time.Hour) // a child that never ends by itself
	case "fork-and-exit": // leaves a child holding stdout
		child := exec.Command(os.Args[0], "testproc", "sleep-forever")
		child.Stdout = os.Stdout
		_ = child.Start()
		fmt.Printf("{\"type\":\"output\",\"arguments\":{\"child\":%d}}\n", child.Process.Pid)
		return 0
	case "sleep-forever":
		time.Sleep(time.Hour) // a child that never ends by itself
	case "crash": // exits non-zero with a reason on stderr only
		fmt.Fprintln(os.Stderr, "disk on fire")
		return 3
	case "flood": // 64 MiB of plain output, some of it in one huge line
		line := strings.Repeat("x", 1<<20)
		for i := 0; i < 48; i++ {
			fmt.Println(line)
		}
		fmt.Println(strings.Repeat("y", 16<<20))
		fmt.Println(`{"type":"output","arguments":{"ok":true}}`)
		return 0
	case "chatty": // plain output mixed with protocol lines
		s, _ := process.Open(os.Stdin, os.Stdout)
		fmt.Println("hello, this is not JSON")
		fmt.Println("{not json either")
		s.Status("still fine")
		s.Output(map[string]any{"ok": true})
		return 0
	}
	return 2
}

func newRobot(t *testing.T, limits robot.Limits) *robot.Robot {
	t.Helper()
	r, err := robot.New(robot.Options{Self: os.Args[0], Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := samples.Packages()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		r.Install(p)
	}
	for _, mode := range []string{"ignore-term", "fork-and-exit", "crash", "chatty"} {
		r.Install(&robot.Package{Key: mode, Name: mode, Source: "test",
			Command: []string{robot.SelfExecutable, "testproc", mode}})
	}
	return r
}

func keyOf(t *testing.T, r *robot.Robot, name string) string {
	t.Helper()
	for _, p := range r.Processes() {
		if p.Name == name {
			return p.Key
		}
	}
	t.Fatalf("no process named %q", name)
	return ""
}

// runToEnd starts a job and waits (bounded) for its end.
func runToEnd(t *testing.T, r *robot.Robot, name string, args map[string]any) robot.Snapshot {
	t.Helper()
	job, err := r.Start(robot.StartRequest{ProcessKey: keyOf(t, r, name), Arguments: args})
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	waitEnd(t, job, 10*time.Second)
	return job.Since(0)
}

func waitEnd(t *testing.T, job *robot.Job, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { job.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("job %s did not end within %s (state %s)", job.ID, limit, job.State())
	}
}

// waitFor polls a condition with a deadline instead of sleeping.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEcho_RoundTripsEveryJSONKind(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	var args map[string]any
	in := `{"text":"héllo ✓ 日本","big":12345678901234567890,"pi":3.25,"flag":false,
		"none":null,"nested":{"a":[1,"two",{"b":true}]},"list":[]}`
	dec := json.NewDecoder(strings.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&args); err != nil {
		t.Fatal(err)
	}

	snap := runToEnd(t, r, "echo", args)
	if snap.State != robot.Successful {
		t.Fatalf("state %s, error %+v", snap.State, snap.Err)
	}
	got, _ := json.Marshal(snap.Output)
	want, _ := json.Marshal(args)
	if string(got) != string(want) {
		t.Fatalf("echo changed the arguments:\n got %s\nwant %s", got, want)
	}
}

func TestEcho_NoArgumentsGivesEmptyObject(t *testing.T) {
	snap := runToEnd(t, newRobot(t, robot.Limits{}), "echo", nil)
	if snap.State != robot.Successful || len(snap.Output) != 0 || snap.Output == nil {
		t.Fatalf("state %s output %#v", snap.State, snap.Output)
	}
}

func TestFail_ReportsItsMessage(t *testing.T) {
	snap := runToEnd(t, newRobot(t, robot.Limits{}), "fail", map[string]any{"message": "boom 42"})
	if snap.State != robot.Faulted || snap.Err == nil || snap.Err.Message != "boom 42" {
		t.Fatalf("state %s error %+v", snap.State, snap.Err)
	}
}

func TestEvents_DeliversStatusesAndEventsInOrder(t *testing.T) {
	snap := runToEnd(t, newRobot(t, robot.Limits{}), "events", nil)
	var got []string
	for _, u := range snap.Updates {
		switch u.Kind {
		case robot.StatusUpdate:
			got = append(got, "status:"+u.Text)
		case robot.EventUpdate:
			got = append(got, "event:"+u.Name+"="+u.Payload)
		case robot.StateUpdate:
			got = append(got, "state:"+string(u.State))
		}
	}
	want := []string{"state:pending", "state:running",
		"status:Step 1 of 3: reading", "event:progress=33",
		"status:Step 2 of 3: checking", "event:progress=66",
		"status:Step 3 of 3: writing", "event:progress=100",
		`event:summary={"ok":true,"steps":3}`, "state:successful"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("updates\n got %q\nwant %q", got, want)
	}
}

func TestSleep_StopEndsAsStoppedAndMessagesComeBack(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	job, err := r.Start(robot.StartRequest{ProcessKey: keyOf(t, r, "sleep"), Origin: "o"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", func() bool { return job.State() == robot.Running })

	if err := r.SendMessage(job.ID, "ping", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "echoed event", func() bool {
		for _, u := range job.Since(0).Updates {
			if u.Kind == robot.EventUpdate && u.Name == "ping" && u.Payload == `{"n":1}` {
				return true
			}
		}
		return false
	})

	if n, err := r.StopProcess(job.Package.Key, "other origin"); err != nil || n != 0 {
		t.Fatalf("another origin stopped %d jobs (err %v)", n, err)
	}
	if n, err := r.StopProcess(job.Package.Key, "o"); err != nil || n != 1 {
		t.Fatalf("stop: %d jobs, err %v", n, err)
	}
	waitEnd(t, job, 10*time.Second)
	if s := job.State(); s != robot.Stopped {
		t.Fatalf("state %s, want stopped", s)
	}
	if err := r.StopJob(job.ID); !errors.Is(err, robot.ErrNotRunning) {
		t.Fatalf("stopping an ended job: %v", err)
	}
	if err := r.SendMessage(job.ID, "late", nil); !errors.Is(err, robot.ErrNotRunning) {
		t.Fatalf("message to an ended job: %v", err)
	}
}

func TestStop_KillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	r := newRobot(t, robot.Limits{StopGrace: 200 * time.Millisecond})
	job, err := r.Start(robot.StartRequest{ProcessKey: "ignore-term"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "status", func() bool { return len(job.Since(0).Updates) >= 2 })

	if err := r.StopJob(job.ID); err != nil {
		t.Fatal(err)
	}
	waitEnd(t, job, 5*time.Second)
	if s := job.State(); s != robot.Stopped {
		t.Fatalf("state %s, want stopped", s)
	}
}

func TestForkAndExit_EndsAndKillsTheLeftoverChild(t *testing.T) {
	snap := runToEnd(t, newRobot(t, robot.Limits{}), "fork-and-exit", nil)
	if snap.State != robot.Successful {
		t.Fatalf("state %s error %+v", snap.State, snap.Err)
	}
	pid, _ := snap.Output["child"].(json.Number).Int64()
	waitFor(t, "leftover child gone", func() bool {
		// Signal 0 only checks existence; a reaped or killed child fails it
		// (a zombie would still answer, so also check its state).
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(stat), ") Z ")
	})
}

func TestCrash_FaultsWithExitCodeAndStderr(t *testing.T) {
	snap := runToEnd(t, newRobot(t, robot.Limits{}), "crash", nil)
	if snap.State != robot.Faulted || snap.Err == nil {
		t.Fatalf("state %s", snap.State)
	}
	if !strings.Contains(snap.Err.Message, "code 3") ||
		!strings.Contains(snap.Err.Message, "disk on fire") {
		t.Fatalf("error %q should name the exit code and the stderr line", snap.Err.Message)
	}
}

func TestChattyOutput_PlainLinesAreIgnored(t *testing.T) {
	snap := runToEnd(t, newRobot(t, robot.Limits{}), "chatty", nil)
	if snap.State != robot.Successful || snap.Output["ok"] != true {
		t.Fatalf("state %s output %v", snap.State, snap.Output)
	}
}

func TestOversizedOutput_FaultsWithClearErrorNotTruncation(t *testing.T) {
	r := newRobot(t, robot.Limits{MaxMessageBytes: 64 << 10})
	big := strings.Repeat("x", 200<<10)
	snap := runToEnd(t, r, "echo", map[string]any{"text": big})

	if snap.State != robot.Faulted || snap.Err == nil || snap.Err.Type != "OutputTooLarge" {
		t.Fatalf("state %s error %+v", snap.State, snap.Err)
	}
	if !strings.Contains(snap.Err.Message, "0.1 MiB") {
		t.Fatalf("error should name the limit: %q", snap.Err.Message)
	}
	if len(snap.Output) != 0 {
		t.Fatalf("a partial output was kept: %d keys", len(snap.Output))
	}
}

func TestMissingCommand_FaultsWithClearError(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	r.Install(&robot.Package{Key: "nocmd", Name: "nocmd",
		Command: []string{"/nonexistent/robotbridge-test-command"}})
	job, err := r.Start(robot.StartRequest{ProcessKey: "nocmd"})
	if err != nil {
		t.Fatal(err)
	}
	waitEnd(t, job, 5*time.Second)
	snap := job.Since(0)
	if snap.State != robot.Faulted || !strings.Contains(snap.Err.Message, "project.json") {
		t.Fatalf("state %s error %+v", snap.State, snap.Err)
	}
}

func TestStart_BadInputsAreRefusedBeforeAnythingRuns(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	r.Install(&robot.Package{Key: "typed", Name: "typed", Command: []string{"true"},
		Inputs: []robot.Argument{
			{Name: "name", Type: "System.String", Required: true},
			{Name: "count", Type: "System.Int32"},
			{Name: "when", Type: "System.DateTime"},
			{Name: "tags", Type: "System.String[]"},
			{Name: "span", Type: "System.TimeSpan"},
			{Name: "table", Type: "System.Data.DataTable"},
			{Name: "dict", Type: "System.Collections.Generic.Dictionary`2[[System.String]," +
				"[System.Object]]"},
		}})

	cases := map[string]struct {
		args map[string]any
		want string
	}{
		"missing required": {map[string]any{}, `"name": is required`},
		"required null":    {map[string]any{"name": nil}, `"name": is required (System.String) but was null`},
		"wrong type":       {map[string]any{"name": 5.0}, `"name": must be a string`},
		"fraction":         {map[string]any{"name": "a", "count": 1.5}, "whole number"},
		"out of range":     {map[string]any{"name": "a", "count": 1e12}, "out of range"},
		"bad date":         {map[string]any{"name": "a", "when": "yesterday"}, "ISO 8601"},
		"bad array item":   {map[string]any{"name": "a", "tags": []any{"x", 1.0}}, "item 1"},
		"unknown argument": {map[string]any{"name": "a", "nmae": "b"}, "not an argument"},
		"bad duration":     {map[string]any{"name": "a", "span": "90 minutes"}, "duration"},
		"table not rows":   {map[string]any{"name": "a", "table": []any{1.0}}, "row 0"},
		"dict not object":  {map[string]any{"name": "a", "dict": "x"}, "dictionary"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := r.Start(robot.StartRequest{ProcessKey: "typed", Arguments: c.args})
			var argErr *robot.ArgumentError
			if !errors.As(err, &argErr) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an argument error containing %q", err, c.want)
			}
		})
	}
	if len(r.Jobs()) != 0 {
		t.Fatalf("refused starts left %d jobs behind", len(r.Jobs()))
	}
}

func TestStart_UnknownProcessAndJob(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	if _, err := r.Start(robot.StartRequest{ProcessKey: "nope"}); !errors.Is(err, robot.ErrUnknownProcess) {
		t.Fatalf("unknown process: %v", err)
	}
	if _, err := r.Job("nope"); !errors.Is(err, robot.ErrUnknownJob) {
		t.Fatalf("unknown job: %v", err)
	}
	if err := r.StopJob("nope"); !errors.Is(err, robot.ErrUnknownJob) {
		t.Fatalf("stop unknown job: %v", err)
	}
}

func TestStart_AdoptsGivenJobIDUnlessTakenOrInvalid(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	key := keyOf(t, r, "echo")
	start := func(id string) string {
		job, err := r.Start(robot.StartRequest{ProcessKey: key, JobID: id})
		if err != nil {
			t.Fatal(err)
		}
		return job.ID
	}

	given := "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
	if id := start(given); id != given {
		t.Fatalf("given id not adopted: %s", id)
	}
	if id := start(given); id == given {
		t.Fatal("an id in use was adopted twice")
	}
	if id := start("bad id&x"); id == "bad id&x" {
		t.Fatal("an invalid id was adopted")
	}
}

func TestProcessKeys_StableAndURLSafe(t *testing.T) {
	a := robot.ProcessKey("sample", "echo")
	if a != robot.ProcessKey("sample", "echo") || a == robot.ProcessKey("folder", "echo") {
		t.Fatal("keys must be stable per source and name, distinct across sources")
	}
	for _, c := range a {
		if !strings.ContainsRune("0123456789abcdef-", c) {
			t.Fatalf("key %q has a character that is not URL-safe", a)
		}
	}
}

func TestTypedArguments_GoodValuesOfEveryTypeAreAccepted(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	args := map[string]any{
		"s": "x", "b": true, "i": 42.0, "l": 9e15, "d": 1.5, "t": "2026-12-04T16:30:00Z",
		"span": "1.02:30:00", "o": map[string]any{"k": 1.0}, "arr": []any{"a", "b"},
		"table": []any{map[string]any{"col": 1.0}}, "dict": map[string]any{"a": "b"},
		"ja": []any{1.0, "x"}, "any": "whatever",
	}
	types := map[string]string{"s": "System.String", "b": "System.Boolean",
		"i": "System.Int32", "l": "System.Int64", "d": "System.Decimal",
		"t": "System.DateTime", "span": "System.TimeSpan", "o": "Newtonsoft.Json.Linq.JObject",
		"arr": "System.String[]", "table": "System.Data.DataTable",
		"dict": "System.Collections.Generic.Dictionary`2[[System.String],[System.Object]]",
		"ja":   "Newtonsoft.Json.Linq.JArray", "any": "Newtonsoft.Json.Linq.JToken"}
	pkg := &robot.Package{Key: "typed", Name: "typed", AcceptsExtraArguments: false,
		Command: []string{robot.SelfExecutable, "sample", "echo"}}
	for name, typ := range types {
		pkg.Inputs = append(pkg.Inputs, robot.Argument{Name: name, Type: typ})
		pkg.Outputs = append(pkg.Outputs, robot.Argument{Name: name, Type: typ})
	}
	r.Install(pkg)
	job, err := r.Start(robot.StartRequest{ProcessKey: "typed", Arguments: args})
	if err != nil {
		t.Fatal(err)
	}
	waitEnd(t, job, 10*time.Second)
	if snap := job.Summary(); snap.State != robot.Successful || len(snap.Output) != len(args) {
		t.Fatalf("state %s error %+v output %v", snap.State, snap.Err, snap.Output)
	}
}

// Outputs of the wrong type fault the job with a message naming them.
func TestOutputs_OfTheWrongTypeFaultTheJob(t *testing.T) {
	r := newRobot(t, robot.Limits{})
	r.Install(&robot.Package{Key: "lies", Name: "lies", AcceptsExtraArguments: true,
		Command: []string{robot.SelfExecutable, "sample", "echo"},
		Outputs: []robot.Argument{{Name: "count", Type: "System.Int32"}}})
	job, _ := r.Start(robot.StartRequest{ProcessKey: "lies",
		Arguments: map[string]any{"count": "many"}})
	waitEnd(t, job, 10*time.Second)
	_, jobErr := job.Result()
	if job.State() != robot.Faulted || jobErr.Type != "BadOutput" ||
		!strings.Contains(jobErr.Message, `output argument "count"`) {
		t.Fatalf("state %s error %+v", job.State(), jobErr)
	}
}
