package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenSource gives the bearer token of a connection.
type tokenSource interface {
	// token returns a token valid for at least refreshEarly, signing in
	// when needed.
	token(ctx context.Context) (string, error)
	// invalidate forgets tok after the server refused it.
	invalidate(tok string)
	// renewable reports whether signing in again can give a new token.
	renewable() bool
	// scopes are the OAuth scopes granted with the token ("" : unknown).
	scopes() string
}

// refreshEarly is how long before its expiry a token is replaced.
const refreshEarly = 60 * time.Second

// passwordTokenTTL is the lifetime assumed for an account sign-in token:
// the answer carries none; the default server setting is 30 minutes.
const passwordTokenTTL = 30 * time.Minute

func newTokenSource(c *Client, secret string) tokenSource {
	switch c.profile.Auth {
	case AuthPassword:
		return &cachedToken{now: c.now, fetch: func(ctx context.Context) (grant, error) {
			return c.signInPassword(ctx, secret)
		}}
	case AuthClientCredentials:
		return &cachedToken{now: c.now, fetch: func(ctx context.Context) (grant, error) {
			return c.signInClient(ctx, secret)
		}}
	default:
		return staticToken(secret)
	}
}

// grant is a token with its lifetime and scopes.
type grant struct {
	token  string
	ttl    time.Duration
	scopes string
}

// cachedToken holds one token and signs in again shortly before it
// expires. The mutex is held while signing in, so concurrent callers wait
// for one sign-in instead of starting their own.
type cachedToken struct {
	now   func() time.Time
	fetch func(context.Context) (grant, error)

	mu  sync.Mutex // guards the fields below
	cur grant
	exp time.Time
}

func (t *cachedToken) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur.token != "" && t.now().Before(t.exp.Add(-refreshEarly)) {
		return t.cur.token, nil
	}
	g, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	t.cur, t.exp = g, t.now().Add(g.ttl)
	return g.token, nil
}

func (t *cachedToken) invalidate(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur.token == tok {
		t.cur = grant{}
	}
}

func (t *cachedToken) renewable() bool { return true }

func (t *cachedToken) scopes() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur.scopes
}

// staticToken is a personal access token: nothing to renew.
type staticToken string

func (s staticToken) token(context.Context) (string, error) {
	if s == "" {
		return "", errors.New("the connection has no token; store one with " +
			"`robotbridge connections add --replace`")
	}
	return string(s), nil
}
func (staticToken) invalidate(string) {}
func (staticToken) renewable() bool   { return false }
func (staticToken) scopes() string    { return "" }

type authenticateRequest struct {
	TenancyName            string `json:"tenancyName,omitempty"`
	UsernameOrEmailAddress string `json:"usernameOrEmailAddress"`
	Password               string `json:"password"`
}

type authenticateAnswer struct {
	Result  string `json:"result"`
	Success bool   `json:"success"`
}

// signInPassword is the on-premises account call (spec §3.1).
func (c *Client) signInPassword(ctx context.Context, password string) (grant, error) {
	var ans authenticateAnswer
	err := c.send(ctx, call{op: joinOp("sign in as", c.profile.User), method: "POST",
		path: "/api/Account/Authenticate", out: &ans,
		body: authenticateRequest{c.profile.Tenant, c.profile.User, password}}, "")
	if err != nil {
		return grant{}, err
	}
	if ans.Result == "" {
		return grant{}, fmt.Errorf("sign in as %s: %w: no token in the answer",
			c.profile.User, ErrMalformed)
	}
	return grant{token: ans.Result, ttl: passwordTokenTTL}, nil
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
}

// signInClient is OAuth2 client credentials (spec §3.2).
func (c *Client) signInClient(ctx context.Context, secret string) (grant, error) {
	scopes := c.profile.Scopes
	if strings.TrimSpace(scopes) == "" {
		scopes = DefaultScopes
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.profile.User},
		"client_secret": {secret}, "scope": {scopes}}
	var ans tokenAnswer
	err := c.send(ctx, call{op: joinOp("get a token for client", c.profile.User),
		method: "POST", abs: c.identity.String() + "/connect/token", form: form,
		out: &ans}, "")
	if err != nil {
		return grant{}, err
	}
	if ans.AccessToken == "" {
		return grant{}, fmt.Errorf("get a token for client %s: %w: no access_token",
			c.profile.User, ErrMalformed)
	}
	ttl := time.Duration(ans.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour
	}
	return grant{token: ans.AccessToken, ttl: ttl, scopes: ans.Scope}, nil
}

// SignIn gets a token now (or checks the personal access token is set),
// so that a credential problem shows before any other call.
func (c *Client) SignIn(ctx context.Context) error {
	_, err := c.auth.token(ctx)
	return err
}

// GrantedScopes are the OAuth scopes of the current token ("" when the
// auth kind has none or no token was obtained yet).
func (c *Client) GrantedScopes() string { return c.auth.scopes() }
