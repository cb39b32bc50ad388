package relay

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// ListenConfig says where and how the relay listens.
type ListenConfig struct {
	// Addr is host:port, e.g. ":8443" or "127.0.0.1:8080".
	Addr string
	// CertFile and KeyFile are the PEM certificate (chain) and key. They
	// are read again when they change on disk (a renewal), checked at most
	// every certRecheck.
	CertFile, KeyFile string
	// PlainLoopback serves plain HTTP instead, for development or behind
	// a reverse proxy on the same machine; Addr must then be a loopback
	// address.
	PlainLoopback bool
	// Logger receives certificate reload warnings (nil: slog.Default()).
	Logger *slog.Logger
}

// Listen opens the relay's listener: TLS, or plain HTTP on loopback.
func Listen(lc ListenConfig) (net.Listener, error) {
	if lc.PlainLoopback {
		if lc.CertFile != "" || lc.KeyFile != "" {
			return nil, fmt.Errorf("relay: plain HTTP was asked for together with a " +
				"certificate; choose one")
		}
		if !isLoopbackAddr(lc.Addr) {
			return nil, fmt.Errorf("relay: plain HTTP only on a loopback address such as "+
				"127.0.0.1:8080, not %q: webhook calls and tokens must not cross a "+
				"network unencrypted", lc.Addr)
		}
		return listen(lc.Addr)
	}
	if lc.CertFile == "" || lc.KeyFile == "" {
		return nil, fmt.Errorf("relay: give --cert and --key (PEM files), or serve plain " +
			"HTTP on loopback behind a TLS reverse proxy (see docs/relay.md)")
	}
	certs, err := newCertSource(lc.CertFile, lc.KeyFile, lc.Logger)
	if err != nil {
		return nil, err
	}
	ln, err := listen(lc.Addr)
	if err != nil {
		return nil, err
	}
	return tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}, GetCertificate: certs.get}), nil
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay: listen on %s: %w", addr, err)
	}
	return ln, nil
}

func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// certRecheck is how often the certificate files are checked for change.
const certRecheck = 30 * time.Second

// certSource serves the certificate and reloads it when its files change.
type certSource struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex // guards the fields below
	cert    *tls.Certificate
	stamp   string // modification times of both files
	checked time.Time
}

func newCertSource(certFile, keyFile string, log *slog.Logger) (*certSource, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &certSource{certFile: certFile, keyFile: keyFile, log: log}
	stamp, err := c.modStamp()
	if err != nil {
		return nil, err
	}
	if err := c.load(stamp); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) > certRecheck {
		c.checked = time.Now()
		if stamp, err := c.modStamp(); err == nil && stamp != c.stamp {
			if err := c.load(stamp); err != nil {
				c.log.Warn("relay: the changed certificate could not be loaded; "+
					"serving the previous one", "error", err)
			}
		}
	}
	return c.cert, nil
}

// load reads the pair; with c.mu held (or before c is shared).
func (c *certSource) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("relay: certificate %s with key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.stamp, c.checked = &cert, stamp, time.Now()
	return nil
}

func (c *certSource) modStamp() (string, error) {
	var stamp string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("relay: certificate file: %w", err)
		}
		stamp += fi.ModTime().String() + ";"
	}
	return stamp, nil
}
