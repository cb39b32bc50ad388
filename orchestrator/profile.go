package orchestrator

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// AuthKind says how a connection signs in.
type AuthKind string

const (
	// AuthPassword is the on-premises account call (tenant, user,
	// password) at /api/Account/Authenticate.
	AuthPassword AuthKind = "password"
	// AuthClientCredentials is OAuth2 client credentials of an external
	// application (client id and secret) at the identity server.
	AuthClientCredentials AuthKind = "client-credentials"
	// AuthToken is a personal access token sent as a bearer token.
	AuthToken AuthKind = "token"
)

// SecretKind names the secret an auth kind needs.
func (k AuthKind) SecretKind() SecretKind {
	switch k {
	case AuthPassword:
		return SecretPassword
	case AuthClientCredentials:
		return SecretClientSecret
	default:
		return SecretToken
	}
}

// DefaultScopes are requested with client credentials when a profile
// names none: read folders, releases and jobs, start and stop jobs.
const DefaultScopes = "OR.Folders.Read OR.Execution.Read OR.Jobs OR.Users.Read"

// Profile is one Orchestrator connection as stored in connections.json.
// It never holds a secret: those live in the OS keyring under the
// profile's name.
type Profile struct {
	// Name identifies the profile and its keyring entries.
	Name string `json:"name"`
	// URL is the Orchestrator as the user pasted it; see BaseURL.
	URL string `json:"url"`
	// Tenant is the tenancy name for password sign-in ("" : the site's
	// only tenant).
	Tenant string `json:"tenant,omitempty"`
	// Auth is how the connection signs in.
	Auth AuthKind `json:"auth"`
	// User is the user name (password) or the client id
	// (client-credentials); unused with a token.
	User string `json:"user,omitempty"`
	// Folder is the default folder path, e.g. "Finance/Invoices EU".
	Folder string `json:"folder,omitempty"`
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string `json:"caFile,omitempty"`
	// PinnedSHA256 trusts exactly one certificate, by the SHA-256 of its
	// DER bytes (hex, colons allowed), in addition to the normal checks.
	PinnedSHA256 string `json:"pinnedSha256,omitempty"`
	// IdentityURL overrides the identity server root ("" : derived from
	// URL, see IdentityBase).
	IdentityURL string `json:"identityUrl,omitempty"`
	// Scopes are the OAuth scopes to request ("" : DefaultScopes).
	Scopes string `json:"scopes,omitempty"`
	// AllowHTTPLoopback permits plain http:// to a loopback address, for
	// development servers on this computer. Never for other hosts.
	AllowHTTPLoopback bool `json:"allowHttpLoopback,omitempty"`
	// RelayURL is a webhook relay's subscriber endpoint
	// (wss://HOST/v1/subscribe): the engine subscribes there for pushed
	// job states, with the token kept in the keyring (SecretRelayToken).
	RelayURL string `json:"relayUrl,omitempty"`
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks the profile and names the bad field and the fix.
func (p Profile) Validate() error {
	if !profileName.MatchString(p.Name) {
		return fmt.Errorf("connection name %q: use 1-64 letters, digits, '.', '_' "+
			"or '-', starting with a letter or digit", p.Name)
	}
	if _, err := p.BaseURL(); err != nil {
		return err
	}
	switch p.Auth {
	case AuthPassword, AuthClientCredentials:
		if strings.TrimSpace(p.User) == "" {
			return fmt.Errorf("connection %s: auth %s needs a user (user name or "+
				"client id)", p.Name, p.Auth)
		}
	case AuthToken:
	default:
		return fmt.Errorf("connection %s: auth %q is unknown; use password, "+
			"client-credentials or token", p.Name, p.Auth)
	}
	if p.PinnedSHA256 != "" {
		if _, err := ParseFingerprint(p.PinnedSHA256); err != nil {
			return fmt.Errorf("connection %s: %w", p.Name, err)
		}
	}
	if p.IdentityURL != "" {
		if _, err := p.checkURL(p.IdentityURL, "identity URL"); err != nil {
			return err
		}
	}
	return p.checkRelayURL()
}

// BaseURL is the Orchestrator API root: the pasted URL without a
// trailing slash or a trailing /odata... or /swagger... part, and with
// /orchestrator_ added to an Automation Cloud organization/tenant URL.
func (p Profile) BaseURL() (*url.URL, error) {
	u, err := p.checkURL(p.URL, "URL")
	if err != nil {
		return nil, err
	}
	path := cutAPISuffix(strings.TrimRight(u.Path, "/"))
	if isCloudHost(u.Hostname()) && path != "" &&
		!strings.HasSuffix(strings.ToLower(path), "/orchestrator_") {
		path += "/orchestrator_"
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = path, "", "", ""
	return u, nil
}

// IdentityBase is the identity server root: the profile's IdentityURL,
// else host/identity_ for Automation Cloud and Suite (a base path ending
// in /orchestrator_), else base/identity for a standalone Orchestrator.
func (p Profile) IdentityBase() (*url.URL, error) {
	if p.IdentityURL != "" {
		u, err := p.checkURL(p.IdentityURL, "identity URL")
		if err != nil {
			return nil, err
		}
		u.Path = strings.TrimRight(u.Path, "/")
		return u, nil
	}
	base, err := p.BaseURL()
	if err != nil {
		return nil, err
	}
	id := *base
	if strings.HasSuffix(strings.ToLower(base.Path), "/orchestrator_") {
		id.Path = "/identity_"
	} else {
		id.Path = base.Path + "/identity"
	}
	return &id, nil
}

// cutAPISuffix drops a pasted /odata..., /swagger... or /api... tail.
func cutAPISuffix(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch strings.ToLower(s) {
		case "odata", "swagger", "api":
			return strings.Join(segs[:i], "/")
		}
	}
	return path
}

func isCloudHost(host string) bool {
	host = strings.ToLower(host)
	return host == "uipath.com" || strings.HasSuffix(host, ".uipath.com")
}

// ErrPlainHTTP means a connection URL uses http:// where only https:// is
// allowed.
var ErrPlainHTTP = errors.New("plain http is refused")

func (p Profile) checkURL(raw, what string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("connection %s: %s %q is not a URL; use "+
			"https://host[:port][/path]", p.Name, what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("connection %s: %s must not hold a user or password; "+
			"secrets go to the OS keyring", p.Name, what)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !p.AllowHTTPLoopback || !IsLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("connection %s: %s %s: %w: use https://; plain "+
				"http is only allowed to this computer (127.0.0.1, ::1, localhost) "+
				"with allowHttpLoopback", p.Name, what, redactURL(u), ErrPlainHTTP)
		}
	default:
		return nil, fmt.Errorf("connection %s: %s %q: scheme %q is not supported; "+
			"use https://", p.Name, what, raw, u.Scheme)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

// IsLoopbackHost reports whether host is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL is a URL fit for messages and logs: no query, no fragment.
func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

// ParseFingerprint accepts a SHA-256 fingerprint as 64 hex digits, with
// or without colons or spaces, and returns the 32 bytes.
func ParseFingerprint(s string) ([]byte, error) {
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("pinned fingerprint %q is not a SHA-256 fingerprint "+
			"(64 hex digits, colons allowed)", s)
	}
	return b, nil
}

// FormatFingerprint writes a SHA-256 as upper-case hex pairs with colons.
func FormatFingerprint(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
