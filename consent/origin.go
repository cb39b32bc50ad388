// Package consent decides which web sites (origins) may use the robot:
// origins an administrator pre-approved, and (later) origins the user
// approved in the desktop app, each with its own token.
package consent

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NormalizeOrigin returns the origin in the form browsers send in the
// Origin header (lower-case scheme and host, no default port, no path), or
// an error that says what is wrong with it. "null" and wildcards are never
// origins: no setting can approve every site.
func NormalizeOrigin(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" || raw == "null" || strings.Contains(raw, "*") {
		return "", fmt.Errorf("origin %q cannot be approved: give one exact site "+
			"such as https://app.example.com", raw)
	}

	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("origin %q is not a URL like https://app.example.com", raw)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("origin %q: only http and https sites can be approved", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("origin %q has more than scheme://host[:port]; "+
			"drop the path, query and user part", raw)
	}

	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(strings.Trim(host, "[]"), port), nil
	}
	return scheme + "://" + host, nil
}

// ParseOriginList splits a ';'-separated list (the format of the
// UIPATH_ROBOTJS_ALLOWLIST variable) into normalized origins.
func ParseOriginList(list string) ([]string, error) {
	var origins []string
	var errs []error
	for _, part := range strings.Split(list, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		o, err := NormalizeOrigin(part)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		origins = append(origins, o)
	}
	return origins, errors.Join(errs...)
}
