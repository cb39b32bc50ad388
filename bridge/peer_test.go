package bridge_test

import (
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"robotbridge/bridge"
	"robotbridge/consent"
)

// Field report 7: a request whose client socket belongs to another OS
// user gets 403 wrong_session, creates no consent request and starts
// nothing, even from an approved origin.
func TestBridge_RejectsRequestFromOtherUserSession(t *testing.T) {
	other := func(local, remote net.Addr) (int, bool) { return os.Getuid() + 1, true }
	gate := consent.NewGate([]string{approved})
	f := newFixtureWithGate(t, bridge.Config{PeerUID: other}, gate)

	requests := []struct{ method, path, origin string }{
		{"GET", "/RobotProcesses", approved},
		{"POST", "/InvokeRobot?robotProcessId=" + f.keys["echo"], approved},
		{"GET", "/GetPort?consentCode=123456", "https://app.example.com"},
	}
	for _, req := range requests {
		srv := f.api
		if strings.HasPrefix(req.path, "/GetPort") {
			srv = f.discovery
		}
		r := f.do(srv, req.method, req.path, req.origin, "{}")
		if r.status != 403 || !strings.HasPrefix(r.errorText(), "wrong_session") {
			t.Errorf("%s %s: %d %q", req.method, req.path, r.status, r.errorText())
		}
	}
	if n := len(gate.PendingRequests()); n != 0 {
		t.Fatalf("another user's page created %d consent requests", n)
	}
	if n := len(f.robot.Jobs()); n != 0 {
		t.Fatalf("another user's page started %d jobs", n)
	}
}

func TestProcPeerUID_FindsTheOwnerOfARealConnection(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the peer lookup reads /proc (Linux only)")
	}
	for _, network := range []string{"tcp4", "tcp6"} {
		host := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
		ln, err := net.Listen(network, host)
		if err != nil {
			t.Logf("%s: no loopback here: %v", network, err)
			continue
		}
		defer ln.Close()
		client, err := net.Dial(network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()

		uid, ok := bridge.ProcPeerUID(server.LocalAddr(), server.RemoteAddr())
		if !ok || uid != os.Getuid() {
			t.Fatalf("%s: got uid %d (found %t), want %d", network, uid, ok, os.Getuid())
		}
	}
}
