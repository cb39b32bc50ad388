package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/orchestrator/orchestratortest"
)

func TestConnections_SecretFlagsRefused(t *testing.T) {
	for _, arg := range []string{"--password=hunter2", "-secret", "--token", "--client-secret"} {
		err := connections([]string{"add", "x", "--url", "https://o.example", arg})
		if err == nil || !strings.Contains(err.Error(), "never taken from the command line") {
			t.Errorf("connections add ... %s = %v, want a refusal", arg, err)
		}
	}
}

// withStdio runs fn with stdin fed from input and returns what it printed.
func withStdio(t *testing.T, input string, fn func() error) (string, error) {
	t.Helper()
	in, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(in, input)
	in.Seek(0, io.SeekStart)
	out, _ := os.CreateTemp(t.TempDir(), "stdout")
	oldIn, oldOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = in, out
	defer func() { os.Stdin, os.Stdout = oldIn, oldOut }()
	ferr := fn()
	data, _ := os.ReadFile(out.Name())
	return string(data), ferr
}

// TestConnections_AddListDoctorRemove drives the commands against the
// fake Orchestrator with the real OS keyring.
func TestConnections_AddListDoctorRemove(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset): make test runs " +
			"this inside scripts/with-keyring.sh")
	}
	s := orchestratortest.New(t, orchestratortest.Options{})
	s.AddUser(orchestratortest.User{Name: "jdoe", Password: "pw from stdin", Tenant: "T"})
	s.AddRelease("Finance/AP", orchestratortest.Release{Name: "InvoiceBot",
		ProcessKey: "InvoiceBot", ProcessVersion: "1.0.2"})
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("clitest-%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = connections([]string{"--config-dir", dir, "remove", name}) })

	out, err := withStdio(t, "pw from stdin\n", func() error {
		return connections([]string{"--config-dir", dir, "add", name, "--url", s.URL,
			"--auth", "password", "--user", "jdoe", "--tenant", "T", "--folder",
			"Finance/AP", "--ca-file", ca})
	})
	if err != nil || !strings.Contains(out, "Saved connection "+name) {
		t.Fatalf("add: %v\n%s", err, out)
	}
	out, err = withStdio(t, "", func() error {
		return connections([]string{"--config-dir", dir, "list"})
	})
	if err != nil || !strings.Contains(out, name) || !strings.Contains(out, "in the OS keyring") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "connections.json"))
	if strings.Contains(string(data), "pw from stdin") {
		t.Fatal("connections.json holds the password")
	}
	out, err = withStdio(t, "", func() error {
		return doctor([]string{"--config-dir", dir, "--process", "InvoiceBot", name})
	})
	t.Log("doctor:\n" + out)
	if err != nil || strings.Count(out, "[PASS]") != 9 ||
		!strings.Contains(out, "engine not running") {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	s.SetPassword("jdoe", "changed")
	out, err = withStdio(t, "", func() error {
		return connections([]string{"--config-dir", dir, "test", name})
	})
	t.Log("test:\n" + out)
	if err == nil || !strings.Contains(out, "[FAIL] credentials accepted") ||
		!strings.Contains(out, "fix: ") {
		t.Fatalf("test after a password change: %v\n%s", err, out)
	}
	if _, err := withStdio(t, "", func() error {
		return connections([]string{"--config-dir", dir, "remove", name})
	}); err != nil {
		t.Fatalf("remove: %v", err)
	}
}
