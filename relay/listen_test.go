package relay

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A renewed certificate is served without a restart.
func TestCertSource_ReloadsRenewal(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writePair(t, cert, key, "first")
	cs, err := newCertSource(cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	writePair(t, cert, key, "renewed")
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(cert, later, later) // a renewal changes the modification time
	cs.mu.Lock()
	cs.checked = time.Time{} // as if certRecheck had passed
	cs.mu.Unlock()
	got, _ := cs.get(nil)
	if cn := got.Leaf.Subject.CommonName; cn != "renewed" {
		t.Errorf("certificate after the renewal: %q, want %q", cn, "renewed")
	}
}

func TestListen_PlainOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{":8080", "0.0.0.0:8080", "192.0.2.1:8080", "[::]:8080"} {
		_, err := Listen(ListenConfig{Addr: addr, PlainLoopback: true})
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Listen(%s, plain) = %v, want a loopback refusal", addr, err)
		}
	}
	if _, err := Listen(ListenConfig{Addr: "127.0.0.1:0"}); err == nil ||
		!strings.Contains(err.Error(), "--cert") {
		t.Errorf("Listen without certificate = %v, want it to ask for --cert", err)
	}
}

func writePair(t *testing.T, certFile, keyFile, cn string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		0o600)
}
