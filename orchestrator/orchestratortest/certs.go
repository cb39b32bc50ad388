package orchestratortest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// CertKind chooses the server certificate.
type CertKind int

const (
	// CertTrusted is signed by the server's test CA (see CAPEM) and valid
	// for localhost, 127.0.0.1, ::1 and orch.example.test.
	CertTrusted CertKind = iota
	// CertSelfSigned is its own issuer, for the same names.
	CertSelfSigned
	// CertWrongHost is signed by the test CA but only valid for
	// other.example.test.
	CertWrongHost
	// CertExpired is signed by the test CA and expired yesterday.
	CertExpired
)

// serverNames are the names a normal certificate covers.
var serverNames = []string{"localhost", "orch.example.test"}
var serverIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA() (*testCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{CommonName: "robotbridge test CA",
			Organization: []string{"robotbridge tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testCA{cert: cert, key: key,
		pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// leaf makes a server certificate of the kind asked for.
func (ca *testCA) leaf(kind CertKind) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{CommonName: "orch.example.test",
			Organization: []string{"fake Orchestrator"}},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(24 * time.Hour),
		DNSNames:    serverNames,
		IPAddresses: serverIPs,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := ca.cert, ca.key
	switch kind {
	case CertSelfSigned:
		parent, signer = tmpl, key
	case CertWrongHost:
		tmpl.Subject.CommonName = "other.example.test"
		tmpl.DNSNames, tmpl.IPAddresses = []string{"other.example.test"}, nil
	case CertExpired:
		tmpl.NotBefore = time.Now().Add(-72 * time.Hour)
		tmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// fingerprint is the SHA-256 of a certificate's DER bytes.
func fingerprint(c tls.Certificate) [32]byte { return sha256.Sum256(c.Certificate[0]) }
