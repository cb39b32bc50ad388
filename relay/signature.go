package relay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// SignatureHeader carries base64(HMAC-SHA256(secret, raw body)).
const SignatureHeader = "X-UiPath-Signature"

var (
	errNoSignature  = errors.New("the X-UiPath-Signature header is missing")
	errBadSignature = errors.New("the X-UiPath-Signature header does not match the body")
)

// Sign returns the X-UiPath-Signature value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a signature header against every secret (several during
// a rotation). An optional "sha256=" prefix is accepted: one guide shows
// it, the Orchestrator itself sends plain base64.
func verify(secrets [][]byte, header string, body []byte) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return errNoSignature
	}
	header = strings.TrimPrefix(header, "sha256=")
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	ok := false
	for _, s := range secrets {
		m := hmac.New(sha256.New, s)
		m.Write(body)
		// No early exit: the time taken does not tell which secret matched.
		if hmac.Equal(got, m.Sum(nil)) {
			ok = true
		}
	}
	if !ok {
		return errBadSignature
	}
	return nil
}
