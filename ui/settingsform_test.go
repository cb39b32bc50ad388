package ui

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"robotbridge/control"
	"robotbridge/engine"
)

func TestSettingsForm_SavesToTheEngine(t *testing.T) {
	api := startEngine(t)
	u, loop := newTestUI(t, api, Options{})
	f := u.settings.form
	f.Reload()
	loop.until(t, "the settings to load", func() bool { return !f.save.Disabled() })

	f.numbers[0].entry.SetText("2400")
	f.numbers[3].entry.SetText("90")
	f.packages.SetText(shortDir(t))
	test.Tap(f.jobLogs)
	test.Tap(f.save)
	loop.until(t, "the saved message", func() bool { return f.msg.Text == savedText })

	s, err := api.Settings()
	if err != nil || s.Port != 2400 || s.JobTimeoutSeconds != 90 || !s.JobLogs ||
		s.PackagesDir == "" {
		t.Fatalf("the engine's settings are %+v, %v", s, err)
	}
	u.showWindow("Settings")
	saveRender(t, u, "settings")
}

func TestSettingsForm_RefusesABadPort(t *testing.T) {
	api := startEngine(t)
	u, loop := newTestUI(t, api, Options{})
	f := u.settings.form
	f.Reload()
	loop.until(t, "the settings to load", func() bool { return !f.save.Disabled() })

	f.numbers[1].entry.SetText("70000")
	test.Tap(f.save)
	if !strings.Contains(f.msg.Text, "API port") || f.save.Disabled() {
		t.Fatalf("message %q, save disabled %v", f.msg.Text, f.save.Disabled())
	}
	if err := f.numbers[1].entry.Validate(); err == nil {
		t.Error("the field does not show itself as invalid")
	}
	f.numbers[1].entry.SetText("1")
	f.packages.SetText("relative/folder")
	test.Tap(f.save)
	if !strings.Contains(f.msg.Text, "absolute path") {
		t.Fatalf("message %q for a relative packages folder", f.msg.Text)
	}
	if s, err := api.Settings(); err != nil || s.APIPort != 0 || s.PackagesDir != "" {
		t.Fatalf("a refused form changed the settings: %+v, %v", s, err)
	}
}

func TestSettingsForm_ShowsTheEnginesRefusal(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/settings", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, map[string]any{"version": 1})
	})
	mux.HandleFunc("PUT /v1/settings", func(w http.ResponseWriter, r *http.Request) {
		control.WriteError(w, http.StatusBadRequest, errors.New("settings: disk full"))
	})
	u, loop := newTestUI(t, fakeEngine(t, mux), Options{})
	f := u.settings.form
	f.Reload()
	loop.until(t, "the settings to load", func() bool { return !f.save.Disabled() })
	test.Tap(f.save)
	loop.until(t, "the engine's error", func() bool {
		return strings.Contains(f.msg.Text, "Not saved: settings: disk full")
	})
}

func TestJobDetail_OpenLogShowsTheText(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, engine.JobDetail{JobEntry: engine.JobEntry{
			ID: r.PathValue("id"), Process: "echo", State: "successful"}})
	})
	mux.HandleFunc("GET /v1/jobs/{id}/log", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "nolog" {
			control.WriteError(w, http.StatusNotFound,
				errors.New("job logs are off; turn them on in Settings"))
			return
		}
		_, _ = w.Write([]byte("line one\nline two\n"))
	})
	u, loop := newTestUI(t, fakeEngine(t, mux), Options{})
	d := u.jobs.detail
	if !d.openLog.Disabled() {
		t.Error("Open log is enabled with no job picked")
	}

	d.Show("job1")
	test.Tap(d.openLog)
	loop.until(t, "the log dialog", func() bool { return d.logView != nil })
	if got := d.logView.Text(); !strings.Contains(got, "line two") {
		t.Fatalf("the dialog shows %q", got)
	}
	if n := len(u.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("%d overlays, want the log dialog", n)
	}

	d.Show("nolog")
	test.Tap(d.openLog)
	loop.until(t, "the engine's answer", func() bool {
		return strings.Contains(d.msg.Text, "turn them on in Settings") && d.msg.Visible()
	})
}
