package consent

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"
)

// sitesVersion is the schema version of sites.json.
const sitesVersion = 1

// maxTokensPerSite bounds how many tokens one site keeps (one per browser
// profile that went through consent); the oldest goes first.
const maxTokensPerSite = 20

// Site is an origin the user approved. Only token hashes are kept: the
// tokens themselves live in the browser's storage.
type Site struct {
	Origin      string    `json:"origin"`
	ApprovedAt  time.Time `json:"approvedAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	TokenHashes []string  `json:"tokenHashes"`
}

type sitesFile struct {
	Version int    `json:"version"`
	Sites   []Site `json:"sites"`
}

// WriteFunc writes a file atomically (config.WriteFileAtomic); tests pass
// a failing one.
type WriteFunc func(path string, data []byte) error

// store holds the approved sites and mirrors them to sites.json. It is
// not safe for concurrent use; Gate serialises access.
type store struct {
	path  string
	write WriteFunc
	sites map[string]*Site // by origin
}

func loadStore(path string, write WriteFunc) (*store, error) {
	s := &store{path: path, write: write, sites: map[string]*Site{}}
	if path == "" {
		return s, nil // in memory only (tests, or no config dir)
	}

	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consent: read %s: %w", path, err)
	}
	var f sitesFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("consent: %s is not valid (%v); fix or remove it "+
			"(every site will then ask for consent again)", path, err)
	}
	if f.Version > sitesVersion {
		return nil, fmt.Errorf("consent: %s has version %d, newer than this robotbridge "+
			"understands (%d); upgrade robotbridge", path, f.Version, sitesVersion)
	}
	for i := range f.Sites {
		site := f.Sites[i]
		s.sites[site.Origin] = &site
	}
	return s, nil
}

// save writes every site; the in-memory state changes only when the
// write succeeded, so memory and disk never disagree.
func (s *store) save(sites map[string]*Site) error {
	if s.path == "" {
		s.sites = sites
		return nil
	}
	f := sitesFile{Version: sitesVersion, Sites: []Site{}}
	for _, site := range sites {
		f.Sites = append(f.Sites, *site)
	}
	sort.Slice(f.Sites, func(i, j int) bool { return f.Sites[i].Origin < f.Sites[j].Origin })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := s.write(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("could not store the approval in %s: %w", s.path, err)
	}
	s.sites = sites
	return nil
}

// withSite returns a copy of the sites with one changed or added.
func (s *store) withSite(site Site) map[string]*Site {
	next := make(map[string]*Site, len(s.sites)+1)
	for o, v := range s.sites {
		next[o] = v
	}
	next[site.Origin] = &site
	return next
}

func (s *store) without(origin string) map[string]*Site {
	next := make(map[string]*Site, len(s.sites))
	for o, v := range s.sites {
		if o != origin {
			next[o] = v
		}
	}
	return next
}

// approve records a new token for the origin, valid until expires.
func (s *store) approve(origin, token string, now, expires time.Time) error {
	site := Site{Origin: origin, ApprovedAt: now, ExpiresAt: expires}
	if old, ok := s.sites[origin]; ok && now.Before(old.ExpiresAt) {
		site.TokenHashes = append(site.TokenHashes, old.TokenHashes...)
	}
	site.TokenHashes = append(site.TokenHashes, hashToken(token))
	if n := len(site.TokenHashes); n > maxTokensPerSite {
		site.TokenHashes = site.TokenHashes[n-maxTokensPerSite:]
	}
	return s.save(s.withSite(site))
}

// originOfToken finds the live site a token was issued to.
func (s *store) originOfToken(token string, now time.Time) (string, bool) {
	h := hashToken(token)
	for _, site := range s.sites {
		if now.After(site.ExpiresAt) {
			continue
		}
		for _, th := range site.TokenHashes {
			if th == h {
				return site.Origin, true
			}
		}
	}
	return "", false
}

func (s *store) live(origin string, now time.Time) bool {
	site, ok := s.sites[origin]
	return ok && now.Before(site.ExpiresAt)
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
