package orchestrator_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"robotbridge/orchestrator"
)

// TestSecretService_StoreReadDelete uses the real OS keyring: make test
// runs it inside a D-Bus session with an unlocked gnome-keyring (see
// scripts/with-keyring.sh).
func TestSecretService_StoreReadDelete(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset): run " +
			"`bash scripts/with-keyring.sh go test ./orchestrator/` to test against a real " +
			"Secret Service")
	}
	st, dir := newStore(t, orchestrator.SystemKeyring())
	name := fmt.Sprintf("rbtest-%d", time.Now().UnixNano())
	p := prof(name, orchestrator.AuthToken)
	long := strings.Repeat("tøken-", 700) // 4,900 bytes: stored in chunks
	t.Cleanup(func() { _ = st.Secrets().DeleteAll(name) })

	if err := st.Add(p, long, false); err != nil {
		t.Fatalf("Add with the real keyring: %v", err)
	}
	got, err := st.Secret(p)
	if err != nil || got != long {
		t.Fatalf("Secret = %d bytes, %v; want %d bytes back", len(got), err, len(long))
	}
	head, err := keyring.Get(orchestrator.KeyringService, name+"/token")
	if err != nil || !strings.HasPrefix(head, "rb1-chunks:") {
		t.Fatalf("keyring head entry = %q, %v; want a chunk marker", head, err)
	}
	data, _ := os.ReadFile(dir + "/" + orchestrator.ProfilesFile)
	if strings.Contains(string(data), "tøken") {
		t.Fatal("connections.json holds the secret")
	}
	if err := st.Remove(name); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := keyring.Get(orchestrator.KeyringService, name+"/token"); !errors.Is(err,
		keyring.ErrNotFound) {
		t.Fatalf("keyring entry after Remove: %v, want ErrNotFound", err)
	}
}
