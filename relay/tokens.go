package relay

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Token is one subscriber the relay accepts. The relay keeps only the
// SHA-256 of the token, as the tokens file does.
type Token struct {
	// Name identifies the subscriber (one engine) in logs and buffers.
	Name string
	// Hash is the SHA-256 of the token.
	Hash [sha256.Size]byte
	// Tenants limits what it may subscribe to (nil: every tenant).
	Tenants []int64
}

// String keeps the hash out of logs; the name is enough.
func (t Token) String() string { return "token " + t.Name }

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// NewToken makes a random subscriber token and its tokens-file line.
func NewToken(name string) (token, line string, err error) {
	if !tokenName.MatchString(name) {
		return "", "", fmt.Errorf("subscriber name %q: use 1-64 letters, digits, '.', "+
			"'_' or '-'", name)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	token = "rbr_" + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(token))
	return token, name + " sha256:" + hex.EncodeToString(sum[:]), nil
}

// ParseTokens reads a tokens file: one subscriber per line,
//
//	NAME sha256:HEX [tenant=ID ...]
//
// with the SHA-256 of the subscriber's token (NewToken prints such a
// line). Blank lines and lines starting with # are skipped.
func ParseTokens(r io.Reader) ([]Token, error) {
	var out []Token
	names := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := parseTokenLine(line)
		if err != nil {
			return nil, fmt.Errorf("tokens file line %d: %w", n, err)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("tokens file line %d: the name %s is used twice", n, t.Name)
		}
		names[t.Name] = true
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	return out, nil
}

func parseTokenLine(line string) (Token, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return Token{}, fmt.Errorf("want NAME sha256:HEX [tenant=ID ...]")
	}
	t := Token{Name: f[0]}
	if !tokenName.MatchString(t.Name) {
		return Token{}, fmt.Errorf("name %q: use 1-64 letters, digits, '.', '_' or '-'", t.Name)
	}
	sum, err := hex.DecodeString(strings.TrimPrefix(f[1], "sha256:"))
	if !strings.HasPrefix(f[1], "sha256:") || err != nil || len(sum) != sha256.Size {
		return Token{}, fmt.Errorf("%s: the second field must be sha256: and 64 hex "+
			"digits (the token itself never goes into this file; `robotbridge relay "+
			"token NAME` prints the line)", t.Name)
	}
	copy(t.Hash[:], sum)
	for _, opt := range f[2:] {
		v, ok := strings.CutPrefix(opt, "tenant=")
		id, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || id <= 0 {
			return Token{}, fmt.Errorf("%s: %q: only tenant=ID (a number) may follow "+
				"the hash", t.Name, opt)
		}
		t.Tenants = append(t.Tenants, id)
	}
	return t, nil
}

// lookup finds the token's subscriber. Every entry is compared in
// constant time, so the time taken tells nothing about near misses.
func lookup(tokens []Token, token string) (Token, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range tokens {
		if subtle.ConstantTimeCompare(sum[:], tokens[i].Hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 || token == "" {
		return Token{}, false
	}
	return tokens[found], true
}

// mayTenant reports whether the token may see a tenant's events.
func (t Token) mayTenant(id int64) bool {
	if len(t.Tenants) == 0 {
		return true
	}
	for _, x := range t.Tenants {
		if x == id {
			return true
		}
	}
	return false
}
