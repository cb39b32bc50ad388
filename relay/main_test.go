package relay_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"robotbridge/relay"
)

// childEnv selects the relay helper process: the test binary run again
// as a bare relay, so that a benchmark measures the relay's own memory.
const childEnv = "ROBOTBRIDGE_RELAY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runRelayChild())
	}
	os.Exit(m.Run())
}

// runRelayChild serves a relay configured by RELAY_CHILD_* variables on
// a free loopback port, prints "ADDR host:port", and stops when its
// standard input closes (the parent went away) or on SIGTERM.
func runRelayChild() int {
	tokens, err := os.Open(os.Getenv("RELAY_CHILD_TOKENS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	list, err := relay.ParseTokens(tokens)
	tokens.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := relay.New(relay.Config{Secrets: [][]byte{[]byte(os.Getenv("RELAY_CHILD_SECRET"))},
		Tokens: list, StateDir: os.Getenv("RELAY_CHILD_STATE"), Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := relay.Listen(relay.ListenConfig{Addr: "127.0.0.1:0",
		CertFile: os.Getenv("RELAY_CHILD_CERT"), KeyFile: os.Getenv("RELAY_CHILD_KEY")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString(0) // EOF when the parent goes
		cancel()
	}()
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
