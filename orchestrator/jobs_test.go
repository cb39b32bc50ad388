package orchestrator_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func startInvoiceBot(t *testing.T, s *orchestratortest.Server, c *orchestrator.Client,
	req orchestrator.StartRequest) (orchestrator.FolderScope, orchestrator.Job, error) {
	t.Helper()
	f := folderOf(t, c, invoices)
	r, err := c.ReleaseByName(ctx(t), f, "InvoiceBot")
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.StartJob(ctx(t), f, r, req)
	return f, j, err
}

func TestStartJob_EveryAuthKind_InputsSentAsJSONString(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	for _, kind := range allKinds {
		t.Run(string(kind), func(t *testing.T) {
			c := newClient(t, s, kind)
			_, j, err := startInvoiceBot(t, s, c, orchestrator.StartRequest{
				Inputs:    map[string]any{"in_Amount": json.Number("42"), "in_Note": "<ü>"},
				Reference: "rb-1"})
			if err != nil {
				t.Fatalf("StartJob: %v", err)
			}
			if j.State != orchestrator.JobPending || j.ID == 0 || j.Key == "" {
				t.Errorf("job = %+v, want a Pending job with id and key", j)
			}
		})
	}
	if s.Count("startJobs") != 3 { // the fake checked InputArguments is JSON
		t.Fatalf("startJobs requests = %d, want 3", s.Count("startJobs"))
	}
}

func TestStartJob_Refusals_Actionable(t *testing.T) {
	cases := []struct {
		name  string
		setup func(s *orchestratortest.Server)
		want  error
		text  string
	}{
		{"no robot (409)", func(s *orchestratortest.Server) { s.SetNoRobot(invoices, true) },
			orchestrator.ErrNoRobot, "unattended robot"},
		{"no Jobs.Create (403)", func(s *orchestratortest.Server) {
			s.SetPermissions(userName, "Units.View", "Processes.View")
		}, orchestrator.ErrForbidden, "not authorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newFake(t, orchestratortest.Options{})
			c := newClient(t, s, orchestrator.AuthPassword)
			tc.setup(s)
			_, _, err := startInvoiceBot(t, s, c, orchestrator.StartRequest{})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("StartJob = %v, want %v saying %q", err, tc.want, tc.text)
			}
			if !strings.Contains(err.Error(), `"InvoiceBot"`) ||
				!strings.Contains(err.Error(), invoices) {
				t.Errorf("error %q does not name the process and the folder", err)
			}
			if orchestrator.Remedy(err) == "" {
				t.Errorf("no remedy for %v", err)
			}
		})
	}
}

func TestStartJob_Legacy1910_FallsBackToJobsCount(t *testing.T) {
	s := newFake(t, orchestratortest.Options{Legacy1910: true})
	c := newClient(t, s, orchestrator.AuthPassword)
	if _, _, err := startInvoiceBot(t, s, c, orchestrator.StartRequest{}); err != nil {
		t.Fatalf("StartJob on 19.10: %v", err)
	}
	if n := s.Count("startJobs"); n != 2 {
		t.Errorf("startJobs requests = %d, want 2 (ModernJobsCount refused, JobsCount ok)", n)
	}
}

func TestStopJobs_SoftStopAndKill(t *testing.T) {
	cases := []struct {
		strategy orchestrator.StopStrategy
		mid      string
	}{{orchestrator.SoftStop, "Stopping"}, {orchestrator.Kill, "Terminating"}}
	for _, tc := range cases {
		t.Run(string(tc.strategy), func(t *testing.T) {
			s := newFake(t, orchestratortest.Options{})
			c := newClient(t, s, orchestrator.AuthPassword)
			f, j, err := startInvoiceBot(t, s, c, orchestrator.StartRequest{})
			if err != nil {
				t.Fatal(err)
			}
			s.SetJob(j.ID, "Running", "", nil)
			if err := c.StopJobs(ctx(t), f, []int64{j.ID}, tc.strategy); err != nil {
				t.Fatalf("StopJobs: %v", err)
			}
			got, err := c.Job(ctx(t), f, j.ID)
			if err != nil || string(got.State) != tc.mid {
				t.Fatalf("after %s: %s, %v; want %s", tc.strategy, got.State, err, tc.mid)
			}
			s.Advance(2 * s.StopDelay())
			if got, _ := c.Job(ctx(t), f, j.ID); got.State != orchestrator.JobStopped {
				t.Fatalf("later: %s, want Stopped", got.State)
			}
			err = c.StopJobs(ctx(t), f, []int64{j.ID}, tc.strategy)
			if err == nil || !strings.Contains(err.Error(), "already ended") {
				t.Errorf("stopping an ended job = %v, want the server's refusal", err)
			}
		})
	}
}

func TestJob_OutputsDecodedTwice(t *testing.T) {
	out := `{"total":1.5,"rows":[],"big":12345678901234567890}`
	j := orchestrator.Job{ID: 1, OutputArguments: &out}
	got, err := j.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	if got["total"].(json.Number).String() != "1.5" ||
		got["big"].(json.Number).String() != "12345678901234567890" {
		t.Errorf("Outputs = %v, want exact numbers", got)
	}
	empty, err := orchestrator.Job{ID: 2}.Outputs()
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("Outputs of null = %v, %v; want {}", empty, err)
	}
	bad := `{"total":`
	if _, err := (orchestrator.Job{ID: 3, OutputArguments: &bad}).Outputs(); !errors.Is(err,
		orchestrator.ErrMalformed) {
		t.Errorf("Outputs of broken JSON = %v, want ErrMalformed", err)
	}
}
