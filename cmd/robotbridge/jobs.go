package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"robotbridge/control"
	"robotbridge/engine"
	"robotbridge/feed"
)

// processes lists the installed processes and any broken packages.
func processes(args []string) error {
	c, rest, err := clientFlags("processes", args)
	if err != nil {
		return err
	}
	if len(rest) == 3 && rest[0] == "use" {
		req := engine.UseRequest{Process: rest[1], Version: rest[2]}
		if err := c.Do("POST", "/v1/processes/use", req, nil); err != nil {
			return err
		}
		fmt.Printf("%s now runs version %s.\n", rest[1], rest[2])
		return nil
	}
	if len(rest) != 0 {
		return errors.New("usage: robotbridge processes [--config-dir DIR] [use NAME VERSION]")
	}

	var list []engine.ProcessEntry
	if err := c.Do("GET", "/v1/processes", nil, &list); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSOURCE\tARGUMENTS\tNOTE")
	for _, p := range list {
		note := p.Problem
		if p.Newer != "" {
			note = "newer version " + p.Newer + " installed (robotbridge processes use)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Version, p.Source,
			argumentList(p.Inputs), note)
	}
	tw.Flush()

	var problems []struct{ Path, Error string }
	if err := c.Do("GET", "/v1/packages/problems", nil, &problems); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Printf("broken package: %s\n", p.Error)
	}
	return nil
}

// argumentList prints a schema as "name: String*, count: Int32" (* required).
func argumentList(inputs []engine.ArgumentEntry) string {
	if len(inputs) == 0 {
		return "-"
	}
	parts := make([]string, len(inputs))
	for i, a := range inputs {
		short := strings.TrimPrefix(strings.TrimPrefix(a.Type, "System."),
			"Newtonsoft.Json.Linq.")
		parts[i] = a.Name + ": " + short
		if a.Required {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, ", ")
}

// run starts a process with JSON input arguments and waits for its end,
// printing status messages, events and the output arguments.
func run(args []string) error {
	c, rest, err := clientFlags("run", args)
	if err != nil {
		return err
	}
	if len(rest) < 1 || len(rest) > 2 {
		return errors.New(`usage: robotbridge run [--config-dir DIR] PROCESS ['{"arg": "value"}']`)
	}
	req := engine.RunRequest{Process: rest[0]}
	if len(rest) == 2 {
		if req.Arguments, err = parseArguments(rest[1]); err != nil {
			return err
		}
	}

	after := uint64(0)
	var status engine.Status
	if err := c.Do("GET", "/v1/status", nil, &status); err == nil {
		after = status.LastEvent
	}
	var job engine.JobDetail
	if err := c.Do("POST", "/v1/jobs", req, &job); err != nil {
		return err
	}
	fmt.Printf("job %s started (%s %s); Ctrl-C stops it\n", job.ID, job.Process, job.Version)
	return stopOnInterrupt(c, job.ID, func() error { return follow(c, after, job.ID) })
}

// parseArguments reads input arguments given on the command line.
func parseArguments(text string) (map[string]any, error) {
	const example = `; give one JSON object, e.g. '{"text": "hi", "count": 2}'`
	trimmed := strings.TrimSpace(text)
	if !strings.HasPrefix(trimmed, "{") {
		return nil, errors.New("input arguments are not a JSON object" + example)
	}
	var args map[string]any
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&args); err != nil {
		return nil, fmt.Errorf("input arguments are not valid JSON (%v)%s", err, example)
	}
	return args, nil
}

// stopOnInterrupt runs follow; a Ctrl-C (or SIGTERM) while it runs stops
// the job instead of leaving it running unseen.
func stopOnInterrupt(c *control.Client, jobID string, follow func() error) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- follow() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cancel() // a second Ctrl-C ends the CLI at once
		fmt.Fprintf(os.Stderr, "stopping job %s...\n", jobID)
		err := c.Do(http.MethodPost, "/v1/jobs/"+jobID+"/stop", engine.StopRequest{}, nil)
		if err != nil {
			return fmt.Errorf("could not stop job %s (%v); stop it with "+
				"`robotbridge jobs stop %s`", jobID, err, jobID)
		}
		return <-done
	}
}

// follow prints the events of one job (or all jobs when jobID is empty)
// until that job ends.
func follow(c *control.Client, after uint64, jobID string) error {
	return followUntil(c, after, func(e feed.Event) (show, end bool) {
		if jobID == "" {
			return true, false
		}
		return e.JobID == jobID, e.JobID == jobID && e.Type == feed.JobState && isEnd(e.State)
	})
}

// followUntil prints the events watch shows, from after on, until one it
// says ends the wait: nil when that event's state is successful.
func followUntil(c *control.Client, after uint64,
	watch func(feed.Event) (show, end bool)) error {
	body, err := c.Stream(context.Background(), "/v1/events?after="+fmt.Sprint(after))
	if err != nil {
		return err
	}
	defer body.Close()

	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 32<<20)
	for sc.Scan() {
		var e feed.Event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		show, end := watch(e)
		if show {
			printEvent(os.Stdout, e)
		}
		if end && e.State != "successful" {
			return fmt.Errorf("job ended %s", e.State)
		}
		if end {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("the engine closed the event stream")
}

func isEnd(state string) bool {
	switch state {
	case "successful", "faulted", "stopped", "unknown":
		return true
	}
	return false
}

func printEvent(w io.Writer, e feed.Event) {
	at := e.At.Local().Format(time.TimeOnly)
	short := e.JobID
	if len(short) > 8 {
		short = short[:8]
	}
	switch e.Type {
	case feed.JobState:
		line := fmt.Sprintf("%s %s %s: %s", at, short, e.Process, e.State)
		if e.Error != "" {
			line += ": " + e.Error
		}
		fmt.Fprintln(w, line)
	case feed.JobStatus:
		fmt.Fprintf(w, "%s %s status: %s\n", at, short, e.Text)
	case feed.JobEvent:
		fmt.Fprintf(w, "%s %s event %s: %s\n", at, short, e.Name, e.Payload)
	case feed.JobOutput:
		output := e.Output
		if output == nil {
			output = map[string]any{} // no output arguments
		}
		out, _ := json.MarshalIndent(output, "", "  ")
		fmt.Fprintf(w, "%s %s output: %s\n", at, short, out)
	case feed.OrchestratorJobState:
		printOrchestratorEvent(w, at, e)
	case feed.OrchestratorRelay:
		fmt.Fprintf(w, "%s relay of %s: %s\n", at, e.Connection, e.State)
	case "resync":
		fmt.Fprintln(w, "(some events were missed: the reader fell behind)")
	}
}

// jobs lists the job history, or follows live events with --follow.
func jobs(args []string) error {
	followFlag := len(args) > 0 && args[0] == "--follow"
	if followFlag {
		args = args[1:]
	}
	c, rest, err := clientFlags("jobs", args)
	if err != nil {
		return err
	}
	if len(rest) == 2 && (rest[0] == "stop" || rest[0] == "kill") {
		req := engine.StopRequest{Kill: rest[0] == "kill"}
		return c.Do(http.MethodPost, "/v1/jobs/"+rest[1]+"/stop", req, nil)
	}
	if len(rest) != 0 {
		return errors.New("usage: robotbridge jobs [--follow] [--config-dir DIR] [stop|kill JOB]")
	}
	if followFlag {
		var st engine.Status
		if err := c.Do("GET", "/v1/status", nil, &st); err != nil {
			return err
		}
		return follow(c, st.LastEvent, "")
	}

	var list []engine.JobEntry
	if err := c.Do("GET", "/v1/jobs?limit=50", nil, &list); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tPROCESS\tVERSION\tSTATE\tSTARTED BY\tCREATED\tERROR")
	for _, j := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Process, j.Version, j.State,
			j.Origin, j.Created.Local().Format(time.DateTime), j.Error)
	}
	return tw.Flush()
}
