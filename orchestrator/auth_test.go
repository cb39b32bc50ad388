package orchestrator_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

func TestEveryAuthKind_SignsInAndListsReleases(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	for _, kind := range allKinds {
		t.Run(string(kind), func(t *testing.T) {
			c := newClient(t, s, kind)
			if err := c.SignIn(ctx(t)); err != nil {
				t.Fatalf("SignIn: %v", err)
			}
			list, err := c.Releases(ctx(t), folderOf(t, c, invoices))
			if err != nil {
				t.Fatalf("Releases: %v", err)
			}
			if len(list) != 1 || list[0].Name != "InvoiceBot" {
				t.Fatalf("Releases = %+v, want InvoiceBot", list)
			}
		})
	}
}

func TestSignIn_Password_SendsTenantAndUser(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	u, err := c.CurrentUser(ctx(t))
	if err != nil || u.UserName != userName || u.TenancyName != tenant {
		t.Fatalf("CurrentUser = %+v, %v; want %s in %s", u, err, userName, tenant)
	}
	if got := s.LastRequest("currentUser").Header.Get("X-UIPATH-TenantName"); got != tenant {
		t.Errorf("X-UIPATH-TenantName = %q, want %q", got, tenant)
	}
}

func TestSignIn_Password_Wrong_ErrorCode1000WithRemedy(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword, func(cfg *orchestrator.Config) {
		cfg.Secret = "wrong"
	})
	err := c.SignIn(ctx(t))
	if !errors.Is(err, orchestrator.ErrBadCredentials) {
		t.Fatalf("SignIn with a wrong password = %v, want ErrBadCredentials", err)
	}
	if !strings.Contains(err.Error(), "1000") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q: want errorCode 1000 and no secret", err)
	}
	if orchestrator.Remedy(err) == "" {
		t.Error("no remedy for a refused password")
	}
}

func TestSignIn_ClientCredentials_RequestsScopes(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthClientCredentials)
	if err := c.SignIn(ctx(t)); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if got := c.GrantedScopes(); got != orchestrator.DefaultScopes {
		t.Errorf("GrantedScopes = %q, want %q", got, orchestrator.DefaultScopes)
	}
	if u, err := c.CurrentUser(ctx(t)); err != nil || !u.App {
		t.Errorf("CurrentUser of an app = %+v, %v; want the app marker (204)", u, err)
	}
}

func TestSignIn_ClientCredentials_Refusals(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	cases := []struct {
		name, secret, scopes, oauth string
		want                        error
	}{
		{"wrong secret", "nope", "", "invalid_client", orchestrator.ErrBadCredentials},
		{"scope not granted", appSecret, "OR.Admin", "invalid_scope", orchestrator.ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, s, orchestrator.AuthClientCredentials,
				func(cfg *orchestrator.Config) {
					cfg.Secret, cfg.Profile.Scopes = tc.secret, tc.scopes
				})
			err := c.SignIn(ctx(t))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.oauth) {
				t.Fatalf("SignIn = %v, want %v (%s)", err, tc.want, tc.oauth)
			}
		})
	}
}

func TestSignIn_WrongIdentityURL_SaysSo(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthClientCredentials, func(cfg *orchestrator.Config) {
		cfg.Profile.IdentityURL = s.URL // the Orchestrator app itself: 404/405
	})
	err := c.SignIn(ctx(t))
	if err == nil || errors.Is(err, orchestrator.ErrBadCredentials) {
		t.Fatalf("SignIn at the wrong identity URL = %v, want an error that is not "+
			"'bad credentials'", err)
	}
}

func TestToken_RenewedBeforeExpiry(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newClient(t, s, orchestrator.AuthPassword, func(cfg *orchestrator.Config) {
		cfg.Now = clock
	})
	for range 3 {
		if _, err := c.CurrentUser(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Count("authenticate"); n != 1 {
		t.Fatalf("sign-ins for 3 calls = %d, want 1 (the token is reused)", n)
	}
	mu.Lock()
	now = now.Add(29*time.Minute + 30*time.Second) // within a minute of expiry
	mu.Unlock()
	if _, err := c.CurrentUser(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := s.Count("authenticate"); n != 2 {
		t.Fatalf("sign-ins after nearing expiry = %d, want 2", n)
	}
}

func TestToken_ExpiredMidSession_RenewedOnceOn401(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	for _, kind := range []orchestrator.AuthKind{orchestrator.AuthPassword,
		orchestrator.AuthClientCredentials} {
		t.Run(string(kind), func(t *testing.T) {
			c := newClient(t, s, kind)
			f := folderOf(t, c, invoices)
			s.ResetCounts()
			s.ExpireTokens()
			if _, err := c.Releases(ctx(t), f); err != nil {
				t.Fatalf("Releases after the server dropped the token: %v", err)
			}
			if n := s.Count("releases"); n != 2 {
				t.Errorf("releases requests = %d, want 2 (refused, then retried)", n)
			}
		})
	}
}

func TestToken_RefusedAgainAfterRenewal_NoLoop(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	s.Fail("currentUser", orchestratortest.Fault{Status: 401, Shape: orchestratortest.ShapeABP,
		Message: "You are not authenticated!"})
	_, err := c.CurrentUser(ctx(t))
	if !errors.Is(err, orchestrator.ErrUnauthorized) {
		t.Fatalf("CurrentUser = %v, want ErrUnauthorized", err)
	}
	if a, u := s.Count("authenticate"), s.Count("currentUser"); a != 2 || u != 2 {
		t.Fatalf("sign-ins = %d and calls = %d, want 2 and 2 (one renewal, no loop)", a, u)
	}
}

func TestToken_PersonalAccessToken_RevokedIsNotRetried(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthToken)
	s.RevokePAT(patToken)
	_, err := c.CurrentUser(ctx(t))
	if !errors.Is(err, orchestrator.ErrUnauthorized) {
		t.Fatalf("CurrentUser with a revoked token = %v, want ErrUnauthorized", err)
	}
	if n := s.Count("currentUser"); n != 1 {
		t.Errorf("calls = %d, want 1: a token cannot be renewed", n)
	}
	if strings.Contains(err.Error(), patToken) {
		t.Errorf("error %q holds the token", err)
	}
}

func TestCloudShape_IdentityDerivedFromOrchestratorPrefix(t *testing.T) {
	s := newFake(t, orchestratortest.Options{Cloud: true})
	c := newClient(t, s, orchestrator.AuthClientCredentials, func(cfg *orchestrator.Config) {
		cfg.Profile.IdentityURL = "" // derived: host + /identity_
	})
	list, err := c.Releases(ctx(t), folderOf(t, c, invoices))
	if err != nil || len(list) != 1 {
		t.Fatalf("Releases on the cloud shape = %+v, %v", list, err)
	}
	if !strings.HasSuffix(c.BaseURL(), "/orchestrator_") || s.Count("token") != 1 {
		t.Errorf("base %s, token requests %d", c.BaseURL(), s.Count("token"))
	}
}
