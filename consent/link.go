package consent

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Link is what a uipath-web:// consent link says. The origin in it is
// only a hint for the user: the page wrote the link, so the bridge binds
// consent to the Origin header it saw with the code instead.
type Link struct {
	Code   string
	Origin string // as written in the link, repaired; may be empty
}

var linkCode = regexp.MustCompile(`(?i)consentCode=([0-9]+)`)

// ParseLink reads a uipath-web:// link leniently, undoing what browsers do
// to it (Chromium drops the colon of "http:" inside the link, for
// example: "Origin=http//127.0.0.1:8080").
func ParseLink(raw string) (Link, error) {
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(strings.ToLower(s), "uipath-web:") {
		return Link{}, fmt.Errorf("%q is not a uipath-web: consent link", raw)
	}
	s = strings.TrimLeft(s[len("uipath-web:"):], "/")
	if unescaped, err := url.PathUnescape(s); err == nil {
		s = unescaped
	}

	m := linkCode.FindStringSubmatch(s)
	if m == nil {
		return Link{}, fmt.Errorf("consent link %q has no consentCode", raw)
	}
	link := Link{Code: m[1]}

	if i := strings.Index(strings.ToLower(s), "origin="); i >= 0 {
		link.Origin = repairOrigin(s[i+len("origin="):])
	}
	return link, nil
}

func repairOrigin(o string) string {
	if i := strings.IndexByte(o, '&'); i >= 0 {
		o = o[:i]
	}
	o = strings.TrimSuffix(o, "/")
	for _, scheme := range []string{"http", "https"} {
		if strings.HasPrefix(strings.ToLower(o), scheme+"//") {
			o = scheme + "://" + o[len(scheme)+2:]
		}
	}
	if n, err := NormalizeOrigin(o); err == nil {
		return n
	}
	return o
}
