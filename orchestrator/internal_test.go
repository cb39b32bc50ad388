package orchestrator

import (
	"log/slog"
	"strings"
	"testing"
)

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestQueryEncoding_PercentEncodesEverythingButUnreserved(t *testing.T) {
	q := query{}.add("$filter", eq("Name", "Rechnung O'Neil – Prüfung")).add("$top", "1")
	want := "$filter=Name%20eq%20%27Rechnung%20O%27%27Neil%20%E2%80%93%20Pr%C3%BCfung%27" +
		"&$top=1"
	if got := q.encode(); got != want {
		t.Errorf("encode = %s\nwant     %s", got, want)
	}
}

func TestSplitUTF8_NeverCutsACharacter(t *testing.T) {
	s := strings.Repeat("ü", 2000) // 4,000 bytes
	parts := splitUTF8(s, 2559)
	if strings.Join(parts, "") != s {
		t.Fatal("parts do not join to the input")
	}
	for i, p := range parts {
		if len(p) > 2559 || !utf8Valid(p) {
			t.Errorf("part %d: %d bytes, valid %v", i, len(p), utf8Valid(p))
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
