package relay

import (
	"strings"
	"testing"
)

func TestTokens_RoundTrip(t *testing.T) {
	tok, line, err := NewToken("desk-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(line, tok) {
		t.Fatalf("the tokens-file line %q holds the token itself", line)
	}
	list, err := ParseTokens(strings.NewReader("# comment\n\n" + line + " tenant=3\n"))
	if err != nil {
		t.Fatalf("ParseTokens: %v", err)
	}
	got, ok := lookup(list, tok)
	if !ok || got.Name != "desk-1" || !got.mayTenant(3) || got.mayTenant(4) {
		t.Errorf("lookup = %+v %v, want desk-1 limited to tenant 3", got, ok)
	}
	for _, wrong := range []string{"", tok + "x", tok[:len(tok)-1]} {
		if _, ok := lookup(list, wrong); ok {
			t.Errorf("lookup(%q) found a subscriber", wrong)
		}
	}
	if s := got.String(); strings.Contains(s, "sha256") {
		t.Errorf("Token.String() = %q shows the hash", s)
	}
}

func TestParseTokens_Errors(t *testing.T) {
	_, good, _ := NewToken("a")
	cases := []struct{ file, want string }{
		{"a", "want NAME"},
		{"a rbr_plaintext", "sha256:"},
		{"a sha256:abcd", "sha256:"},
		{"-bad " + strings.Fields(good)[1], "name"},
		{good + " tenant=x", "tenant=ID"},
		{good + " color=blue", "tenant=ID"},
		{good + "\n" + good, "used twice"},
	}
	for _, c := range cases {
		_, err := ParseTokens(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTokens(%q) = %v, want an error with %q", c.file, err, c.want)
		}
	}
}
