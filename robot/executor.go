package robot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Limits bounds what a process can make the engine hold.
type Limits struct {
	// MaxMessageBytes caps one line a process writes (its output arguments
	// travel in one line). Zero means 10 MiB.
	MaxMessageBytes int
	// StopGrace is how long a process may take to end after the polite
	// stop signal before it is killed. Zero means 5 s.
	StopGrace time.Duration
}

func (l Limits) maxMessage() int {
	if l.MaxMessageBytes <= 0 {
		return 10 << 20
	}
	return l.MaxMessageBytes
}

func (l Limits) grace() time.Duration {
	if l.StopGrace <= 0 {
		return 5 * time.Second
	}
	return l.StopGrace
}

// processMessage is one JSON line a process writes on stdout.
type processMessage struct {
	Type      string          `json:"type"` // status, event, output, error
	Text      string          `json:"text"`
	Name      string          `json:"name"`
	Payload   json.RawMessage `json:"payload"`
	Arguments map[string]any  `json:"arguments"`
	Message   string          `json:"message"`
	ErrorType string          `json:"errorType"`
}

// engineMessage is one JSON line the engine writes to a process's stdin.
type engineMessage struct {
	Type      string          `json:"type"` // input, message, stop
	JobID     string          `json:"jobId,omitempty"`
	Arguments map[string]any  `json:"arguments,omitempty"`
	Channel   string          `json:"channel,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// runSettings are the per-job choices of the robot.
type runSettings struct {
	limits  Limits
	timeout time.Duration // zero: none
	logDir  string        // "": no job log
}

// execution is the engine's side of one running child process.
type execution struct {
	job      *Job
	cmd      *exec.Cmd
	limits   Limits
	settings runSettings
	onEnd    func()
	log      *jobLog // nil when job logs are off

	// written only by the stdout reader, read after it finished:
	output    map[string]any
	reported  *JobError
	overLimit string
}

// run starts the job's process and follows it to the end. It returns
// once the process has started (or failed to); the rest happens in the
// background and ends with job.finish.
func run(job *Job, args map[string]any, self string, s runSettings, onEnd func()) {
	ex := &execution{job: job, limits: s.limits, settings: s, onEnd: onEnd}

	job.inbox <- engineMessage{Type: "input", JobID: job.ID, Arguments: args}
	if err := ex.start(self); err != nil {
		ex.log.Close()
		job.finish(Faulted, nil, &JobError{Message: err.Error(), Type: "StartFailed"})
		onEnd()
		return
	}
	job.setState(Running)
}

func (ex *execution) start(self string) error {
	pkg := ex.job.Package
	argv := expandCommand(pkg, self)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = pkg.Dir
	if cmd.Dir == "" {
		cmd.Dir = os.TempDir()
	}
	cmd.Env = append(os.Environ(), "ROBOTBRIDGE_JOB_ID="+ex.job.ID)
	setProcessGroup(cmd)

	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("cannot start process %q: %w", pkg.Name, err)
	}
	lines := &lineWriter{max: ex.limits.maxMessage(), onLine: ex.handleLine,
		onTooLong: ex.messageTooLong}
	stderr := &tailBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = lines, stderr
	if ex.settings.logDir != "" {
		log, err := openJobLog(ex.settings.logDir, ex.job.ID)
		if err != nil {
			return err
		}
		ex.log = log
		cmd.Stdout, cmd.Stderr = io.MultiWriter(lines, log), io.MultiWriter(stderr, log)
	}
	// A process may leave children that keep its stdout open; do not wait
	// for them forever once the process itself has exited.
	cmd.WaitDelay = time.Second

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start process %q (command %q): %w; check the "+
			"\"command\" in its project.json", pkg.Name, argv[0], err)
	}
	ex.cmd = cmd

	go ex.writeStdin(stdin)
	go ex.wait(stderr)
	return nil
}

func expandCommand(pkg *Package, self string) []string {
	argv := make([]string, len(pkg.Command))
	for i, a := range pkg.Command {
		a = strings.ReplaceAll(a, SelfExecutable, self)
		argv[i] = strings.ReplaceAll(a, "${package}", pkg.Dir)
	}
	return argv
}

// writeStdin feeds the child its input and later messages, one JSON line
// each, until the job ends.
func (ex *execution) writeStdin(w io.WriteCloser) {
	defer w.Close()
	enc := json.NewEncoder(w)
	for {
		select {
		case msg := <-ex.job.inbox:
			if err := enc.Encode(msg); err != nil {
				return // the child closed stdin or exited
			}
		case <-ex.job.doneCh():
			return
		}
	}
}

// messageTooLong ends a process that broke the message limit; the line
// writer discards the rest of its output so it cannot block on a pipe.
func (ex *execution) messageTooLong() {
	ex.overLimit = fmt.Sprintf("a message from the process is larger than the "+
		"limit of %s; raise max_message_mib in the config or return less data",
		formatMiB(ex.limits.maxMessage()))
	ex.job.stopOnce.Do(func() { close(ex.job.stopCh) })
}

// handleLine turns one of the child's JSON lines into a job update. Lines
// that are not JSON messages are ordinary program output and are skipped.
func (ex *execution) handleLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return
	}
	var msg processMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber() // output arguments keep every digit they were given
	if dec.Decode(&msg) != nil {
		return
	}

	switch msg.Type {
	case "status":
		ex.job.addStatus(msg.Text)
	case "event":
		ex.job.addEvent(msg.Name, payloadText(msg.Payload))
	case "output":
		ex.output = msg.Arguments
	case "error":
		ex.reported = &JobError{Message: msg.Message, Type: nonEmpty(msg.ErrorType, "ProcessError")}
	}
}

// payloadText keeps string payloads as they are and sends any other JSON
// value as its JSON text, since the RobotJS SDK types payloads as strings.
func payloadText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// wait follows the process to its end, stopping it when asked, and records
// the result.
func (ex *execution) wait(stderr *tailBuffer) {
	exited := make(chan error, 1)
	go func() { exited <- ex.cmd.Wait() }()

	var timeout <-chan time.Time
	if ex.settings.timeout > 0 {
		timer := time.NewTimer(ex.settings.timeout)
		defer timer.Stop()
		timeout = timer.C
	}

	var waitErr error
	stopped, timedOut := false, false
	select {
	case waitErr = <-exited:
	case <-ex.job.stopCh:
		stopped = true
		waitErr = ex.stopProcess(exited)
	case <-timeout:
		timedOut = true
		waitErr = ex.stopProcess(exited)
	}
	killProcessGroup(ex.cmd) // children the process left behind
	if errors.Is(waitErr, exec.ErrWaitDelay) && ex.cmd.ProcessState.Success() {
		waitErr = nil // it exited cleanly; only a leftover child held its output
	}

	state, jobErr := ex.result(stopped, waitErr, stderr.String())
	if timedOut {
		state, jobErr = Faulted, &JobError{Type: "Timeout", Message: fmt.Sprintf(
			"the job ran longer than its time limit of %s and was stopped",
			ex.settings.timeout)}
	}
	ex.log.Close()
	ex.job.finish(state, ex.output, jobErr)
	ex.onEnd()
}

// stopProcess asks politely (a stop message and a signal to the whole
// process group), then kills the group after the grace period.
func (ex *execution) stopProcess(exited <-chan error) error {
	select {
	case ex.job.inbox <- engineMessage{Type: "stop"}:
	default:
	}
	signalProcessGroup(ex.cmd)

	timer := time.NewTimer(ex.limits.grace())
	defer timer.Stop()
	select {
	case err := <-exited:
		return err
	case <-timer.C:
	case <-ex.job.killCh:
	}
	killProcessGroup(ex.cmd)
	return <-exited
}

func (ex *execution) result(stopped bool, waitErr error, stderrTail string) (State, *JobError) {
	switch {
	case ex.overLimit != "":
		return Faulted, &JobError{Message: ex.overLimit, Type: "OutputTooLarge"}
	case stopped:
		return Stopped, &JobError{Message: "the job was stopped on request", Type: "Stopped"}
	case ex.reported != nil:
		return Faulted, ex.reported
	case waitErr != nil:
		return Faulted, &JobError{Message: exitMessage(waitErr, stderrTail), Type: "ProcessExited"}
	}
	if err := ex.job.Package.CheckOutputs(ex.output); err != nil {
		return Faulted, &JobError{Message: "the process returned " + err.Error() +
			"; fix the process or its declared output types", Type: "BadOutput"}
	}
	return Successful, nil
}

func exitMessage(waitErr error, stderrTail string) string {
	msg := "the process " + waitErr.Error()
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) && exitErr.ExitCode() >= 0 {
		msg = fmt.Sprintf("the process exited with code %d", exitErr.ExitCode())
	}
	if last := lastLine(stderrTail); last != "" {
		msg += ": " + last
	}
	return msg
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func formatMiB(n int) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
