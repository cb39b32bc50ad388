package ui

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"robotbridge/assets"
	"robotbridge/engine"
	"robotbridge/feed"
)

func TestJobModel_AppliesStateEvents(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	ev := func(id, state string, sec int) feed.Event {
		return feed.Event{Type: feed.JobState, JobID: id, Process: "p" + id, State: state,
			At: t0.Add(time.Duration(sec) * time.Second)}
	}
	m := newJobModel()
	for _, e := range []feed.Event{ev("1", statePending, 0), ev("1", stateRunning, 1),
		ev("2", statePending, 2), ev("2", stateRunning, 3), ev("1", stateSuccessful, 9)} {
		if !m.Apply(e) {
			t.Fatalf("Apply(%s %s) changed nothing", e.JobID, e.State)
		}
	}
	if m.Apply(feed.Event{Type: feed.JobStatus, JobID: "1", Text: "x"}) {
		t.Error("a status event changed a row")
	}
	if m.Apply(ev("1", stateRunning, 1)) {
		t.Error("a replayed event revived an ended job")
	}

	rows := m.Sorted()
	if len(rows) != 2 || rows[0].ID != "2" || rows[1].ID != "1" {
		t.Fatalf("Sorted() = %+v, want job 2 then job 1 (newest first)", rows)
	}
	if d, ok := rows[1].duration(t0.Add(time.Hour)); !ok || d != 8*time.Second {
		t.Errorf("ended job's duration = %s, %v; want 8s from running to end", d, ok)
	}
	if d, ok := rows[0].duration(t0.Add(10 * time.Second)); !ok || d != 7*time.Second {
		t.Errorf("running job's duration = %s, %v; want 7s so far", d, ok)
	}
	if m.Running() != 1 {
		t.Errorf("Running() = %d, want 1", m.Running())
	}
}

func TestJobModel_Merge(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	m := newJobModel()
	m.Merge([]engine.JobEntry{{ID: "a", Process: "echo", State: stateSuccessful, Created: t0,
		Started: t0.Add(time.Second), Ended: t0.Add(3 * time.Second)},
		{ID: "b", Process: "sleep", State: stateUnknown, Created: t0},
		{ID: "c", Process: "fail", State: stateFaulted, Created: t0, Ended: t0.Add(time.Second)}})
	rows := map[string]jobRow{}
	for _, r := range m.Sorted() {
		rows[r.ID] = r
	}
	if d, _ := rows["a"].duration(t0); d != 2*time.Second {
		t.Errorf("duration from the list's times = %s, want 2s", d)
	}
	if d, ok := rows["c"].duration(t0); !ok || d != time.Second {
		t.Errorf("duration without a start time = %s, %v; want 1s from creation", d, ok)
	}
	if m.Running() != 0 {
		t.Errorf("a job that ended unknown counts as running")
	}

	// A list older than the events must not undo them.
	m.Apply(feed.Event{Type: feed.JobState, JobID: "d", State: stateRunning, At: t0})
	m.Apply(feed.Event{Type: feed.JobState, JobID: "d", State: stateSuccessful, At: t0})
	m.Merge([]engine.JobEntry{{ID: "d", State: statePending, Created: t0}})
	if got := m.rows["d"].State; got != stateSuccessful {
		t.Errorf("a stale list set an ended job back to %s", got)
	}

	many := make([]engine.JobEntry, maxJobRows+50)
	for i := range many {
		many[i] = engine.JobEntry{ID: string(rune(0x4e00 + i)), State: stateFaulted,
			Created: t0.Add(time.Duration(i) * time.Second)}
	}
	m = newJobModel()
	m.Merge(many)
	if got := len(m.Sorted()); got != maxJobRows {
		t.Errorf("kept %d jobs, want at most %d", got, maxJobRows)
	}
}

func TestFormatDuration(t *testing.T) {
	cases := map[time.Duration]string{
		850 * time.Millisecond:           "850ms",
		12 * time.Second:                 "12s",
		3*time.Minute + 5*time.Second:    "3m05s",
		2*time.Hour + 3*time.Minute + 59: "2h03m",
	}
	for d, want := range cases {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestJobCell(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 10, 0, time.Local)
	r := jobRow{State: stateFaulted, Process: "fail", Origin: "local", Error: "no file",
		Created: now.Add(-5 * time.Second), Started: now.Add(-4 * time.Second),
		Ended: now.Add(-time.Second)}
	want := []struct {
		text string
		imp  widget.Importance
	}{
		{"Faulted", widget.DangerImportance}, {"fail", widget.MediumImportance},
		{"this computer", widget.MediumImportance}, {"09:00:05", widget.MediumImportance},
		{"3s", widget.MediumImportance}, {"no file", widget.DangerImportance},
	}
	for col, w := range want {
		if text, imp := jobCell(r, col, now); text != w.text || imp != w.imp {
			t.Errorf("column %d = %q (%v), want %q (%v)", col, text, imp, w.text, w.imp)
		}
	}
	if got := clockTime(now.AddDate(0, 0, -1), now); !strings.Contains(got, "Dec 3") {
		t.Errorf("a start yesterday shows %q, want the date", got)
	}
}

func TestTrayStateFor(t *testing.T) {
	cases := []struct {
		name             string
		up               bool
		pending, running int
		want             trayState
	}{
		{"idle", true, 0, 0, trayIdle},
		{"busy", true, 0, 2, trayBusy},
		{"a site waits", true, 1, 2, trayAttention},
		{"engine gone", false, 0, 0, trayAttention},
	}
	for _, c := range cases {
		if got := trayStateFor(c.up, c.pending, c.running); got != c.want {
			t.Errorf("%s: trayStateFor = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBadged_KeepsTheIconAndMarksTheCorner(t *testing.T) {
	data, err := badged(assets.Icon(), badgeAttention)
	if err != nil {
		t.Fatalf("badged: %v", err)
	}
	orig, _ := png.Decode(bytes.NewReader(assets.Icon()))
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds() != orig.Bounds() {
		t.Fatalf("badged icon: %v, bounds %v; want a PNG of %v", err, img.Bounds(), orig.Bounds())
	}
	b := img.Bounds()
	r, g, _, _ := img.At(b.Max.X-b.Dx()/8, b.Max.Y-b.Dy()/8).RGBA()
	if r>>8 != 0xe8 || g>>8 != 0x6a {
		t.Errorf("corner colour %x,%x, want the badge's orange", r>>8, g>>8)
	}
	if orig.At(0, 0) != img.At(0, 0) {
		t.Error("the badge changed the icon away from its corner")
	}
	if _, err := badged([]byte("not a png"), badgeBusy); err == nil {
		t.Error("badged accepted a broken icon")
	}
}

func TestStatusLine(t *testing.T) {
	st := engine.Status{DiscoveryPort: 2323}
	if got := statusLine(st, true, 2); got !=
		"Engine running inside this app · pages find it on localhost:2323 · 2 jobs running" {
		t.Errorf("statusLine = %q", got)
	}
	if got := statusLine(st, false, 0); !strings.Contains(got, "already running") ||
		!strings.Contains(got, "no job running") {
		t.Errorf("statusLine for a service engine = %q", got)
	}
}

func TestOutputText_IsCutWithANote(t *testing.T) {
	big := strings.Repeat("é", maxOutputShown)
	got := outputText(map[string]any{"text": big})
	if !strings.Contains(got, "more bytes not shown") || len(got) > maxOutputShown+64 {
		t.Fatalf("outputText of a big output is %d bytes: %.80q…", len(got), got)
	}
	if !strings.HasPrefix(outputText(map[string]any{"n": 1}), "Output arguments:\n{") {
		t.Error("small output is not shown as JSON")
	}
}

func TestLogBuffer_KeepsTheNewestLines(t *testing.T) {
	b := NewLogBuffer(3)
	_, changed := b.Lines()
	b.Write([]byte("one\ntwo\n"))
	select {
	case <-changed:
	default:
		t.Fatal("a write did not signal the change")
	}
	b.Write([]byte("three\n"))
	b.Write([]byte("four\n"))
	lines, _ := b.Lines()
	if strings.Join(lines, ",") != "two,three,four" {
		t.Fatalf("Lines() = %v, want the newest 3", lines)
	}
}
