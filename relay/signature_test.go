package relay

import (
	"errors"
	"testing"
)

// The spec's test vectors (orchestrator-api.md §7.3).
func TestSign_SpecVectors(t *testing.T) {
	cases := []struct{ secret, body, want string }{
		{"s3cr3t", `{"Type":"job.completed","EventId":"e-001"}`,
			"k0UnPK/gFARefNQeAiCRNCpIMh2vRgaYPu+jIRX6v6k="},
		{"webhook-secret-1", `{"Type":"ping","EventId":"0f1e2d3c"}`,
			"SzR3783xA6IR9ECAQRQbGPSiEx9dPprjXqvI0xiI4O4="},
		{"ключ", `{"Type":"job.faulted","EventId":"x"}`,
			"aLwUIBoWdXlRwe/aaL0xKcs9gkEM7tU7l8o43VyVSEU="},
	}
	for _, c := range cases {
		if got := Sign([]byte(c.secret), []byte(c.body)); got != c.want {
			t.Errorf("Sign(%q, %s) = %s, want %s", c.secret, c.body, got, c.want)
		}
		secrets := [][]byte{[]byte("other-secret-xxxxxxxx"), []byte(c.secret)}
		for _, h := range []string{c.want, "sha256=" + c.want, " " + c.want + " "} {
			if err := verify(secrets, h, []byte(c.body)); err != nil {
				t.Errorf("verify(%q) = %v, want nil", h, err)
			}
		}
	}
}

func TestVerify_Refusals(t *testing.T) {
	body := []byte(`{"Type":"job.completed","EventId":"e-001"}`)
	secrets := [][]byte{[]byte("s3cr3t")}
	good := Sign(secrets[0], body)
	cases := []struct {
		name, header string
		body         []byte
		want         error
	}{
		{"missing", "", body, errNoSignature},
		{"blank", "   ", body, errNoSignature},
		{"not base64", "not base64!", body, errBadSignature},
		{"short", "AAAA", body, errBadSignature},
		{"other secret", Sign([]byte("s3cr3u"), body), body, errBadSignature},
		{"body changed", good, append([]byte(" "), body...), errBadSignature},
	}
	for _, c := range cases {
		if err := verify(secrets, c.header, c.body); !errors.Is(err, c.want) {
			t.Errorf("%s: verify = %v, want %v", c.name, err, c.want)
		}
	}
}
