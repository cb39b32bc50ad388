// Package samples holds the sample processes robotbridge ships: their
// package descriptions (embedded project.json files) and the Go code that
// runs each of them as a child process of the engine.
package samples

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	"robotbridge/process"
	"robotbridge/robot"
)

//go:embed */project.json
var projects embed.FS

// Source is the package source name of the samples (part of their keys).
const Source = "sample"

// Packages parses the embedded sample packages.
func Packages() ([]*robot.Package, error) {
	names, err := fs.Glob(projects, "*/project.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)

	var pkgs []*robot.Package
	for _, name := range names {
		data, err := projects.ReadFile(name)
		if err != nil {
			return nil, err
		}
		pkg, err := robot.ParseProject(data, Source)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", name, err)
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
}

var runners = map[string]func(*process.Session) int{
	"echo":   echo,
	"sleep":  sleep,
	"fail":   fail,
	"events": events,
}

// RunIfRequested runs a sample and exits when the command line asks for
// one ("robotbridge sample NAME"). main calls it first; so do tests whose
// test binary stands in for robotbridge as the samples' executable.
func RunIfRequested() {
	if len(os.Args) == 3 && os.Args[1] == "sample" {
		os.Exit(Run(os.Args[2], os.Stdin, os.Stdout))
	}
}

// Run runs the named sample as the current process and returns its exit
// code. The engine starts it as "robotbridge sample NAME".
func Run(name string, stdin io.Reader, stdout io.Writer) int {
	runner, ok := runners[name]
	if !ok {
		fmt.Fprintf(stdout, "unknown sample %q\n", name)
		return 2
	}
	s, err := process.Open(stdin, stdout)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return 2
	}
	return runner(s)
}

func echo(s *process.Session) int {
	s.Output(s.Input)
	return 0
}

func fail(s *process.Session) int {
	msg, _ := s.Input["message"].(string)
	if msg == "" {
		msg = "the fail sample failed, as it always does"
	}
	s.Status("Failing on purpose")
	s.Fail(msg, "SampleFailure")
	return 1
}

func events(s *process.Session) int {
	steps := []string{"reading", "checking", "writing"}
	for i, step := range steps {
		s.Status(fmt.Sprintf("Step %d of %d: %s", i+1, len(steps), step))
		s.Event("progress", fmt.Sprintf("%d", (i+1)*100/len(steps)))
	}
	s.Event("summary", map[string]any{"steps": len(steps), "ok": true})
	s.Output(map[string]any{"steps": len(steps)})
	return 0
}

// sleep waits for "seconds" (forever when absent), reports progress once a
// second, and answers every client message with a workflow event of the
// same name and payload.
func sleep(s *process.Session) int {
	var deadline <-chan time.Time
	seconds, limited := s.Number("seconds")
	if limited {
		deadline = time.After(time.Duration(seconds * float64(time.Second)))
		s.Status(fmt.Sprintf("Sleeping for %g s", seconds))
	} else {
		s.Status("Sleeping until stopped")
	}

	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-deadline:
			s.Output(map[string]any{"slept": time.Since(start).Seconds()})
			return 0
		case <-s.Stop:
			return 0
		case t := <-tick.C:
			s.Status(fmt.Sprintf("Slept %.0f s", t.Sub(start).Seconds()))
		case m := <-s.Messages:
			s.Event(m.Channel, rawPayload(m.Payload))
		}
	}
}

// rawPayload passes a message payload back unchanged: strings stay
// strings, other JSON values keep their JSON form.
func rawPayload(p json.RawMessage) any {
	if len(p) == 0 {
		return ""
	}
	return p
}
