package orchestrator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// ErrUntrustedCert marks a TLS certificate the client does not trust.
var ErrUntrustedCert = errors.New("TLS certificate not trusted")

// CertError describes a certificate the client refused, with what a
// person needs to decide: the host, the certificate's subject, issuer and
// SHA-256 fingerprint, the reason and the remedy.
type CertError struct {
	Host        string
	Subject     string
	Issuer      string
	Fingerprint string // SHA-256 of the DER bytes, hex pairs with colons
	Reason      string
	Remedy      string
	Err         error
}

func (e *CertError) Error() string {
	return fmt.Sprintf("TLS: the certificate of %s is not trusted: %s\n"+
		"  subject: %s\n  issuer: %s\n  SHA-256 fingerprint: %s\n  remedy: %s",
		e.Host, e.Reason, e.Subject, e.Issuer, e.Fingerprint, e.Remedy)
}

func (e *CertError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUntrustedCert) true.
func (e *CertError) Is(target error) bool { return target == ErrUntrustedCert }

// tlsDialer dials TLS with the profile's trust: the system roots plus the
// optional CA bundle, with host name checks, never skipping verification.
// A pinned fingerprint adds trust in exactly that one certificate: when
// the normal check fails and the server's certificate has the pinned
// fingerprint, the handshake is repeated with that certificate as the only
// extra root, so its host name and validity dates are still verified.
type tlsDialer struct {
	roots *x509.CertPool
	pin   []byte
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
}

func newTLSDialer(p Profile, dial func(ctx context.Context, network, addr string) (net.Conn,
	error)) (*tlsDialer, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("connection %s: CA bundle: %w; fix the path or remove "+
				"the CA file from the connection", p.Name, err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("connection %s: CA bundle %s holds no PEM certificate; "+
				"export the CA certificate in PEM (Base-64) form", p.Name, p.CAFile)
		}
	}
	d := &tlsDialer{roots: roots, dial: dial}
	if p.PinnedSHA256 != "" {
		if d.pin, err = ParseFingerprint(p.PinnedSHA256); err != nil {
			return nil, err
		}
	}
	if d.dial == nil {
		nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		d.dial = nd.DialContext
	}
	return d, nil
}

// DialTLSContext is an http.Transport.DialTLSContext.
func (d *tlsDialer) DialTLSContext(ctx context.Context, network, addr string) (net.Conn,
	error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	conn, err := d.handshake(ctx, network, addr, d.config(host, d.roots))
	if err == nil {
		return conn, nil
	}
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) || len(verr.UnverifiedCertificates) == 0 {
		return nil, err
	}
	leaf := verr.UnverifiedCertificates[0]
	if d.pinned(leaf) && isUnknownAuthority(verr.Err) {
		pool := x509.NewCertPool()
		pool.AddCert(leaf)
		cfg := d.config(host, pool)
		cfg.VerifyConnection = d.requirePin
		conn, err = d.handshake(ctx, network, addr, cfg)
		if err == nil {
			return conn, nil
		}
		if !errors.As(err, &verr) || len(verr.UnverifiedCertificates) == 0 {
			return nil, err
		}
		leaf = verr.UnverifiedCertificates[0]
	}
	return nil, d.describe(host, leaf, verr.Err)
}

func (d *tlsDialer) config(host string, roots *x509.CertPool) *tls.Config {
	return &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}}
}

func (d *tlsDialer) handshake(ctx context.Context, network, addr string,
	cfg *tls.Config) (net.Conn, error) {
	raw, err := d.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

func (d *tlsDialer) pinned(cert *x509.Certificate) bool {
	if d.pin == nil {
		return false
	}
	sum := sha256.Sum256(cert.Raw)
	return bytes.Equal(sum[:], d.pin)
}

// requirePin guards the second handshake: the server must present the
// very certificate that was pinned.
func (d *tlsDialer) requirePin(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 || !d.pinned(cs.PeerCertificates[0]) {
		return errors.New("the server changed its certificate during the connection")
	}
	return nil
}

func isUnknownAuthority(err error) bool {
	var ua x509.UnknownAuthorityError
	return errors.As(err, &ua)
}

func (d *tlsDialer) describe(host string, leaf *x509.Certificate, cause error) error {
	sum := sha256.Sum256(leaf.Raw)
	e := &CertError{Host: host, Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
		Fingerprint: FormatFingerprint(sum[:]), Err: cause}
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(cause, &hostErr):
		e.Reason = fmt.Sprintf("it is not valid for the host name %s (it names %s)", host,
			certNames(leaf))
		e.Remedy = "use the host name the certificate was issued for in the connection " +
			"URL, or have the server's administrator issue a certificate for " + host
	case errors.As(cause, &invalid) && invalid.Reason == x509.Expired:
		e.Reason = fmt.Sprintf("it is expired or not yet valid (valid %s to %s)",
			leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
		e.Remedy = "have the server's administrator renew the certificate, and check " +
			"this computer's clock"
	default:
		e.Reason = "it is signed by an unknown authority (self-signed or a private CA)"
		if d.pin != nil {
			e.Reason += ", and its fingerprint is not the pinned one (the certificate changed?)"
		}
		e.Remedy = "add the issuing CA to this computer's trust store, or point the " +
			"connection at a CA bundle file (--ca-file), or, after checking the " +
			"fingerprint with the server's administrator, pin it (--pin-sha256 " +
			e.Fingerprint + ")"
	}
	return e
}

func certNames(c *x509.Certificate) string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name"
	}
	return strings.Join(names, ", ")
}
