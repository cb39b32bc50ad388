package ui

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// connUI is the app with a connections store on a fake keyring.
func connUI(t *testing.T, kr *orchestratortest.Keyring) (*ui, *uiLoop, string) {
	t.Helper()
	dir := t.TempDir()
	store := orchestrator.NewStore(dir, orchestrator.NewSecrets(kr, 0), nil)
	api := fakeEngine(t, newConsentEngine(time.Now()).handler())
	u, loop := newTestUI(t, api, Options{Connections: store})
	u.conns.Reload()
	loop.until(t, "the connection list", func() bool { return !u.conns.load.busy })
	return u, loop, dir
}

// fillConnection types a client-credentials profile into the form.
func fillConnection(f *connForm, name, url, secret string) {
	test.Type(f.name, name)
	test.Type(f.url, url)
	f.auth.SetSelected(authLabel(orchestrator.AuthClientCredentials))
	test.Type(f.user, "app-id-1")
	test.Type(f.secret, secret)
}

func TestConnectionForm_SavesTheSecretToTheKeyringOnly(t *testing.T) {
	kr := orchestratortest.NewKeyring()
	u, loop, dir := connUI(t, kr)
	f := u.conns.form

	fillConnection(f, "finance", "https://orchestrator.example.com", "s3cr3t-value")
	test.Tap(f.save)
	loop.until(t, "the save", func() bool { return strings.HasPrefix(f.msg.Text, "Saved") })

	got, err := kr.Get("robotbridge", "finance/"+string(orchestrator.SecretClientSecret))
	if err != nil || !strings.Contains(got, "s3cr3t-value") {
		t.Fatalf("keyring entry = %q, %v; want the secret", got, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, orchestrator.ProfilesFile))
	if err != nil || !strings.Contains(string(data), `"finance"`) {
		t.Fatalf("connections.json = %s, %v; want the profile", data, err)
	}
	if strings.Contains(string(data), "s3cr3t") {
		t.Fatalf("connections.json holds the secret:\n%s", data)
	}
	if f.secret.Text != "" {
		t.Error("the secret stays in the form after saving")
	}
	loop.until(t, "the list to show it", func() bool { return len(u.conns.list) == 1 })

	// Editing without typing the secret keeps the stored one.
	u.conns.names.Select(0)
	f.folder.SetText("Finance")
	test.Tap(f.save)
	loop.until(t, "the second save", func() bool { return !f.save.Disabled() })
	if !strings.HasPrefix(f.msg.Text, "Saved") {
		t.Fatalf("saving an edit without a new secret: %q", f.msg.Text)
	}
	got, _ = kr.Get("robotbridge", "finance/"+string(orchestrator.SecretClientSecret))
	if !strings.Contains(got, "s3cr3t-value") {
		t.Fatalf("the stored secret changed to %q", got)
	}
}

func TestConnectionForm_RefusesBadInputBeforeSaving(t *testing.T) {
	u, _, _ := connUI(t, orchestratortest.NewKeyring())
	f := u.conns.form

	fillConnection(f, "bad name!", "https://orchestrator.example.com", "x")
	test.Tap(f.save)
	if !strings.Contains(f.msg.Text, "connection name") || !f.busy.Hidden {
		t.Fatalf("bad name: message %q", f.msg.Text)
	}
	f.name.SetText("ok")
	f.secret.SetText("")
	test.Tap(f.save)
	if f.msg.Text != errNeedSecret.Error() {
		t.Fatalf("no secret: message %q", f.msg.Text)
	}
}

// A keyring that waits for an unlock prompt must not freeze the window.
func TestConnectionForm_LockedKeyringShowsProgress(t *testing.T) {
	kr := orchestratortest.NewKeyring()
	kr.Block = make(chan struct{})
	u, loop, _ := connUI(t, kr)
	f := u.conns.form

	fillConnection(f, "finance", "https://orchestrator.example.com", "s3cr3t")
	test.Tap(f.save) // returns at once although the keyring blocks
	if f.busy.Hidden || !f.save.Disabled() || f.msg.Text != "Saving…" {
		t.Fatalf("while the keyring blocks: busy hidden %v, save disabled %v, %q",
			f.busy.Hidden, f.save.Disabled(), f.msg.Text)
	}
	close(kr.Block)
	loop.until(t, "the save", func() bool { return strings.HasPrefix(f.msg.Text, "Saved") })
}

// The Test button runs the checklist in the background and names the
// failing check and its fix.
func TestConnectionTest_ShowsEachCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: the first check fails

	u, loop, _ := connUI(t, orchestratortest.NewKeyring())
	f := u.conns.form
	fillConnection(f, "local", "https://"+addr, "s3cr3t")
	test.Tap(f.save)
	loop.until(t, "the save", func() bool { return strings.HasPrefix(f.msg.Text, "Saved") })

	test.Tap(f.test)
	loop.until(t, "the checklist", func() bool { return len(u.conns.checks.Objects) > 1 })
	shown := test.RenderObjectToMarkup(u.conns.checks)
	for _, want := range []string{"URL and port reachable", "Fix: ", "skipped"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the checklist does not show %q:\n%s", want, shown)
		}
	}
	if f.save.Disabled() {
		t.Error("the buttons stay grey after the check")
	}
}

func TestConnectionLabels(t *testing.T) {
	for _, c := range authChoices {
		if got := authKind(authLabel(c.kind)); got != c.kind {
			t.Errorf("authKind(authLabel(%s)) = %s", c.kind, got)
		}
	}
	if got := secretLabel(orchestrator.AuthPassword); got != "Password" {
		t.Errorf("secretLabel(password) = %q", got)
	}
	cases := map[orchestrator.CheckStatus]widget.Importance{
		orchestrator.CheckPass: widget.SuccessImportance,
		orchestrator.CheckFail: widget.DangerImportance,
		orchestrator.CheckSkip: widget.LowImportance,
	}
	for status, want := range cases {
		if _, got := checkMark(status); got != want {
			t.Errorf("checkMark(%s) importance = %v, want %v", status, got, want)
		}
	}
}
