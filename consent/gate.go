package consent

import "sync"

// Verdict is what the bridge does with a request.
type Verdict int

const (
	// Allow serves the request.
	Allow Verdict = iota
	// NeedConsent answers 401, which makes the RobotJS SDK start a consent
	// round.
	NeedConsent
	// Refuse answers 403: this caller will never be served.
	Refuse
)

// Request is what the gate needs to know about one bridge request.
type Request struct {
	Origin      string // the Origin header, as sent
	Token       string // the uipathToken header, if any
	ConsentCode string // the consentCode query parameter, if any
}

// Decision is the gate's answer.
type Decision struct {
	Verdict Verdict
	Reason  string // for the error body and logs; never holds a secret
	// PreApproved marks origins an administrator approved; the bridge
	// tells the SDK so with X-UIPATH-DOMAIN-ALLOWED.
	PreApproved bool
}

// Gate decides per request. It is safe for concurrent use.
type Gate struct {
	mu          sync.RWMutex
	preApproved map[string]bool // normalized origins
}

// NewGate returns a gate that allows the given pre-approved origins, which
// must already be normalized (see NormalizeOrigin).
func NewGate(preApproved []string) *Gate {
	g := &Gate{preApproved: map[string]bool{}}
	for _, o := range preApproved {
		g.preApproved[o] = true
	}
	return g
}

// Check decides one request.
func (g *Gate) Check(req Request) Decision {
	if req.Origin == "" {
		return Decision{Verdict: Refuse, Reason: "requests without an Origin header " +
			"are not served; call the robot from a web page"}
	}
	origin, err := NormalizeOrigin(req.Origin)
	if err != nil {
		return Decision{Verdict: Refuse, Reason: "this page's origin (" + req.Origin +
			") can never be approved; serve the page from an http or https site"}
	}

	g.mu.RLock()
	allowed := g.preApproved[origin]
	g.mu.RUnlock()
	if allowed {
		return Decision{Verdict: Allow, PreApproved: true}
	}
	return Decision{Verdict: NeedConsent, Reason: "Consent required: this site is not " +
		"approved to use the robot on this computer; ask your administrator to add " +
		origin + " to the allowed sites"}
}

// PreApproved lists the pre-approved origins.
func (g *Gate) PreApproved() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	list := make([]string, 0, len(g.preApproved))
	for o := range g.preApproved {
		list = append(list, o)
	}
	return list
}
