package robot_test

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/robot"
)

func project(name, version string) string {
	return `{"name":"` + name + `","projectVersion":"` + version + `","main":"Main.xaml",
		"command":["${robotbridge}","sample","echo"],
		"runtimeOptions":{"requiresUserInteraction":false},
		"entryPoints":[{"filePath":"Main.xaml","input":[
			{"name":"who","type":"System.String","required":true,"hasDefault":false}]}]}`
}

func writePackageDir(t *testing.T, dir, name, version string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "project.json"), []byte(project(name, version)),
		0o644); err != nil {
		t.Fatal(err)
	}
}

// zipEntry is one entry of a test archive.
type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

func writeZip(t *testing.T, path string, entries ...zipEntry) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newFolder(t *testing.T) (*robot.Folder, *robot.Robot) {
	t.Helper()
	r := newRobot(t, robot.Limits{})
	f := &robot.Folder{Dir: t.TempDir(), CacheDir: t.TempDir(), Robot: r,
		Limits: robot.ArchiveLimits{MaxTotalBytes: 1 << 20}}
	return f, r
}

func versionsOf(r *robot.Robot, name string) (pinned string, versions []string, newer string) {
	for _, info := range r.Catalog() {
		if info.Active != nil && info.Active.Name == name {
			return info.Pinned, info.Versions, info.Newer
		}
	}
	return "", nil, ""
}

func TestFolder_NewChangedAndRemovedPackagesWithoutRestart(t *testing.T) {
	f, r := newFolder(t)
	f.Scan()
	if _, err := r.Process(robot.ProcessKey(robot.LocalSource, "greeter")); err == nil {
		t.Fatal("greeter installed before it was written")
	}

	writePackageDir(t, filepath.Join(f.Dir, "greeter"), "greeter", "1.0.0")
	f.Scan()
	key := robot.ProcessKey(robot.LocalSource, "greeter")
	pkg, err := r.Process(key)
	if err != nil || pkg.Version != "1.0.0" {
		t.Fatalf("after adding: %v %v", pkg, err)
	}

	writePackageDir(t, filepath.Join(f.Dir, "greeter"), "greeter", "1.0.1-changed-in-place")
	f.Scan()
	if pkg, err := r.Process(key); err == nil && pkg.Version == "1.0.0" {
		t.Fatal("an edited project.json was not picked up")
	}

	os.RemoveAll(filepath.Join(f.Dir, "greeter"))
	f.Scan()
	if _, err := r.Process(key); err == nil {
		t.Fatal("a removed package is still installed")
	}
}

// Field report 14: a newer package never replaces the pinned version on
// its own; the list shows both, and a job reports the version it ran.
func TestProcessList_ShowsPinnedVersion_FlagsNewerPackage(t *testing.T) {
	f, r := newFolder(t)
	writeZip(t, filepath.Join(f.Dir, "InvoiceBot.1.0.2.nupkg"),
		zipEntry{name: "lib/net45/project.json", body: project("InvoiceBot", "1.0.2")})
	f.Scan()
	writeZip(t, filepath.Join(f.Dir, "InvoiceBot.1.0.3.nupkg"),
		zipEntry{name: "lib/net45/project.json", body: project("InvoiceBot", "1.0.3")})
	f.Scan()

	pinned, versions, newer := versionsOf(r, "InvoiceBot")
	if pinned != "1.0.2" || newer != "1.0.3" || strings.Join(versions, ",") != "1.0.3,1.0.2" {
		t.Fatalf("pinned %q newer %q versions %v", pinned, newer, versions)
	}
	key := robot.ProcessKey(robot.LocalSource, "InvoiceBot")
	snap := runKey(t, r, key, "")
	if snap.job.Package.Version != "1.0.2" {
		t.Fatalf("ran version %s, want the pinned 1.0.2", snap.job.Package.Version)
	}
	if got := runKey(t, r, key, "1.0.3").job.Package.Version; got != "1.0.3" {
		t.Fatalf("an exact version request ran %s", got)
	}

	if err := r.Use(key, "1.0.3"); err != nil {
		t.Fatal(err)
	}
	if pinned, _, newer := versionsOf(r, "InvoiceBot"); pinned != "1.0.3" || newer != "" {
		t.Fatalf("after use: pinned %q newer %q", pinned, newer)
	}
	if err := r.Use(key, "9.9.9"); err == nil || !strings.Contains(err.Error(), "1.0.2") {
		t.Fatalf("using a missing version must list the installed ones: %v", err)
	}
}

type ran struct {
	job *robot.Job
}

func runKey(t *testing.T, r *robot.Robot, key, version string) ran {
	t.Helper()
	job, err := r.Start(robot.StartRequest{ProcessKey: key, Version: version,
		Arguments: map[string]any{"who": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	waitEnd(t, job, 10*time.Second)
	return ran{job}
}

func TestFolder_BadPackagesAreReportedAndTheRestInstall(t *testing.T) {
	f, r := newFolder(t)
	writePackageDir(t, filepath.Join(f.Dir, "good"), "good", "1.0.0")
	os.MkdirAll(filepath.Join(f.Dir, "broken"), 0o755)
	os.WriteFile(filepath.Join(f.Dir, "broken", "project.json"), []byte(`{"name": "x",`), 0o644)
	os.MkdirAll(filepath.Join(f.Dir, "nocommand"), 0o755)
	os.WriteFile(filepath.Join(f.Dir, "nocommand", "project.json"), []byte(`{"name":"y"}`), 0o644)
	writeZip(t, filepath.Join(f.Dir, "traversal.zip"),
		zipEntry{name: "project.json", body: project("t", "1")},
		zipEntry{name: "../../evil.sh", body: "boom"})
	writeZip(t, filepath.Join(f.Dir, "absolute.zip"),
		zipEntry{name: "/tmp/robotbridge-evil", body: "boom"})
	writeZip(t, filepath.Join(f.Dir, "symlink.zip"),
		zipEntry{name: "project.json", body: project("s", "1")},
		zipEntry{name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777})
	writeZip(t, filepath.Join(f.Dir, "bomb.zip"),
		zipEntry{name: "project.json", body: project("b", "1")},
		zipEntry{name: "zeros.bin", body: strings.Repeat("\x00", 4<<20)})
	os.WriteFile(filepath.Join(f.Dir, "notazip.nupkg"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(f.Dir, "README.txt"), []byte("ignored"), 0o644)
	f.Scan()

	if _, err := r.Process(robot.ProcessKey(robot.LocalSource, "good")); err != nil {
		t.Fatalf("a good package next to broken ones did not install: %v", err)
	}
	want := map[string]string{
		"broken": "not valid JSON at line 1, column", "nocommand": `no "command"`,
		"traversal.zip": "outside the package folder", "absolute.zip": "outside",
		"symlink.zip": "symbolic link", "bomb.zip": "size limit",
		"notazip.nupkg": "not a readable zip",
	}
	problems := map[string]string{}
	for _, p := range f.Problems() {
		problems[filepath.Base(p.Path)] = p.Error
	}
	for name, text := range want {
		if !strings.Contains(problems[name], text) {
			t.Errorf("%s: problem %q, want it to mention %q", name, problems[name], text)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("problems %v", problems)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(f.Dir), "evil.sh")); err == nil {
		t.Fatal("a traversal entry was written outside the cache")
	}
	leftovers, _ := filepath.Glob(filepath.Join(f.CacheDir, ".unpack-*"))
	if len(leftovers) != 0 {
		t.Fatalf("half-unpacked folders left in the cache: %v", leftovers)
	}
}

// Found by a new user: editing a folder package's projectVersion in place
// must leave a runnable process (the old pinned version is gone for good).
func TestFolder_VersionEditedInPlaceStaysRunnable(t *testing.T) {
	f, r := newFolder(t)
	dir := filepath.Join(f.Dir, "adder")
	writePackageDir(t, dir, "adder", "0.1.0")
	f.Scan()
	key := robot.ProcessKey(robot.LocalSource, "adder")

	writePackageDir(t, dir, "adder", "0.2.0-edited")
	f.Scan()
	pkg, err := r.Process(key)
	if err != nil || pkg.Version != "0.2.0-edited" {
		t.Fatalf("after the edit: %v %v", pkg, err)
	}
	if got, ok := r.KeyByName("adder"); !ok || got != key {
		t.Fatalf("KeyByName: %q %v", got, ok)
	}
}
