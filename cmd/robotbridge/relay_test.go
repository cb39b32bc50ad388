package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"robotbridge/relay"
)

func TestRelayCmd_Refusals(t *testing.T) {
	log := slog.Default() // relay serve sets up logging
	t.Cleanup(func() { slog.SetDefault(log) })
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := relayCmd([]string{"secret", secret}); err != nil {
		t.Fatalf("relay secret: %v", err)
	}
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %v %v, want mode 600", fi, err)
	}
	t.Setenv(relay.SecretEnv, "")
	state := "--state-dir=" + filepath.Join(dir, "state")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"secret", secret}, "exists"},
		{[]string{"--listen", "127.0.0.1:0", "--insecure-http-loopback", state}, relay.SecretEnv},
		{[]string{"--listen", "0.0.0.0:0", "--insecure-http-loopback", "--secret-file", secret,
			state}, "loopback"},
		{[]string{"--listen", "127.0.0.1:0", "--secret-file", secret, state}, "--cert"},
		{[]string{"--allow", "10.0.0.0/33", "--secret-file", secret, state}, "--allow"},
		{[]string{"token", "bad name"}, "subscriber name"},
		{[]string{"register", "x"}, "--url"},
	}
	for _, c := range cases {
		_, err := withStdio(t, "", func() error { return relayCmd(c.args) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("relay %v = %v, want an error with %q", c.args, err, c.want)
		}
	}
}

func TestRelayCmd_TokenLine(t *testing.T) {
	out, err := withStdio(t, "", func() error { return relayCmd([]string{"token", "desk-1"}) })
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("relay token printed %q, want 4 lines", out)
	}
	tok := strings.TrimSpace(lines[1])
	list, err := relay.ParseTokens(strings.NewReader(lines[3]))
	if err != nil || len(list) != 1 || list[0].Name != "desk-1" ||
		strings.Contains(lines[3], tok) {
		t.Fatalf("tokens-file line %q: %v %v, want desk-1 without the token", lines[3], list,
			err)
	}
}
