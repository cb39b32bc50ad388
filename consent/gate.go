package consent

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Verdict is what the bridge does with a request.
type Verdict int

const (
	// Allow serves the request.
	Allow Verdict = iota
	// NeedConsent answers 401, which makes the RobotJS SDK start (or keep
	// polling) a consent round.
	NeedConsent
	// Refuse answers 403: refused origins, rejected consent.
	Refuse
	// TooMany answers 429: too many consent requests are waiting.
	TooMany
	// Broken answers 500: the approval could not be stored. The SDK keeps
	// polling, so the user can fix the cause and approve again.
	Broken
)

// Request is what the gate needs to know about one bridge request.
type Request struct {
	Origin      string // the Origin header, as sent
	Token       string // the uipathToken header, if any
	ConsentCode string // the consentCode query parameter, if any
	// Discovery marks GetPort, the only answer that delivers a new token.
	Discovery bool
}

// Decision is the gate's answer.
type Decision struct {
	Verdict Verdict
	Reason  string // for the error body and logs; never holds a secret
	// PreApproved marks origins an administrator approved; the bridge
	// tells the SDK so with X-UIPATH-DOMAIN-ALLOWED.
	PreApproved bool
	// Token, when set, goes back in the uipathToken response header.
	Token string
}

// Pending is a consent request waiting for the user. The origin is the
// Origin header the bridge saw with the code, never the origin written in
// a uipath-web:// link (the page controls that link).
type Pending struct {
	Code    string
	Origin  string
	Created time.Time
	Expires time.Time
	Err     string // why the last approval failed, if it did
}

// SiteInfo describes an approved site for lists.
type SiteInfo struct {
	Origin      string
	PreApproved bool
	ApprovedAt  time.Time
	ExpiresAt   time.Time
	Tokens      int
}

// Options configures a Gate. Zero values have defaults.
type Options struct {
	PreApproved []string // normalized origins
	// SitesFile persists approvals ("" keeps them in memory only); Write
	// must then be an atomic file writer.
	SitesFile string
	Write     WriteFunc
	// TokenLifetime is how long an approval lasts (default 30 days, the
	// RobotJS add-on's TokenExpiryInDays).
	TokenLifetime time.Duration
	// CodeLifetime is how long a consent request waits (default 60 s, the
	// SDK's own wait).
	CodeLifetime time.Duration
	// DenyCooldown is how long a denied site is refused without a new
	// prompt (default 10 min).
	DenyCooldown        time.Duration
	MaxPendingPerOrigin int // default 3
	MaxPending          int // default 50
	// OnPending is called (without locks held) for each new request.
	OnPending func(Pending)
	Now       func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.TokenLifetime, 30*24*time.Hour)
	def(&o.CodeLifetime, 60*time.Second)
	def(&o.DenyCooldown, 10*time.Minute)
	if o.MaxPendingPerOrigin <= 0 {
		o.MaxPendingPerOrigin = 3
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 50
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

type pendingState int

const (
	waiting pendingState = iota
	approved
	rejected
)

// pendingKey gives every origin its own space of codes: an origin can
// neither take over another's code nor learn that it exists.
type pendingKey struct{ code, origin string }

type pendingEntry struct {
	Pending
	state pendingState
	token string // issued on approval, delivered once by GetPort
}

// Gate decides per request which origins are served. It is safe for
// concurrent use.
type Gate struct {
	opts        Options
	preApproved map[string]bool

	mu sync.Mutex
	// guarded by mu:
	store       *store
	pending     map[pendingKey]*pendingEntry
	deniedUntil map[string]time.Time // by origin
}

// Errors of the approval calls.
var (
	ErrUnknownCode = errors.New("no consent request with this code is waiting " +
		"(it may have expired: reload the page to get a new code)")
	ErrNotApproved = errors.New("this site is not approved")
)

// Open loads the approved sites and returns the gate.
func Open(opts Options) (*Gate, error) {
	opts = opts.withDefaults()
	if opts.SitesFile != "" && opts.Write == nil {
		return nil, errors.New("consent: a sites file needs an atomic Write function")
	}
	st, err := loadStore(opts.SitesFile, opts.Write)
	if err != nil {
		return nil, err
	}
	g := &Gate{opts: opts, preApproved: map[string]bool{}, store: st,
		pending: map[pendingKey]*pendingEntry{}, deniedUntil: map[string]time.Time{}}
	for _, o := range opts.PreApproved {
		g.preApproved[o] = true
	}
	return g, nil
}

// NewGate returns an in-memory gate whose only approved sites are the
// given pre-approved (normalized) origins; for tests and tools.
func NewGate(preApproved []string) *Gate {
	g, err := Open(Options{PreApproved: preApproved})
	if err != nil {
		panic(err) // cannot happen without a sites file
	}
	return g
}

// SitesPath is where the approvals of a config dir live.
func SitesPath(configDir string) string { return filepath.Join(configDir, "sites.json") }

var codePattern = regexp.MustCompile(`^[0-9]{4,10}$`)

// Check decides one request.
func (g *Gate) Check(req Request) Decision {
	if req.Origin == "" {
		return refuse("requests without an Origin header are not served; " +
			"call the robot from a web page")
	}
	// Browsers send origins already normalized; an exact pre-approved match
	// skips parsing on the hot path.
	if g.preApproved[req.Origin] && req.Token == "" {
		return Decision{Verdict: Allow, PreApproved: true}
	}
	origin, err := NormalizeOrigin(req.Origin)
	if err != nil {
		return refuse("this page's origin (" + req.Origin + ") can never be approved; " +
			"serve the page from an http or https site")
	}

	now := g.opts.Now()
	g.mu.Lock()
	d, notify := g.checkLocked(origin, req, now)
	g.mu.Unlock()

	if notify != nil && g.opts.OnPending != nil {
		g.opts.OnPending(*notify)
	}
	return d
}

func (g *Gate) checkLocked(origin string, req Request, now time.Time) (Decision, *Pending) {
	g.pruneLocked(now)

	if req.Token != "" {
		if owner, ok := g.store.originOfToken(req.Token, now); ok {
			if owner == origin {
				return Decision{Verdict: Allow}, nil
			}
			// A token replayed from another site proves nothing.
			return needConsent(origin), nil
		}
	}
	if g.preApproved[origin] {
		return Decision{Verdict: Allow, PreApproved: true}, nil
	}
	if until, denied := g.deniedUntil[origin]; denied {
		return refuse(fmt.Sprintf("Consent rejected: the user denied this site; it "+
			"may ask again after %s", until.Format(time.Kitchen))), nil
	}
	if req.ConsentCode != "" {
		return g.checkCodeLocked(origin, req, now)
	}
	return needConsent(origin), nil
}

// checkCodeLocked handles a request that carries a consent code.
func (g *Gate) checkCodeLocked(origin string, req Request, now time.Time) (Decision, *Pending) {
	key := pendingKey{req.ConsentCode, origin}
	if p, ok := g.pending[key]; ok {
		switch {
		case p.state == rejected:
			return refuse("Consent rejected by the user"), nil
		case p.state == approved && req.Discovery:
			delete(g.pending, key) // single use: the token now speaks for the site
			return Decision{Verdict: Allow, Token: p.token}, nil
		case p.state == approved:
			return Decision{Verdict: Allow}, nil
		case p.Err != "":
			// The approver sees the details (p.Err, with paths that could
			// contain "403"); the page gets a text without numbers.
			return Decision{Verdict: Broken, Reason: "the approval could not be saved " +
				"on this computer; robotbridge shows why; approve again once it is fixed"}, nil
		}
		return needConsent(origin), nil
	}

	if !codePattern.MatchString(req.ConsentCode) {
		return needConsent(origin), nil
	}
	if g.countPending(origin) >= g.opts.MaxPendingPerOrigin ||
		len(g.pending) >= g.opts.MaxPending {
		return Decision{Verdict: TooMany, Reason: "too many consent requests are " +
			"waiting; answer or let them expire (60 s), then reload the page"}, nil
	}
	entry := &pendingEntry{Pending: Pending{Code: req.ConsentCode, Origin: origin,
		Created: now, Expires: now.Add(g.opts.CodeLifetime)}}
	g.pending[key] = entry
	notify := entry.Pending
	return needConsent(origin), &notify
}

func (g *Gate) countPending(origin string) int {
	n := 0
	for _, p := range g.pending {
		if p.Origin == origin {
			n++
		}
	}
	return n
}

// pruneLocked forgets expired requests and cooldowns.
func (g *Gate) pruneLocked(now time.Time) {
	for key, p := range g.pending {
		if now.After(p.Expires) {
			delete(g.pending, key)
		}
	}
	for origin, until := range g.deniedUntil {
		if now.After(until) {
			delete(g.deniedUntil, origin)
		}
	}
}

func refuse(reason string) Decision {
	return Decision{Verdict: Refuse, Reason: reason}
}

// needConsent's text must never contain "403": the SDK stops its consent
// poll on any message that does. So it names no origin (an origin such as
// http://127.0.0.1:40300 would contain it) and no number at all.
func needConsent(string) Decision {
	return Decision{Verdict: NeedConsent, Reason: "Consent required: this site is " +
		"not approved to use the robot on this computer; approve it in robotbridge " +
		"when asked (the page shows a code to compare)"}
}

// PendingRequests lists the waiting consent requests, oldest first.
func (g *Gate) PendingRequests() []Pending {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pruneLocked(g.opts.Now())
	var list []Pending
	for _, p := range g.pending {
		if p.state == waiting {
			list = append(list, p.Pending)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Created.Before(list[j].Created) })
	return list
}

// ErrAmbiguousCode means two sites wait with the same code; the user must
// say which site (by origin) they mean.
var ErrAmbiguousCode = errors.New("more than one site waits with this code")

// Lookup returns the waiting request with this code; origin, when not
// empty, picks one of several sites that wait with the same code.
func (g *Gate) Lookup(code, origin string) (Pending, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pruneLocked(g.opts.Now())
	p, err := g.findLocked(code, origin)
	if err != nil {
		return Pending{}, err
	}
	return p.Pending, nil
}

// findLocked finds the one waiting request with code (and origin, when
// given). g.mu must be held.
func (g *Gate) findLocked(code, origin string) (*pendingEntry, error) {
	if origin != "" {
		if o, err := NormalizeOrigin(origin); err == nil {
			origin = o
		}
	}
	var found []*pendingEntry
	for key, p := range g.pending {
		if key.code == code && p.state == waiting && (origin == "" || key.origin == origin) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, ErrUnknownCode
	case 1:
		return found[0], nil
	}
	var origins []string
	for _, p := range found {
		origins = append(origins, p.Origin)
	}
	sort.Strings(origins)
	return nil, fmt.Errorf("%w (%s); name the site you mean", ErrAmbiguousCode,
		strings.Join(origins, ", "))
}

// Approve approves the waiting request with this code (origin picks one
// when several sites wait with it): its origin gets a token, stored (as a
// hash) before anything else changes. When storing fails the request
// stays waiting, the error is returned, and the page's poll sees it too.
func (g *Gate) Approve(code, origin string) (Pending, error) {
	return g.answer(code, origin, func(p *pendingEntry, now time.Time) error {
		token := newToken()
		err := g.store.approve(p.Origin, token, now, now.Add(g.opts.TokenLifetime))
		if err != nil {
			p.Err = "the approval could not be saved: " + err.Error() +
				"; fix the cause and approve the code again"
			return err
		}
		p.state, p.token, p.Err = approved, token, ""
		delete(g.deniedUntil, p.Origin)
		return nil
	})
}

// Deny rejects the waiting request with this code; the page's poll ends
// with "rejected", and the site is refused without new prompts for the
// cooldown period.
func (g *Gate) Deny(code, origin string) (Pending, error) {
	return g.answer(code, origin, func(p *pendingEntry, now time.Time) error {
		p.state = rejected
		g.deniedUntil[p.Origin] = now.Add(g.opts.DenyCooldown)
		return nil
	})
}

// answer finds one waiting request and applies the user's answer to it.
func (g *Gate) answer(code, origin string,
	apply func(*pendingEntry, time.Time) error) (Pending, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.opts.Now()
	g.pruneLocked(now)

	p, err := g.findLocked(code, origin)
	if err != nil {
		return Pending{}, err
	}
	err = apply(p, now)
	return p.Pending, err
}

// Revoke withdraws a site's approval. Its next request gets "consent
// needed", so the SDK starts a fresh consent round.
func (g *Gate) Revoke(origin string) error {
	o, err := NormalizeOrigin(origin)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()

	if _, ok := g.store.sites[o]; !ok {
		if g.preApproved[o] {
			return fmt.Errorf("%s is pre-approved by an administrator (flag, config "+
				"or UIPATH_ROBOTJS_ALLOWLIST); remove it there", o)
		}
		return fmt.Errorf("%w: %s", ErrNotApproved, o)
	}
	if err := g.store.save(g.store.without(o)); err != nil {
		return err
	}
	for key, p := range g.pending {
		if p.Origin == o {
			delete(g.pending, key)
		}
	}
	return nil
}

// Sites lists pre-approved and approved sites.
func (g *Gate) Sites() []SiteInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.opts.Now()
	var list []SiteInfo
	for o := range g.preApproved {
		list = append(list, SiteInfo{Origin: o, PreApproved: true})
	}
	for _, s := range g.store.sites {
		if now.Before(s.ExpiresAt) && !g.preApproved[s.Origin] {
			list = append(list, SiteInfo{Origin: s.Origin, ApprovedAt: s.ApprovedAt,
				ExpiresAt: s.ExpiresAt, Tokens: len(s.TokenHashes)})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Origin < list[j].Origin })
	return list
}

// Approved reports whether an origin is pre-approved or has a live
// approval (used for Private Network Access preflights).
func (g *Gate) Approved(origin string) bool {
	o, err := NormalizeOrigin(origin)
	if err != nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.preApproved[o] || g.store.live(o, g.opts.Now())
}
