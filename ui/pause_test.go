package ui

import (
	"strings"
	"testing"

	"robotbridge/engine"
)

func TestStatusLine_SaysWhenTheBridgeIsPaused(t *testing.T) {
	st := engine.Status{DiscoveryPort: 2323}
	if line := statusLine(st, true, 0); strings.Contains(line, "PAUSED") {
		t.Fatalf("not paused: %q", line)
	}
	st.Paused = true
	if line := statusLine(st, true, 0); !strings.Contains(line, "PAUSED") {
		t.Fatalf("paused: %q", line)
	}
}
