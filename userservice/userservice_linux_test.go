package userservice

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

// forcedSystemd makes kardianos/service believe systemd runs here, so the
// unit file can be tested on machines (and CI containers) without it.
type forcedSystemd struct{ service.System }

func (forcedSystemd) Detect() bool { return true }

// useForcedSystemd chooses systemd for the test and restores the
// detected systems afterwards.
func useForcedSystemd(t *testing.T) {
	t.Helper()
	old := service.AvailableSystems()
	var systemd service.System
	for _, s := range old {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	if systemd == nil {
		t.Fatal("kardianos/service has no linux-systemd system")
	}
	service.ChooseSystem(forcedSystemd{systemd})
	t.Cleanup(func() { service.ChooseSystem(old...) })
}

// fakeSystemctl puts a systemctl on PATH that records its arguments and
// succeeds, so no real service manager is touched.
func fakeSystemctl(t *testing.T) (calls func() string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$@\" >> " + log + "\n"
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return func() string {
		data, _ := os.ReadFile(log) // no calls yet: empty
		return string(data)
	}
}

func TestInstall_WritesAUserUnitForTheUserManager(t *testing.T) {
	useForcedSystemd(t)
	calls := fakeSystemctl(t)
	home := t.TempDir()
	t.Setenv("HOME", home)

	exe := filepath.Join(t.TempDir(), "robot bridge") // a space must be quoted
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Name: "robotbridge-test", Executable: exe})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Available(); err != nil {
		t.Fatalf("Available with forced systemd: %v", err)
	}
	if err := s.Install(); err != nil {
		t.Fatalf("Install: %v", err)
	}

	unit := filepath.Join(home, ".config/systemd/user/robotbridge-test.service")
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatalf("Install wrote no unit: %v", err)
	}
	text := string(data)
	for _, want := range []string{
		"WantedBy=default.target",
		// systemd's own escape for a space in the path
		"ExecStart=" + strings.ReplaceAll(exe, " ", `\x20`) + ` "service" "run"`,
		"Restart=on-failure",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"multi-user.target", "User=", "EnvironmentFile"} {
		if strings.Contains(text, bad) {
			t.Errorf("unit holds %q, wrong for a user unit:\n%s", bad, text)
		}
	}
	if got := calls(); !strings.Contains(got, "enable --user robotbridge-test.service") ||
		!strings.Contains(got, "daemon-reload --user") {
		t.Errorf("systemctl calls %q, want enable and daemon-reload with --user", got)
	}

	if err := s.Uninstall(); err != nil {
		t.Fatalf("Uninstall: %v", err)
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Uninstall left the unit: %v", err)
	}
}

func TestNoUserManager_SaysSoClearly(t *testing.T) {
	old := service.AvailableSystems()
	service.ChooseSystem() // nothing detected, as in a container
	t.Cleanup(func() { service.ChooseSystem(old...) })

	s := &Service{name: "robotbridge", platform: service.Platform()}
	for name, call := range map[string]func() error{
		"install": s.Install, "uninstall": s.Uninstall, "start": s.Start, "stop": s.Stop,
		"status": func() error { _, err := s.Status(); return err },
	} {
		err := call()
		if !errors.Is(err, ErrNoManager) || !strings.Contains(err.Error(), "robotbridge serve") {
			t.Errorf("%s without a manager: %v, want ErrNoManager with a remedy", name, err)
		}
	}
}

func TestSystemV_IsNotAUserManager(t *testing.T) {
	s := &Service{name: "robotbridge", platform: "unix-systemv"}
	err := s.Available()
	if !errors.Is(err, ErrNoManager) || !strings.Contains(err.Error(), "unix-systemv") {
		t.Fatalf("Available on SystemV: %v, want ErrNoManager naming unix-systemv", err)
	}
}
