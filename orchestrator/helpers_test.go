package orchestrator_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// Test identities of the standard fake.
const (
	userName   = "jdoe"
	userPass   = "pässword-1"
	tenant     = "Default"
	appID      = "rb-app"
	appSecret  = "app-secret-7d1c"
	patToken   = "rt_pat-secret-93f2"
	invoices   = "Finance/Invoices EU"
	sharedLeaf = "Shared/Invoices EU"
	pruefung   = "Finanzen/Prüfung"
)

var invoiceBot = orchestratortest.Release{Name: "InvoiceBot", ProcessKey: "InvoiceBot",
	ProcessVersion: "1.0.2",
	Input: `[{"name":"in_Amount","type":"System.Int32, mscorlib, Version=4.0.0.0, ` +
		`Culture=neutral, PublicKeyToken=b77a5c561934e089","required":true,"hasDefault":false}]`,
	Output: `[{"name":"out_Total","type":"System.Decimal, mscorlib","required":false,` +
		`"hasDefault":false}]`}

// newFake starts the standard fake: a user, an app and a token, three
// folders (two share the leaf name "Invoices EU", one is not ASCII) and
// InvoiceBot in Finance/Invoices EU.
func newFake(t testing.TB, opts orchestratortest.Options) *orchestratortest.Server {
	t.Helper()
	s := orchestratortest.New(t, opts)
	s.AddUser(orchestratortest.User{Name: userName, Password: userPass, Tenant: tenant})
	s.AddApp(orchestratortest.App{ClientID: appID, Secret: appSecret,
		Scopes:  strings.Fields(orchestrator.DefaultScopes),
		Folders: []string{"Finance"}})
	s.AddPAT(orchestratortest.PAT{Token: patToken, User: userName,
		Scopes: strings.Fields(orchestrator.DefaultScopes)})
	s.AddFolder(sharedLeaf)
	s.AddRelease(invoices, invoiceBot)
	s.AddFolder(pruefung)
	return s
}

// caFile writes the fake's CA to a file for a profile.
func caFile(t testing.TB, s *orchestratortest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, s.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func profileFor(t testing.TB, s *orchestratortest.Server,
	kind orchestrator.AuthKind) orchestrator.Profile {
	p := orchestrator.Profile{Name: "test", URL: s.URL, Auth: kind, CAFile: caFile(t, s),
		Folder: invoices}
	switch kind {
	case orchestrator.AuthPassword:
		p.User, p.Tenant = userName, tenant
	case orchestrator.AuthClientCredentials:
		p.User, p.IdentityURL = appID, s.IdentityURL
	}
	return p
}

func secretFor(kind orchestrator.AuthKind) string {
	switch kind {
	case orchestrator.AuthPassword:
		return userPass
	case orchestrator.AuthClientCredentials:
		return appSecret
	}
	return patToken
}

// logBuffer collects log output and echoes it to t.Log.
type logBuffer struct {
	t  testing.TB
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger(t testing.TB) (*slog.Logger, *logBuffer) {
	buf := &logBuffer{t: t}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		buf
}

// newClient is a client of the fake as kind, logging to the test.
func newClient(t testing.TB, s *orchestratortest.Server, kind orchestrator.AuthKind,
	edit ...func(*orchestrator.Config)) *orchestrator.Client {
	t.Helper()
	log, _ := newLogger(t)
	cfg := orchestrator.Config{Profile: profileFor(t, s, kind), Secret: secretFor(kind),
		Logger: log, Timeout: 10 * time.Second}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := orchestrator.New(cfg)
	if err != nil {
		t.Fatalf("orchestrator.New: %v", err)
	}
	return c
}

// dialTo sends every connection to addr, whatever host the URL names.
func dialTo(addr string) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// folderOf resolves the standard folder.
func folderOf(t testing.TB, c *orchestrator.Client, path string) orchestrator.FolderScope {
	t.Helper()
	f, err := c.ResolveFolder(ctx(t), path)
	if err != nil {
		t.Fatalf("ResolveFolder(%q): %v", path, err)
	}
	return f
}

var allKinds = []orchestrator.AuthKind{orchestrator.AuthPassword,
	orchestrator.AuthClientCredentials, orchestrator.AuthToken}
