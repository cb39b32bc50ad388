package orchestrator_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func TestErrorShapes_ReadInOrder(t *testing.T) {
	type O = orchestratortest.Fault
	cases := []struct {
		name  string
		fault O
		want  error
		text  string
	}{
		{"standard", O{Status: 400, Code: 1100, Message: "Folder does not exist or the " +
			"user does not have access to the folder."}, orchestrator.ErrFolderAccess,
			"Folder does not exist"},
		{"abp 403", O{Status: 403, Shape: orchestratortest.ShapeABP,
			Message: "You are not authorized!"}, orchestrator.ErrForbidden, "not authorized"},
		{"problem details", O{Status: 400, Shape: orchestratortest.ShapeProblem,
			Message: "bad enum"}, nil, "validation errors"},
		{"html from a proxy", O{Status: 502, Shape: orchestratortest.ShapeHTML},
			orchestrator.ErrServer, "not JSON"},
		{"empty", O{Status: 503, Shape: orchestratortest.ShapeEmpty}, orchestrator.ErrServer,
			"503"},
		{"malformed JSON", O{Status: 200, Shape: orchestratortest.ShapeMalformed},
			orchestrator.ErrMalformed, "malformed"},
		{"web page instead of the API", O{Status: 200, Shape: orchestratortest.ShapeHTML},
			orchestrator.ErrNotOrchestrator, "text/html"},
		{"rate limited", O{Status: 429, RetryAfter: "7", Message: "Too many requests"},
			orchestrator.ErrRateLimited, "429"},
	}
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	f := folderOf(t, c, invoices)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.Fail("releases", tc.fault)
			t.Cleanup(func() { s.Fail("releases", O{}) })
			_, err := c.Releases(ctx(t), f)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) ||
				!strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Releases = %v; want %v saying %q", err, tc.want, tc.text)
			}
			if !strings.Contains(err.Error(), "list processes in folder") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestRetryAfter_Read(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	f := folderOf(t, c, invoices)
	s.Fail("releases", orchestratortest.Fault{Status: 429, RetryAfter: "7"})
	_, err := c.Releases(ctx(t), f)
	var apiErr *orchestrator.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != 7*time.Second {
		t.Fatalf("Releases = %v; want an APIError with RetryAfter 7s", err)
	}
}

func TestSlowServer_TimesOutWithClearError(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword, func(cfg *orchestrator.Config) {
		cfg.Timeout = 200 * time.Millisecond
	})
	s.Fail("authenticate", orchestratortest.Fault{Hang: true})
	err := c.SignIn(ctx(t))
	if !errors.Is(err, orchestrator.ErrTimeout) {
		t.Fatalf("SignIn against a server that does not answer = %v, want ErrTimeout", err)
	}
}

func TestWrongPort_Unreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := orchestrator.New(orchestrator.Config{Profile: orchestrator.Profile{Name: "x",
		URL: "https://" + addr, Auth: orchestrator.AuthToken}, Secret: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CurrentUser(ctx(t))
	if !errors.Is(err, orchestrator.ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("CurrentUser on a closed port = %v, want ErrUnreachable naming %s", err, addr)
	}
}

func TestProfile_URLNormalisation(t *testing.T) {
	const cloud = "https://cloud.uipath.com/acme/"
	cases := map[string]string{
		"https://orch.corp.local/":                         "https://orch.corp.local",
		"https://orch.corp.local:8443/orchestrator/odata/": "https://orch.corp.local:8443/orchestrator",
		"https://orch.corp.local/swagger/ui/index":         "https://orch.corp.local",
		cloud + "DefaultTenant":                            cloud + "DefaultTenant/orchestrator_",
		cloud + "T/orchestrator_/api":                      cloud + "T/orchestrator_",
	}
	for in, want := range cases {
		p := orchestrator.Profile{Name: "n", URL: in, Auth: orchestrator.AuthToken}
		u, err := p.BaseURL()
		if err != nil || u.String() != want {
			t.Errorf("BaseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	p := orchestrator.Profile{Name: "n", URL: "https://cloud.uipath.com/acme/T",
		Auth: orchestrator.AuthToken}
	if id, _ := p.IdentityBase(); id.String() != "https://cloud.uipath.com/identity_" {
		t.Errorf("cloud identity = %v", id)
	}
	p.URL = "https://orch.corp.local/orchestrator"
	if id, _ := p.IdentityBase(); id.String() != "https://orch.corp.local/orchestrator/identity" {
		t.Errorf("standalone identity = %v", id)
	}
}
