package orchestrator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// TestNoSecretInConfigOrLogs saves a connection of each auth kind, uses
// it (sign-in, calls, a job with an argument value, a refused secret, the
// doctor) with debug logging on, and then looks for the secrets, the
// issued tokens and the argument value in connections.json, the log and
// the errors.
func TestNoSecretInConfigOrLogs(t *testing.T) {
	const argValue = "ARG-VALUE-3f9e"
	s := newFake(t, orchestratortest.Options{})
	log, logs := newLogger(t)
	dir := t.TempDir()
	kr := orchestratortest.NewKeyring()
	st := orchestrator.NewStore(dir, orchestrator.NewSecrets(kr, time.Second), log)
	var errs []string

	for _, kind := range allKinds {
		p := profileFor(t, s, kind)
		p.Name = "conn-" + string(kind)
		if err := st.Add(p, secretFor(kind), false); err != nil {
			t.Fatal(err)
		}
		secret, err := st.Secret(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := orchestrator.New(orchestrator.Config{Profile: p, Secret: secret, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		f := folderOf(t, c, invoices)
		r, err := c.ReleaseByName(ctx(t), f, "InvoiceBot")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.StartJob(ctx(t), f, r, orchestrator.StartRequest{
			Inputs: map[string]any{"in_Note": argValue}}); err != nil {
			t.Fatal(err)
		}
		bad, _ := orchestrator.New(orchestrator.Config{Profile: p, Secret: "x" + secret,
			Logger: log})
		if _, err := bad.CurrentUser(ctx(t)); err != nil {
			errs = append(errs, err.Error())
		}
		in := orchestrator.DiagnoseInput{Profile: p, Logger: log, Process: "InvoiceBot",
			Secret: func() (string, error) { return st.Secret(p) }}
		for _, c := range orchestrator.Diagnose(ctx(t), in) {
			errs = append(errs, c.Detail, c.Fix)
		}
	}

	config, err := os.ReadFile(filepath.Join(dir, orchestrator.ProfilesFile))
	if err != nil {
		t.Fatal(err)
	}
	places := map[string]string{"connections.json": string(config), "log": logs.String(),
		"errors": strings.Join(errs, "\n")}
	secrets := []string{userPass, appSecret, patToken, "fake-", "Bearer", argValue}
	for where, text := range places {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %q", where, secret)
			}
		}
	}
	if !strings.Contains(logs.String(), "orchestrator: request") {
		t.Fatal("the log is empty: the test proves nothing")
	}
}
