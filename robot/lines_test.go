package robot

import (
	"strings"
	"testing"
)

func TestLineWriter_SplitsAcrossWritesAndBoundsLongLines(t *testing.T) {
	var lines []string
	tooLong := 0
	w := &lineWriter{max: 16, onLine: func(b []byte) { lines = append(lines, string(b)) },
		onTooLong: func() { tooLong++ }}

	for _, chunk := range []string{"ab", "c\nde", "f\n", strings.Repeat("x", 40), "\nok\n"} {
		if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("write %q: %d, %v", chunk, n, err)
		}
	}
	if strings.Join(lines, "|") != "abc|def|ok" || tooLong != 0 {
		t.Fatalf("lines %q, tooLong %d: a long plain line must be skipped, not fatal", lines, tooLong)
	}

	w.Write([]byte(`{"type":"output","arguments":{"big":"` + strings.Repeat("y", 40) + "\"}}\nlate\n"))
	if tooLong != 1 || strings.Join(lines, "|") != "abc|def|ok" {
		t.Fatalf("an over-long message must stop everything: lines %q, tooLong %d", lines, tooLong)
	}
}
