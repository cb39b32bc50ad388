package orchestrator_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func TestOrchestrator_ProcessLookup_ApostropheAndUnicode(t *testing.T) {
	const name = "Rechnung O'Neil – Prüfung"
	s := newFake(t, orchestratortest.Options{})
	s.AddRelease(invoices, orchestratortest.Release{Name: name, ProcessKey: "RechnungBot",
		ProcessVersion: "3.1.0"})
	c := newClient(t, s, orchestrator.AuthPassword)
	f := folderOf(t, c, invoices)

	r, err := c.ReleaseByName(ctx(t), f, name)
	if err != nil {
		t.Fatalf("ReleaseByName(%q): %v", name, err)
	}
	if r.Name != name {
		t.Errorf("name came back as %q, want %q unmangled", r.Name, name)
	}
	const want = "$filter=Name%20eq%20%27Rechnung%20O%27%27Neil%20%E2%80%93%20Pr%C3%BCfung%27"
	if raw := s.LastRequest("releases").URL.RawQuery; !strings.HasPrefix(raw, want+"&") {
		t.Errorf("query = %s\nwant it to start with %s", raw, want)
	}
	job, err := c.StartJob(ctx(t), f, r, orchestrator.StartRequest{})
	if err != nil || job.ReleaseName != name {
		t.Fatalf("StartJob = %+v, %v; want a job of %q", job, err, name)
	}
}

func TestReleases_SchemasParsed(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthClientCredentials)
	list, err := c.Releases(ctx(t), folderOf(t, c, invoices))
	if err != nil || len(list) != 1 {
		t.Fatalf("Releases = %+v, %v", list, err)
	}
	r := list[0]
	wantIn := orchestrator.Argument{Name: "in_Amount", Type: "System.Int32", Required: true}
	if len(r.Inputs) != 1 || r.Inputs[0] != wantIn {
		t.Errorf("Inputs = %+v, want [%+v]", r.Inputs, wantIn)
	}
	if len(r.Outputs) != 1 || r.Outputs[0].Type != "System.Decimal" {
		t.Errorf("Outputs = %+v, want out_Total System.Decimal", r.Outputs)
	}
	if r.Key == "" || r.ProcessVersion != "1.0.2" {
		t.Errorf("release = %+v, want a key and version 1.0.2", r)
	}
}

func TestProcessList_ShowsPinnedVersion_FlagsNewerPackage(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	s.AddPackage("InvoiceBot", "1.0.3")
	c := newClient(t, s, orchestrator.AuthPassword)
	f := folderOf(t, c, invoices)

	list, err := c.Releases(ctx(t), f)
	if err == nil {
		err = c.MarkNewerVersions(ctx(t), list)
	}
	if err != nil || len(list) != 1 {
		t.Fatalf("Releases = %+v, %v", list, err)
	}
	if list[0].ProcessVersion != "1.0.2" || list[0].NewerVersion != "1.0.3" {
		t.Fatalf("release shows %s (newer %q); want pinned 1.0.2 with 1.0.3 flagged",
			list[0].ProcessVersion, list[0].NewerVersion)
	}

	// The package that runs is the pinned one, never the newest.
	var pkg bytes.Buffer
	if _, err := c.DownloadPackage(ctx(t), list[0].ProcessKey, list[0].ProcessVersion, "",
		&pkg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.LastRequest("download").URL.Path, "InvoiceBot:1.0.2") ||
		!bytes.Contains(pkg.Bytes(), []byte("1.0.2")) {
		t.Errorf("downloaded %s, want version 1.0.2", s.LastRequest("download").URL.Path)
	}

	// The process is updated to 1.0.3 (process.updated): a new listing
	// shows it and no longer flags anything.
	s.SetReleaseVersion(invoices, "InvoiceBot", "1.0.3")
	list, err = c.Releases(ctx(t), f)
	if err == nil {
		err = c.MarkNewerVersions(ctx(t), list)
	}
	if err != nil || list[0].ProcessVersion != "1.0.3" || list[0].NewerVersion != "" {
		t.Fatalf("after the update: %+v, %v; want 1.0.3 with nothing newer", list, err)
	}
	job, err := c.StartJob(ctx(t), f, list[0], orchestrator.StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == 0 {
		t.Error("no job id")
	}
}

func TestDownloadPackage_MissingVersion_NotFound(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthToken)
	var b bytes.Buffer
	_, err := c.DownloadPackage(ctx(t), "InvoiceBot", "9.9.9", "", &b)
	if !errors.Is(err, orchestrator.ErrNotFound) || b.Len() != 0 {
		t.Fatalf("DownloadPackage(missing) = %v with %d bytes; want ErrNotFound, nothing "+
			"written", err, b.Len())
	}
}

func TestReleaseDeleted_NotFound(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	f := folderOf(t, c, invoices)
	r, err := c.ReleaseByName(ctx(t), f, "InvoiceBot")
	if err != nil {
		t.Fatal(err)
	}
	s.DeleteRelease(invoices, "InvoiceBot")
	if _, err := c.ReleaseByKey(ctx(t), f, r.Key); !errors.Is(err, orchestrator.ErrNotFound) {
		t.Errorf("ReleaseByKey after deletion = %v, want ErrNotFound", err)
	}
	_, err = c.StartJob(ctx(t), f, r, orchestrator.StartRequest{})
	if !errors.Is(err, orchestrator.ErrNotFound) || !strings.Contains(err.Error(), "1002") {
		t.Errorf("StartJob of a deleted process = %v, want 404/1002", err)
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{{"1.0.10", "1.0.9", 1}, {"1.0.2", "1.0.2", 0}, {"1.0", "1.0.1", -1},
		{"1.0.6666.26728", "1.0.6666.3", 1}}
	for _, tc := range cases {
		if got := orchestrator.CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
