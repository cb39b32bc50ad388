package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

func (d *diagnosis) reachable(ctx context.Context) Check {
	base, err := d.in.Profile.BaseURL()
	if err != nil {
		return fail(err, "fix the connection's URL")
	}
	addr := hostPort(base.Host, base.Scheme)
	dial := d.in.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return fail(fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err), "")
	}
	conn.Close()
	return pass(addr + " accepts connections")
}

func hostPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if scheme == "http" {
		return net.JoinHostPort(host, "80")
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "443")
}

func (d *diagnosis) trusted(ctx context.Context) Check {
	base, _ := d.in.Profile.BaseURL()
	if base.Scheme == "http" {
		return pass("plain http to this computer (allowHttpLoopback); no TLS")
	}
	td, err := newTLSDialer(d.in.Profile, d.in.DialContext)
	if err != nil {
		return fail(err, "fix the CA bundle or the pinned fingerprint of the connection")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := td.DialTLSContext(ctx, "tcp", hostPort(base.Host, base.Scheme))
	var cert *CertError
	if errors.As(err, &cert) {
		return Check{Status: CheckFail, Detail: cert.Error(), Fix: cert.Remedy}
	}
	if err != nil {
		return fail(fmt.Errorf("TLS handshake with %s: %w", base.Host, err),
			"check that the port speaks HTTPS (not plain http)")
	}
	conn.Close()
	return pass("the certificate is trusted and valid for " + base.Hostname())
}

// client builds the Client once the secret is known.
func (d *diagnosis) newClient(secret string) error {
	c, err := New(Config{Profile: d.in.Profile, Secret: secret, Logger: d.in.Logger,
		Timeout: d.in.Timeout, DialContext: d.in.DialContext})
	d.client = c
	return err
}

func (d *diagnosis) isOrchestrator(ctx context.Context) Check {
	if err := d.newClient(""); err != nil {
		return fail(err, "")
	}
	var ctype string
	err := d.client.do(ctx, call{op: "GET /api/Status/Get", method: "GET",
		path: "/api/Status/Get", anon: true, raw: func(resp *http.Response) error {
			ctype = resp.Header.Get("Content-Type")
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			return nil
		}})
	if err == nil && strings.Contains(strings.ToLower(ctype), "html") {
		err = fmt.Errorf("%w: %s answers with a web page, not the API", ErrNotOrchestrator,
			d.client.BaseURL())
	}
	if errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("%w: %s has no Orchestrator API (%v)", ErrNotOrchestrator,
			d.client.BaseURL(), err)
	}
	if err != nil {
		return fail(err, "")
	}
	return pass(d.client.BaseURL() + " answers as an Orchestrator")
}

func (d *diagnosis) credentials(ctx context.Context) Check {
	if d.in.Secret == nil {
		return fail(errors.New("no secret source"), "store the secret with "+
			"`robotbridge connections add --replace`")
	}
	secret, err := d.in.Secret()
	if err != nil {
		return fail(err, "")
	}
	if err := d.newClient(secret); err != nil {
		return fail(err, "")
	}
	if d.in.Profile.Auth == AuthToken {
		return d.tokenAccepted(ctx)
	}
	if err := d.client.SignIn(ctx); err != nil {
		return fail(err, credentialsFix(d.in.Profile, err))
	}
	return pass(fmt.Sprintf("signed in (%s, %s)", d.in.Profile.Auth, d.in.Profile.User))
}

// tokenAccepted checks a personal access token: there is no sign-in
// call, so the first authenticated call tells.
func (d *diagnosis) tokenAccepted(ctx context.Context) Check {
	_, err := d.client.CurrentUser(ctx)
	if err != nil {
		return fail(err, credentialsFix(d.in.Profile, err))
	}
	return pass("the personal access token is accepted")
}

// credentialsFix tells what a refused sign-in means for the auth kind;
// the Orchestrator does not say which of the causes it is.
func credentialsFix(p Profile, err error) string {
	var apiErr *APIError
	isAPI := errors.As(err, &apiErr)
	switch {
	case !isAPI:
		return Remedy(err)
	case p.Auth == AuthPassword && apiErr.Code == 1000:
		return "the user name or password is wrong, the password was changed, or the " +
			"user was removed (the Orchestrator does not say which); directory (AD) and " +
			"SSO users cannot use this sign-in: use an external app or a token. Store " +
			"the new password with `robotbridge connections add " + p.Name +
			" --replace` and the connection's flags"
	case apiErr.OAuth == "invalid_client":
		return "the client id or secret is wrong, the secret was rotated, or the " +
			"external app was deleted: check it under Admin > External Applications"
	case apiErr.OAuth == "invalid_scope":
		return "the app was not granted the requested scopes: grant them to the " +
			"external app, or set the connection's scopes to the granted ones"
	case apiErr.Status == 404 || apiErr.Status == 405:
		return "the identity server is not where robotbridge looked: set the " +
			"connection's identity URL (--identity-url)"
	case p.Auth == AuthToken && apiErr.Status == 401:
		return "the token is expired or revoked, or its user was removed: create a new " +
			"personal access token and store it with `robotbridge connections add " +
			p.Name + " --replace` and the connection's flags"
	}
	return Remedy(err)
}

func (d *diagnosis) user(ctx context.Context) Check {
	u, err := d.client.CurrentUser(ctx)
	if errors.Is(err, ErrUnauthorized) {
		return fail(err, "the sign-in worked but the token is refused: the user was "+
			"removed or disabled, or lost access to the tenant; ask an Orchestrator "+
			"administrator")
	}
	if err != nil {
		return fail(err, "")
	}
	if u.App {
		return pass("an external application (no user)")
	}
	return pass(fmt.Sprintf("signed in as %s (tenant %s)", u.UserName, u.TenancyName))
}

func (d *diagnosis) listFolders(ctx context.Context) Check {
	var page odataList[Folder]
	err := d.client.do(ctx, call{op: "list folders", method: "GET", path: "/odata/Folders",
		query: query{}.add("$top", "1").add("$select", "Id"), out: &page})
	if errors.Is(err, ErrForbidden) {
		return fail(err, "grant the Units.View or SubFolders.View permission (for an "+
			"external app or a token: the OR.Folders.Read scope); folders assigned to "+
			"the user still work")
	}
	if err != nil {
		return fail(err, "")
	}
	return pass("folders can be listed")
}
