package relay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"robotbridge/config"
)

func jobEvent(job int64, typ, state string, folder int64, at time.Time) JobEvent {
	return JobEvent{TenantID: 1, JobID: job, Type: typ, State: state, FolderID: folder, At: at}
}

// What the relay remembers survives a restart through its files, and is
// forgotten after the window, file included.
func TestSeen_PersistRestoreExpire(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	s := newSeen(48*time.Hour, 1000)
	s.addID("e-1", t0)
	done := jobEvent(7, "job.completed", "Successful", 12, t0)
	s.forwarded(&done, t0)
	s.addID("e-2", t0.Add(time.Hour))
	writeAll(t, s.pending(dir))

	r := newSeen(48*time.Hour, 1000)
	if skipped, err := loadSeen(dir, r, t0.Add(2*time.Hour)); err != nil || skipped != 0 {
		t.Fatalf("loadSeen: %d skipped, %v", skipped, err)
	}
	if !r.hasID("e-1") || !r.hasID("e-2") {
		t.Errorf("ids after a restart: e-1 %v, e-2 %v, want both", r.hasID("e-1"),
			r.hasID("e-2"))
	}
	if folders, ok := r.twin(&done); !ok || len(folders) != 1 || folders[0] != 12 {
		t.Errorf("twin after a restart = %v %v, want [12]", folders, ok)
	}
	late := jobEvent(7, "job.started", "Running", 12, t0.Add(-time.Second))
	if !r.stale(&late) {
		t.Errorf("job.started after the restored completion: not stale, want stale")
	}

	// 48 h after e-1 it is gone; e-2, an hour younger, stays.
	r.expire(t0.Add(48*time.Hour + 15*time.Minute))
	writeAll(t, r.pending(dir))
	if r.hasID("e-1") || !r.hasID("e-2") {
		t.Errorf("after the window: e-1 %v (want gone), e-2 %v (want kept)", r.hasID("e-1"),
			r.hasID("e-2"))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seen-*.txt"))
	if len(files) != 1 {
		t.Errorf("files after expiry: %v, want only e-2's bucket", files)
	}
}

// Past the limit the oldest buckets go early; the current one stays.
func TestSeen_Limit(t *testing.T) {
	t0 := time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	s := newSeen(48*time.Hour, 2)
	s.addID("old", t0)
	s.addID("new-1", t0.Add(time.Hour))
	s.addID("new-2", t0.Add(time.Hour))
	if early := s.expire(t0.Add(time.Hour)); early != 1 || s.hasID("old") ||
		!s.hasID("new-2") {
		t.Errorf("expire over the limit: %d early, old %v, new-2 %v; want 1, gone, kept",
			early, s.hasID("old"), s.hasID("new-2"))
	}
}

// A damaged line is skipped, not fatal.
func TestSeen_DamagedLineSkipped(t *testing.T) {
	dir := t.TempDir()
	b := bucketOf(time.Now())
	data := "e ok-1\ngarbage line here\nt 1 2 x\ne ok-2\n"
	if err := os.WriteFile(seenPath(dir, b), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSeen(48*time.Hour, 1000)
	skipped, err := loadSeen(dir, s, time.Now())
	if err != nil || skipped != 2 || !s.hasID("ok-1") || !s.hasID("ok-2") {
		t.Errorf("loadSeen: %d skipped, %v, ids %v; want 2 skipped and both ids", skipped,
			err, s.ids)
	}
	if strings.Contains(string(s.buckets[b].lines), "garbage") {
		t.Errorf("the damaged line would be written back")
	}
}

func writeAll(t *testing.T, writes []fileWrite) {
	t.Helper()
	for _, w := range writes {
		var err error
		if w.remove {
			err = removeIfExists(w.path)
		} else {
			err = config.WriteFileAtomic(w.path, w.data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
