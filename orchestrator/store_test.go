package orchestrator_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func newStore(t *testing.T, kr orchestrator.Keyring) (*orchestrator.Store, string) {
	t.Helper()
	dir := t.TempDir()
	log, _ := newLogger(t)
	return orchestrator.NewStore(dir, orchestrator.NewSecrets(kr, time.Second), log), dir
}

func prof(name string, kind orchestrator.AuthKind) orchestrator.Profile {
	return orchestrator.Profile{Name: name, URL: "https://orch.example.test", Auth: kind,
		User: "jdoe", Tenant: "Default", Folder: "Finance/AP"}
}

func TestStore_AddListRemove_SecretsFollowTheProfile(t *testing.T) {
	kr := orchestratortest.NewKeyring()
	st, _ := newStore(t, kr)
	if err := st.Add(prof("prod", orchestrator.AuthPassword), "pw-1", false); err != nil {
		t.Fatal(err)
	}
	if err := st.Add(prof("dev", orchestrator.AuthToken), "rt_tok", false); err != nil {
		t.Fatal(err)
	}
	err := st.Add(prof("prod", orchestrator.AuthPassword), "pw-2", false)
	if !errors.Is(err, orchestrator.ErrProfileExists) {
		t.Fatalf("adding prod twice = %v, want ErrProfileExists", err)
	}
	list, err := st.List()
	if err != nil || len(list) != 2 || list[0].Name != "dev" || list[1].Name != "prod" {
		t.Fatalf("List = %+v, %v; want dev and prod", list, err)
	}
	p, _ := st.Get("prod")
	if got, err := st.Secret(p); err != nil || got != "pw-1" {
		t.Fatalf("Secret(prod) = %q, %v", got, err)
	}

	// Replacing with another auth kind drops the old kind's secret.
	if err := st.Add(prof("prod", orchestrator.AuthClientCredentials), "cs", true); err != nil {
		t.Fatal(err)
	}
	if got := kr.Users(orchestrator.KeyringService); strings.Join(got, ",") !=
		"dev/token,prod/client-secret" {
		t.Fatalf("keyring entries = %v", got)
	}

	if err := st.Remove("prod"); err != nil {
		t.Fatal(err)
	}
	if got := kr.Users(orchestrator.KeyringService); strings.Join(got, ",") != "dev/token" {
		t.Fatalf("keyring after removing prod = %v, want only dev/token", got)
	}
	if _, err := st.Get("prod"); !errors.Is(err, orchestrator.ErrNoProfile) {
		t.Fatalf("Get(prod) after removal = %v", err)
	}
}

func TestStore_InvalidProfiles_Named(t *testing.T) {
	st, _ := newStore(t, orchestratortest.NewKeyring())
	cases := map[string]orchestrator.Profile{
		"connection name":       {Name: "a b", URL: "https://x", Auth: orchestrator.AuthToken},
		"plain http is refused": {Name: "a", URL: "http://x", Auth: orchestrator.AuthToken},
		"needs a user":          {Name: "a", URL: "https://x", Auth: orchestrator.AuthPassword},
		"unknown":               {Name: "a", URL: "https://x", Auth: "kerberos"},
		"must not hold a user":  {Name: "a", URL: "https://u:p@x", Auth: orchestrator.AuthToken},
		"fingerprint": {Name: "a", URL: "https://x", Auth: orchestrator.AuthToken,
			PinnedSHA256: "ab"},
	}
	for want, p := range cases {
		if err := st.Add(p, "s", false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Add(%+v) = %v, want an error about %q", p, err, want)
		}
	}
}

func TestSecrets_LongerThanOneEntry_StoredInChunks(t *testing.T) {
	kr := orchestratortest.NewKeyring() // refuses entries over 2,560 bytes
	sec := orchestrator.NewSecrets(kr, time.Second)
	long := strings.Repeat("eyJhbGciOi-ü-", 800) // 11,200 bytes, non-ASCII included
	if err := sec.Set("cloud", orchestrator.SecretToken, long); err != nil {
		t.Fatalf("Set of %d bytes: %v", len(long), err)
	}
	if n := len(kr.Users(orchestrator.KeyringService)); n < 6 {
		t.Fatalf("entries = %d, want a head and at least 5 chunks", n)
	}
	got, err := sec.Get("cloud", orchestrator.SecretToken)
	if err != nil || got != long {
		t.Fatalf("Get = %d bytes, %v; want the %d bytes back whole", len(got), err, len(long))
	}
	if err := sec.Set("cloud", orchestrator.SecretToken, "short"); err != nil {
		t.Fatal(err)
	}
	if users := kr.Users(orchestrator.KeyringService); len(users) != 1 {
		t.Fatalf("after a short value: entries %v, want the head only", users)
	}
	if err := sec.Set("cloud", orchestrator.SecretToken, long); err != nil {
		t.Fatal(err)
	}
	if err := sec.DeleteAll("cloud"); err != nil {
		t.Fatal(err)
	}
	if users := kr.Users(orchestrator.KeyringService); len(users) != 0 {
		t.Fatalf("after DeleteAll: %v, want none", users)
	}
}

// TestKeyring_HeadlessLinux_FailsFastNoPlaintext: without a Secret
// Service, saving a connection fails at once with "OS keyring
// unavailable: <reason>" and writes nothing; a locked keyring that would
// wait for a prompt gives up after the timeout, writing nothing either.
func TestKeyring_HeadlessLinux_FailsFastNoPlaintext(t *testing.T) {
	if dir := os.Getenv("RB_HEADLESS_CHILD_DIR"); dir != "" {
		headlessChild(t, dir)
		return
	}
	t.Run("no session bus", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("the D-Bus Secret Service is Linux only")
		}
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()[:strings.Index(
			t.Name(), "/")]+"$", "-test.v")
		cmd.Env = append(withoutEnv("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"),
			"RB_HEADLESS_CHILD_DIR="+dir, "XDG_RUNTIME_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "HEADLESS-OK") {
			t.Fatalf("child output lacks its verdict:\n%s", out)
		}
	})
	t.Run("locked keyring", func(t *testing.T) {
		kr := orchestratortest.NewKeyring()
		kr.Block = make(chan struct{})
		t.Cleanup(func() { close(kr.Block) })
		st, dir := newStore(t, kr)
		err := st.Add(prof("prod", orchestrator.AuthPassword), "pw-locked", false)
		if !errors.Is(err, orchestrator.ErrKeyringUnavailable) ||
			!strings.Contains(err.Error(), "OS keyring unavailable: no answer within") {
			t.Fatalf("Add with a locked keyring = %v", err)
		}
		assertNoFiles(t, dir)
	})
}

// headlessChild runs in a child process without a session bus.
func headlessChild(t *testing.T, dir string) {
	st := orchestrator.NewStore(dir, orchestrator.NewSecrets(orchestrator.SystemKeyring(),
		5*time.Second), nil)
	err := st.Add(prof("prod", orchestrator.AuthPassword), "pw-headless", false)
	if !errors.Is(err, orchestrator.ErrKeyringUnavailable) ||
		!strings.HasPrefix(errors.Unwrap(err).Error(), "OS keyring unavailable: ") {
		t.Fatalf("Add without a session bus = %v", err)
	}
	if !strings.Contains(err.Error(), "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("error %q does not say what is missing", err)
	}
	assertNoFiles(t, dir)
	t.Log("HEADLESS-OK:", err)
}

func assertNoFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("file %s was written although the keyring failed", filepath.Join(dir,
			e.Name()))
	}
}

func withoutEnv(names ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

func TestStore_RemoveKeepsProfileWhenKeyringFails(t *testing.T) {
	kr := orchestratortest.NewKeyring()
	st, _ := newStore(t, kr)
	if err := st.Add(prof("prod", orchestrator.AuthPassword), "pw", false); err != nil {
		t.Fatal(err)
	}
	kr.Err = errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
	err := st.Remove("prod")
	if !errors.Is(err, orchestrator.ErrKeyringUnavailable) {
		t.Fatalf("Remove with a broken keyring = %v", err)
	}
	if _, err := st.Get("prod"); err != nil {
		t.Fatalf("the profile was dropped although its secret stays: %v", err)
	}
}
