package orchestrator_test

import (
	"crypto/sha256"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

// selfSignedClient reaches the fake at https://orch.example.test:PORT.
func selfSignedClient(t *testing.T, s *orchestratortest.Server, host,
	pin string) *orchestrator.Client {
	return newClient(t, s, orchestrator.AuthPassword, func(cfg *orchestrator.Config) {
		cfg.Profile.URL, cfg.Profile.CAFile, cfg.Profile.PinnedSHA256 = s.URLFor(host), "", pin
		cfg.DialContext = dialTo(s.Addr)
	})
}

func TestOrchestratorTLS_SelfSigned_PinnedFingerprintOnly(t *testing.T) {
	s := newFake(t, orchestratortest.Options{Cert: orchestratortest.CertSelfSigned})
	const host = "orch.example.test"

	// Not trusted: the error names host, subject, issuer, fingerprint and
	// the remedy.
	err := selfSignedClient(t, s, host, "").SignIn(ctx(t))
	var cert *orchestrator.CertError
	if !errors.As(err, &cert) {
		t.Fatalf("SignIn against a self-signed server = %v, want a CertError", err)
	}
	fp := s.Fingerprint()
	for _, want := range []string{host, "CN=orch.example.test", fp, "--ca-file",
		"--pin-sha256", "unknown authority"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("certificate error lacks %q:\n%v", want, err)
		}
	}

	// Pinned: trusted, host name still checked.
	if err := selfSignedClient(t, s, host, fp).SignIn(ctx(t)); err != nil {
		t.Fatalf("SignIn with the pinned fingerprint: %v", err)
	}
	err = selfSignedClient(t, s, "wrong.example.test", fp).SignIn(ctx(t))
	if !errors.Is(err, orchestrator.ErrUntrustedCert) || !strings.Contains(err.Error(),
		"host name") {
		t.Fatalf("pinned certificate under another host name = %v, want a host name "+
			"error", err)
	}

	// A changed certificate fails again and shows its new fingerprint.
	s.RotateCert()
	err = selfSignedClient(t, s, host, fp).SignIn(ctx(t))
	if !errors.As(err, &cert) || cert.Fingerprint != s.Fingerprint() ||
		cert.Fingerprint == fp {
		t.Fatalf("after the certificate changed: %v; want the new fingerprint %s",
			err, s.Fingerprint())
	}
}

func TestTLS_PrivateCA_TrustedOnlyWithCAFile(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword, func(cfg *orchestrator.Config) {
		cfg.Profile.CAFile = ""
	})
	if err := c.SignIn(ctx(t)); !errors.Is(err, orchestrator.ErrUntrustedCert) {
		t.Fatalf("SignIn without the CA bundle = %v, want ErrUntrustedCert", err)
	}
	if err := newClient(t, s, orchestrator.AuthPassword).SignIn(ctx(t)); err != nil {
		t.Fatalf("SignIn with the CA bundle: %v", err)
	}
}

func TestTLS_WrongHostAndExpired_NameTheReason(t *testing.T) {
	cases := []struct {
		cert orchestratortest.CertKind
		want string
	}{
		{orchestratortest.CertWrongHost, "not valid for the host name"},
		{orchestratortest.CertExpired, "expired"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			s := newFake(t, orchestratortest.Options{Cert: tc.cert})
			err := newClient(t, s, orchestrator.AuthPassword).SignIn(ctx(t))
			if !errors.Is(err, orchestrator.ErrUntrustedCert) ||
				!strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignIn = %v, want a certificate error saying %q", err, tc.want)
			}
		})
	}
}

func TestHTTPS_PlainHTTPRefused_ExceptLoopbackWithOption(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result":"tok","success":true}`))
	}))
	t.Cleanup(plain.Close)

	p := orchestrator.Profile{Name: "dev", URL: plain.URL, Auth: orchestrator.AuthPassword,
		User: "u"}
	if _, err := orchestrator.New(orchestrator.Config{Profile: p, Secret: "x"}); !errors.Is(
		err, orchestrator.ErrPlainHTTP) {
		t.Fatalf("New with http:// = %v, want ErrPlainHTTP", err)
	}
	p.URL = "http://orch.example.test"
	p.AllowHTTPLoopback = true
	if err := p.Validate(); !errors.Is(err, orchestrator.ErrPlainHTTP) {
		t.Fatalf("http:// to another host with the loopback option = %v, want "+
			"ErrPlainHTTP", err)
	}
	p.URL = plain.URL
	c, err := orchestrator.New(orchestrator.Config{Profile: p, Secret: "x"})
	if err != nil {
		t.Fatalf("New with http:// to loopback and the option: %v", err)
	}
	if err := c.SignIn(ctx(t)); err != nil {
		t.Fatalf("SignIn over http to loopback: %v", err)
	}
}

func TestHTTPS_RedirectToPlainHTTPRefused(t *testing.T) {
	redirect := httptest.NewTLSServer(http.RedirectHandler("http://orch.example.test/x",
		http.StatusFound))
	t.Cleanup(redirect.Close)
	redirect.Config.ErrorLog = log.New(io.Discard, "", 0) // the first handshake fails
	sum := sha256.Sum256(redirect.Certificate().Raw)
	p := orchestrator.Profile{Name: "r", URL: redirect.URL, Auth: orchestrator.AuthToken,
		PinnedSHA256: orchestrator.FormatFingerprint(sum[:])}
	c, err := orchestrator.New(orchestrator.Config{Profile: p, Secret: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CurrentUser(ctx(t))
	if !errors.Is(err, orchestrator.ErrPlainHTTP) {
		t.Fatalf("CurrentUser through a redirect to http:// = %v, want ErrPlainHTTP", err)
	}
}
