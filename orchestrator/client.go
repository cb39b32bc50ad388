package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config builds a Client.
type Config struct {
	// Profile is the connection; it must be valid.
	Profile Profile
	// Secret is the password, client secret or token the profile's auth
	// kind needs (see Store.Secret). It is kept in memory only.
	Secret string
	// Logger receives debug lines per request (method, path, status,
	// duration; never a query, header or body). Nil: slog.Default().
	Logger *slog.Logger
	// Timeout bounds one HTTP request (0: 30 s).
	Timeout time.Duration
	// Now is the clock for token expiry (nil: time.Now).
	Now func() time.Time
	// DialContext opens TCP connections (nil: a net.Dialer). Tests use it
	// to reach a fake server under another host name; it is not a way to
	// change certificate checks.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client calls one Orchestrator as one identity. It is safe for
// concurrent use.
type Client struct {
	profile  Profile
	base     *url.URL
	identity *url.URL
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	auth     tokenSource
}

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxBody caps what the client reads from one JSON answer.
const maxBody = 32 << 20

// New checks the profile, builds the HTTPS client and the token source.
// It makes no request.
func New(cfg Config) (*Client, error) {
	p := cfg.Profile
	if err := p.Validate(); err != nil {
		return nil, err
	}
	base, _ := p.BaseURL()
	identity, err := p.IdentityBase()
	if err != nil {
		return nil, err
	}
	c := &Client{profile: p, base: base, identity: identity, log: cfg.Logger, now: cfg.Now}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.http, err = newHTTPClient(p, cfg); err != nil {
		return nil, err
	}
	c.auth = newTokenSource(c, cfg.Secret)
	return c, nil
}

func newHTTPClient(p Profile, cfg Config) (*http.Client, error) {
	dialer, err := newTLSDialer(p, cfg.DialContext)
	if err != nil {
		return nil, err
	}
	// TODO: no HTTP proxy support yet. Go's transport does the TLS of a
	// proxied connection itself, which would bypass the CA bundle and the
	// pin; until the dialer tunnels through CONNECT, connections go direct.
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.dial,
		DialTLSContext:      dialer.DialTLSContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if _, err := p.checkURL(req.URL.String(), "redirect"); err != nil {
				return err
			}
			return nil
		}}, nil
}

// Profile is the client's connection profile.
func (c *Client) Profile() Profile { return c.profile }

// BaseURL is the Orchestrator API root the client calls.
func (c *Client) BaseURL() string { return c.base.String() }

// call is one API request.
type call struct {
	op     string // for errors: "list folders"
	method string
	path   string     // below the base URL, e.g. "/odata/Folders"
	abs    string     // an absolute URL instead of base + path (identity)
	form   url.Values // form-encoded body, instead of a JSON one
	query  query
	folder *FolderScope
	body   any                        // JSON-encoded when not nil
	out    any                        // JSON-decoded when not nil
	raw    func(*http.Response) error // reads a non-JSON success answer
	anon   bool                       // no Authorization header
}

// do sends the call with a token; on 401 it gets a fresh token and sends
// it once more, never more.
func (c *Client) do(ctx context.Context, cl call) error {
	if cl.anon {
		return c.send(ctx, cl, "")
	}
	tok, err := c.auth.token(ctx)
	if err != nil {
		return err
	}
	err = c.send(ctx, cl, tok)
	if !errors.Is(err, ErrUnauthorized) || !c.auth.renewable() {
		return err
	}
	c.auth.invalidate(tok)
	c.log.Debug("orchestrator: token refused, signing in again",
		"connection", c.profile.Name, "op", cl.op)
	if tok, err = c.auth.token(ctx); err != nil {
		return err
	}
	return c.send(ctx, cl, tok)
}

func (c *Client) send(ctx context.Context, cl call, tok string) error {
	req, err := c.newRequest(ctx, cl, tok)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(cl.op, err)
	}
	defer resp.Body.Close()
	c.log.Debug("orchestrator: request", "connection", c.profile.Name, "method", cl.method,
		"path", cl.path, "status", resp.StatusCode, "duration", time.Since(start))
	return c.readAnswer(cl, resp)
}

func (c *Client) newRequest(ctx context.Context, cl call, tok string) (*http.Request, error) {
	body, ctype, err := cl.encodeBody()
	if err != nil {
		return nil, err
	}
	u := c.base.String() + cl.path
	if cl.abs != "" {
		u = cl.abs
	}
	if q := cl.query.encode(); q != "" {
		u += "?" + q
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.op, err)
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if c.profile.Tenant != "" && isASCII(c.profile.Tenant) {
		req.Header.Set("X-UIPATH-TenantName", c.profile.Tenant)
	}
	if cl.folder != nil {
		cl.folder.setHeaders(req.Header)
	}
	return req, nil
}

func (cl call) encodeBody() (io.Reader, string, error) {
	switch {
	case cl.form != nil:
		return strings.NewReader(cl.form.Encode()), "application/x-www-form-urlencoded", nil
	case cl.body != nil:
		data, err := json.Marshal(cl.body)
		if err != nil {
			return nil, "", fmt.Errorf("%s: encode request: %w", cl.op, err)
		}
		return bytes.NewReader(data), "application/json", nil
	}
	return nil, "", nil
}

func (c *Client) readAnswer(cl call, resp *http.Response) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return newAPIError(cl.op, resp, data)
	}
	if cl.raw != nil {
		return cl.raw(resp)
	}
	if cl.out == nil {
		return nil
	}
	if resp.StatusCode == http.StatusNoContent {
		return errNoContent
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return fmt.Errorf("%s: %w: the server at %s answered with %s instead of JSON",
			cl.op, ErrNotOrchestrator, c.base.Redacted(), contentType(resp))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.transportError(cl.op, err)
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return fmt.Errorf("%s: %w: %v", cl.op, ErrMalformed, err)
	}
	return nil
}

// errNoContent is a 204 where an entity was expected.
var errNoContent = errors.New("no content")

// ErrTimeout and ErrUnreachable classify transport failures.
var (
	ErrTimeout     = errors.New("no answer in time")
	ErrUnreachable = errors.New("server not reachable")
)

// transportError names the failure of a request that got no answer.
func (c *Client) transportError(op string, err error) error {
	var cert *CertError
	if errors.As(err, &cert) {
		return fmt.Errorf("%s: %w", op, cert)
	}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return fmt.Errorf("%s: %w from %s: %v", op, ErrTimeout, c.base.Host, err)
	}
	if errors.Is(err, ErrPlainHTTP) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return fmt.Errorf("%s: %w: %s: %v", op, ErrUnreachable, c.base.Host, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

// joinOp builds an operation name with its subject, e.g.
// `list releases in folder "Finance/AP"`.
func joinOp(parts ...string) string { return strings.Join(parts, " ") }
