package engine_test

import (
	"os"
	"strings"
	"testing"

	"robotbridge/engine"
)

// InstallProcess for Orchestrator processes: the release's pinned package
// comes from the feed into the packages folder and runs as a local
// process.
func TestInstallFromFeed_PinnedPackageRunsLocally(t *testing.T) {
	fx := newOrchFixture(t)
	fx.s.SetPackageCommand("InvoiceBot", os.Args[0], "sample", "echo")

	var got engine.InstallAnswer
	err := fx.c.Do("POST", "/v1/orchestrator/install",
		engine.InstallRequest{Connection: "prod", Process: "InvoiceBot"}, &got)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "InvoiceBot" || got.Version != "1.0.2" || got.Key == "" ||
		!strings.HasSuffix(got.File, "InvoiceBot.1.0.2.nupkg") {
		t.Fatalf("installed %+v", got)
	}

	var procs []engine.ProcessEntry
	if err := fx.c.Do("GET", "/v1/processes", nil, &procs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range procs {
		found = found || (p.Key == got.Key && p.Version == "1.0.2")
	}
	if !found {
		t.Fatalf("the installed process is not listed: %+v", procs)
	}

	var job engine.JobDetail
	if err := fx.c.Do("POST", "/v1/jobs", engine.RunRequest{Process: got.Key}, &job); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the installed process ran", func() bool {
		var d engine.JobDetail
		return fx.c.Do("GET", "/v1/jobs/"+job.ID, nil, &d) == nil && d.State == "successful" &&
			d.Version == "1.0.2"
	})
}

// A Studio package (no command) downloads, but the answer says plainly
// that this robot cannot run it.
func TestInstallFromFeed_StudioPackageIsRefusedClearly(t *testing.T) {
	fx := newOrchFixture(t)
	err := fx.c.Do("POST", "/v1/orchestrator/install",
		engine.InstallRequest{Connection: "prod", Process: "InvoiceBot"}, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot run on this robot") ||
		!strings.Contains(err.Error(), "command") {
		t.Fatalf("got %v", err)
	}
	err = fx.c.Do("POST", "/v1/orchestrator/install",
		engine.InstallRequest{Connection: "prod", Process: "NoSuchBot"}, nil)
	if err == nil || !strings.Contains(err.Error(), "NoSuchBot") {
		t.Fatalf("unknown process: %v", err)
	}
}
