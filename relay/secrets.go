package relay

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SecretEnv is the environment variable that may hold the webhook
// secret, instead of a secret file.
const SecretEnv = "ROBOTBRIDGE_RELAY_SECRET"

// NewSecret makes a random webhook secret (32 bytes, base64url).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ParseSecrets reads webhook secrets, one per line: the current one first,
// then old ones still accepted during a rotation. Blank lines and lines
// starting with # are skipped.
func ParseSecrets(r io.Reader) ([][]byte, error) {
	var out [][]byte
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < 16 {
			return nil, fmt.Errorf("secret on line %d is shorter than 16 characters; use "+
				"a long random one (`robotbridge relay secret` makes one)", n)
		}
		out = append(out, []byte(line))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no secret in it")
	}
	return out, nil
}
