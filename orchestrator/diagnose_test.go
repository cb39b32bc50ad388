package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// localRobot is a fake engine for the local checks.
type localRobot struct {
	handshake error
	procs     []orchestrator.LocalProcess
}

func (l localRobot) Handshake(context.Context) (int, error) { return 2323, l.handshake }
func (l localRobot) Processes(context.Context) ([]orchestrator.LocalProcess, error) {
	return l.procs, nil
}

func goodLocal() localRobot {
	return localRobot{procs: []orchestrator.LocalProcess{{Key: "echo", Name: "echo",
		Version: "1.0.0"}, {Key: "InvoiceBot", Name: "InvoiceBot", Version: "1.0.2"}}}
}

func diagnoseInput(t *testing.T, s *orchestratortest.Server) orchestrator.DiagnoseInput {
	log, _ := newLogger(t)
	return orchestrator.DiagnoseInput{Profile: profileFor(t, s, orchestrator.AuthPassword),
		Secret:  func() (string, error) { return userPass, nil },
		Process: "InvoiceBot", Version: "1.0.2", Local: goodLocal(), Logger: log}
}

func statuses(checks []orchestrator.Check) string {
	var b strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&b, "%s=%s ", c.ID, c.Status)
	}
	return b.String()
}

func TestDiagnose_AllPass(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	checks := orchestrator.Diagnose(ctx(t), diagnoseInput(t, s))
	if len(checks) != 11 {
		t.Fatalf("%d checks, want 11", len(checks))
	}
	for _, c := range checks {
		if c.Status != orchestrator.CheckPass {
			t.Errorf("%s (%s): %s: %s", c.ID, c.Title, c.Status, c.Detail)
		}
	}
	if orchestrator.Failed(checks) {
		t.Error("Failed() on an all-pass list")
	}
}

// TestDiagnose_EachCheckFailsOnItsOwnCause breaks one thing at a time:
// exactly that check fails, with a fix; the checks that need it are
// skipped, every other one passes.
func TestDiagnose_EachCheckFailsOnItsOwnCause(t *testing.T) {
	type (
		srv   = *orchestratortest.Server
		input = *orchestrator.DiagnoseInput
		setup func(srv, input)
	)
	cases := []struct {
		check string
		setup setup
	}{
		{orchestrator.CheckURL, func(_ srv, in input) {
			in.Profile.URL = "https://" + closedPort(t)
		}},
		{orchestrator.CheckTLS, func(_ srv, in input) {
			in.Profile.CAFile = ""
		}},
		{orchestrator.CheckAPI, func(s srv, _ input) {
			s.Fail("status", orchestratortest.Fault{Status: 200, Shape: orchestratortest.ShapeHTML})
		}},
		{orchestrator.CheckCredentials, func(_ srv, in input) {
			in.Secret = func() (string, error) { return "old password", nil }
		}},
		{orchestrator.CheckUser, func(s srv, _ input) {
			s.Fail("currentUser", orchestratortest.Fault{Status: 401,
				Shape: orchestratortest.ShapeABP, Message: "You are not authenticated!"})
		}},
		{orchestrator.CheckFolders, func(s srv, _ input) {
			s.SetPermissions(userName, "Processes.View", "Packages.View", "Jobs.Create")
		}},
		{orchestrator.CheckFolder, func(_ srv, in input) {
			in.Folder = "Finance/Invoices US"
		}},
		{orchestrator.CheckProcess, func(_ srv, in input) {
			in.Version = "1.0.1"
		}},
		{orchestrator.CheckExecute, func(s srv, _ input) {
			s.SetPermissions(userName, "Units.View", "Processes.View", "Packages.View")
		}},
		{orchestrator.CheckBridge, func(_ srv, in input) {
			in.Local = localRobot{handshake: errors.New("localhost:2323 answers GetPort " +
				"with \"text/html\", not JSON: another program holds the port")}
		}},
		{orchestrator.CheckPackage, func(_ srv, in input) {
			in.Local = localRobot{procs: []orchestrator.LocalProcess{{Key: "InvoiceBot",
				Name: "InvoiceBot", Version: "1.0.1"}}}
		}},
	}
	needs := map[string][]string{}
	for _, tc := range cases {
		t.Run(tc.check, func(t *testing.T) {
			s := newFake(t, orchestratortest.Options{})
			in := diagnoseInput(t, s)
			tc.setup(s, &in)
			checks := orchestrator.Diagnose(ctx(t), in)
			for _, c := range checks {
				switch {
				case c.ID == tc.check && (c.Status != orchestrator.CheckFail || c.Fix == ""):
					t.Errorf("%s: %s (%s), want fail with a fix", c.ID, c.Status, c.Detail)
				case c.ID != tc.check && c.Status == orchestrator.CheckFail:
					t.Errorf("%s also failed: %s", c.ID, c.Detail)
				case c.Status == orchestrator.CheckSkip:
					needs[tc.check] = append(needs[tc.check], c.ID)
				}
			}
			if !orchestrator.Failed(checks) {
				t.Error("Failed() is false")
			}
			t.Log(statuses(checks))
		})
	}
	// The checks after a failed one are skipped because they need it, not
	// for any other reason: a failing last check skips nothing.
	if len(needs[orchestrator.CheckExecute]) != 0 || len(needs[orchestrator.CheckFolders]) != 0 {
		t.Errorf("skipped after execute: %v, after folders: %v; want none",
			needs[orchestrator.CheckExecute], needs[orchestrator.CheckFolders])
	}
}

func TestDiagnose_EngineNotRunning_LocalChecksSkipped(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	in := diagnoseInput(t, s)
	in.Local = localRobot{handshake: orchestrator.ErrEngineNotRunning}
	checks := orchestrator.Diagnose(ctx(t), in)
	for _, c := range checks[len(checks)-2:] {
		if c.Status != orchestrator.CheckSkip || !strings.Contains(c.Detail,
			"engine not running") {
			t.Errorf("%s: %s %q; want skip saying engine not running", c.ID, c.Status, c.Detail)
		}
	}
	if orchestrator.Failed(checks) {
		t.Errorf("Failed() with the engine stopped: %s", statuses(checks))
	}
}

func TestDiagnose_EveryAuthKind(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	for _, kind := range allKinds {
		t.Run(string(kind), func(t *testing.T) {
			in := diagnoseInput(t, s)
			in.Profile = profileFor(t, s, kind)
			in.Secret = func() (string, error) { return secretFor(kind), nil }
			if checks := orchestrator.Diagnose(ctx(t), in); orchestrator.Failed(checks) {
				t.Fatalf("checks failed: %s", statuses(checks))
			}
		})
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
