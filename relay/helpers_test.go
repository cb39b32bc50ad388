package relay_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"robotbridge/relay"
)

const testSecret = "webhook-secret-0123456789"

// testLogger routes logs into t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// subscriberToken makes a token and its entry for a relay config.
func subscriberToken(t testing.TB, name string, tenants ...int64) (string, relay.Token) {
	t.Helper()
	tok, line, err := relay.NewToken(name)
	if err != nil {
		t.Fatalf("NewToken(%q): %v", name, err)
	}
	for _, id := range tenants {
		line += fmt.Sprintf(" tenant=%d", id)
	}
	list, err := relay.ParseTokens(bytes.NewReader([]byte(line)))
	if err != nil {
		t.Fatalf("ParseTokens(%q): %v", line, err)
	}
	return tok, list[0]
}

// testRelay is a relay served on loopback by the test.
type testRelay struct {
	t      testing.TB
	cfg    relay.Config
	tls    bool
	certs  *testCerts
	addr   string
	srv    *relay.Server
	cancel context.CancelFunc
	done   chan error
	client *http.Client // see httpClient
}

// startRelay serves a relay with cfg (secret and logger filled in when
// empty) on a free loopback port, over TLS when certs is not nil.
func startRelay(t testing.TB, cfg relay.Config, certs *testCerts) *testRelay {
	t.Helper()
	if cfg.Secrets == nil {
		cfg.Secrets = [][]byte{[]byte(testSecret)}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	r := &testRelay{t: t, cfg: cfg, certs: certs, addr: "127.0.0.1:0"}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *testRelay) start() {
	r.t.Helper()
	srv, err := relay.New(r.cfg)
	if err != nil {
		r.t.Fatalf("relay.New: %v", err)
	}
	lc := relay.ListenConfig{Addr: r.addr, PlainLoopback: r.certs == nil, Logger: r.cfg.Logger}
	if r.certs != nil {
		lc.CertFile, lc.KeyFile = r.certs.certFile, r.certs.keyFile
	}
	ln, err := relay.Listen(lc)
	if err != nil {
		r.t.Fatalf("relay.Listen(%s): %v", r.addr, err)
	}
	r.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	r.srv, r.cancel, r.done = srv, cancel, make(chan error, 1)
	go func() { r.done <- srv.Serve(ctx, ln) }()
}

// stop ends the relay and waits for it; calling it twice is fine.
func (r *testRelay) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		r.t.Errorf("relay Serve: %v", err)
	}
}

// restart stops the relay and serves a new one with the same config on
// the same address.
func (r *testRelay) restart() {
	r.t.Helper()
	r.stop()
	r.start()
}

func (r *testRelay) scheme(ws bool) string {
	switch {
	case ws && r.certs != nil:
		return "wss://"
	case ws:
		return "ws://"
	case r.certs != nil:
		return "https://"
	}
	return "http://"
}

func (r *testRelay) webhookURL() string   { return r.scheme(false) + r.addr + relay.WebhookPath }
func (r *testRelay) subscribeURL() string { return r.scheme(true) + r.addr + relay.SubscribePath }

// httpClient trusts the test CA when the relay serves TLS; it is made
// once, so that calls reuse connections.
func (r *testRelay) httpClient() *http.Client {
	if r.client == nil {
		tr := &http.Transport{Proxy: nil}
		if r.certs != nil {
			tr.TLSClientConfig = &tls.Config{RootCAs: r.certs.pool}
		}
		r.client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
		r.t.Cleanup(tr.CloseIdleConnections)
	}
	return r.client
}

// post sends a webhook call signed with secret ("" : unsigned) and
// returns the status.
func (r *testRelay) post(body []byte, secret string) int {
	r.t.Helper()
	req, err := http.NewRequest("POST", r.webhookURL(), bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set(relay.SignatureHeader, relay.Sign([]byte(secret), body))
	}
	resp, err := r.httpClient().Do(req)
	if err != nil {
		r.t.Fatalf("POST %s: %v", relay.WebhookPath, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// mustPost posts a signed call and wants 202.
func (r *testRelay) mustPost(body []byte) {
	r.t.Helper()
	if got := r.post(body, testSecret); got != http.StatusAccepted {
		r.t.Fatalf("POST webhook %s: status %d, want 202", body, got)
	}
}

// hookEvent is a webhook body for one job change.
type hookEvent struct {
	id, typ, state string
	job, folder    int64
	tenant         int64
	at             time.Time
}

func (h hookEvent) body() []byte {
	if h.tenant == 0 {
		h.tenant = 1
	}
	if h.at.IsZero() {
		h.at = time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC).Add(time.Duration(h.job) * time.Second)
	}
	job := map[string]any{"Id": h.job, "Key": fmt.Sprintf("key-%d", h.job), "State": h.state,
		"Info": "secret process detail", "OutputArguments": map[string]any{"out_Card": "4111"}}
	b, _ := json.Marshal(map[string]any{"Type": h.typ, "EventId": h.id,
		"Timestamp": h.at.Format("2006-01-02T15:04:05.0000000Z"), "TenantId": h.tenant,
		"OrganizationUnitId": h.folder, "FolderId": h.folder, "Job": job})
	return b
}

// sink collects what a Subscriber hands over.
type sink struct {
	events chan relay.JobEvent
	up     chan bool
	resync chan struct{}
}

func newSink() *sink {
	return &sink{events: make(chan relay.JobEvent, 100000), up: make(chan bool, 100),
		resync: make(chan struct{}, 100)}
}

func (s *sink) relaySink() relay.Sink {
	return relay.Sink{Event: func(e relay.JobEvent) { s.events <- e },
		Up: func(b bool) { s.up <- b }, Resync: func() { s.resync <- struct{}{} }}
}

// subscribe runs a Subscriber until the test ends.
func (r *testRelay) subscribe(t testing.TB, token string, tenant int64, folders []int64,
	s *sink) {
	t.Helper()
	cfg := relay.SubscriberConfig{URL: r.subscribeURL(), Token: token, TenantID: tenant,
		FolderIDs: folders, Sink: s.relaySink(), Logger: testLogger(t),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	if r.certs != nil {
		cfg.TLS = &tls.Config{RootCAs: r.certs.pool}
	}
	sub, err := relay.NewSubscriber(cfg)
	if err != nil {
		t.Fatalf("NewSubscriber: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sub.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// waitUp waits until the sink reports the subscription up (or down).
func (s *sink) waitUp(t testing.TB, want bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case got := <-s.up:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("subscription up=%v not reported within 20 s", want)
		}
	}
}

// next returns the next event, failing after 20 s.
func (s *sink) next(t testing.TB) relay.JobEvent {
	t.Helper()
	select {
	case e := <-s.events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatalf("no event within 20 s")
		return relay.JobEvent{}
	}
}

// none checks that no event is waiting.
func (s *sink) none(t testing.TB) {
	t.Helper()
	select {
	case e := <-s.events:
		t.Fatalf("unexpected event %+v", e)
	default:
	}
}

// waitFor polls cond until it holds, failing after 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within 20 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testCerts is a CA and a server certificate for 127.0.0.1 and localhost.
type testCerts struct {
	certFile, keyFile string
	pool              *x509.CertPool
}

func newTestCerts(t testing.TB) *testCerts {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: "relay test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &testCerts{certFile: filepath.Join(dir, "cert.pem"),
		keyFile: filepath.Join(dir, "key.pem"), pool: x509.NewCertPool()}
	writePEM(t, c.certFile, "CERTIFICATE", der)
	writePEM(t, c.keyFile, "PRIVATE KEY", kder)
	cert, _ := x509.ParseCertificate(der)
	c.pool.AddCert(cert)
	return c
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
