package consent

import (
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	good := map[string]string{
		"https://App.Example.com":       "https://app.example.com",
		"https://app.example.com/":      "https://app.example.com",
		"https://app.example.com:443":   "https://app.example.com",
		"http://127.0.0.1:8080":         "http://127.0.0.1:8080",
		"http://localhost:80":           "http://localhost",
		"http://[::1]:3000":             "http://[::1]:3000",
		" https://cloud.uipath.com ":    "https://cloud.uipath.com",
		"https://app.example.com:8443/": "https://app.example.com:8443",
	}
	for in, want := range good {
		got, err := NormalizeOrigin(in)
		if err != nil || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Field report 5: "null" and wildcards can never be approved, whatever
// the configuration says.
func TestNormalizeOrigin_RefusesNullWildcardsAndNonOrigins(t *testing.T) {
	for _, in := range []string{"", "null", "*", "https://*.example.com", "file:///tmp/x.html",
		"app.example.com", "https://app.example.com/path", "https://u:p@app.example.com",
		"javascript:alert(1)", "https://app.example.com?x=1"} {
		if got, err := NormalizeOrigin(in); err == nil {
			t.Errorf("NormalizeOrigin(%q) = %q, want an error", in, got)
		} else if !strings.Contains(err.Error(), "origin") {
			t.Errorf("error for %q does not say what was wrong: %v", in, err)
		}
	}
}

func TestParseOriginList_SemicolonSeparatedWithClearErrors(t *testing.T) {
	got, err := ParseOriginList("https://a.example; http://127.0.0.1:8080;;")
	if err != nil || len(got) != 2 || got[1] != "http://127.0.0.1:8080" {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := ParseOriginList("https://a.example;*"); err == nil {
		t.Fatal("a wildcard in the list must be an error")
	}
}

func TestGate_Decisions(t *testing.T) {
	g := NewGate([]string{"https://app.example.com"})
	cases := map[string]Verdict{
		"https://app.example.com":     Allow,
		"https://APP.example.com:443": Allow,
		"https://other.example.com":   NeedConsent,
		"null":                        Refuse,
		"":                            Refuse,
	}
	for origin, want := range cases {
		d := g.Check(Request{Origin: origin})
		if d.Verdict != want {
			t.Errorf("origin %q: verdict %v, want %v", origin, d.Verdict, want)
		}
		if d.Verdict != Allow && d.Reason == "" {
			t.Errorf("origin %q: a refusal must say why", origin)
		}
		// The SDK stops its consent poll on any message containing "403".
		if d.Verdict == NeedConsent && strings.Contains(d.Reason, "403") {
			t.Errorf("a consent-needed reason must not contain 403: %q", d.Reason)
		}
	}
}

func TestParseLink_UndoesBrowserMangling(t *testing.T) {
	cases := map[string]Link{
		"uipath-web://consentCode=123456&Origin=http//127.0.0.1:8080":     {"123456", "http://127.0.0.1:8080"},
		"uipath-web://consentCode=123456&Origin=https://App.example.com/": {"123456", "https://app.example.com"},
		"uipath-web:consentCode=654321&Origin=https%3A%2F%2Fa.example":    {"654321", "https://a.example"},
		"UIPATH-WEB://consentCode=111111&Origin=https//a.example:8443/":   {"111111", "https://a.example:8443"},
		"uipath-web://consentCode=222222":                                 {"222222", ""},
	}
	for in, want := range cases {
		got, err := ParseLink(in)
		if err != nil || got != want {
			t.Errorf("ParseLink(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"https://x.example", "uipath-web://Origin=https://a.example"} {
		if _, err := ParseLink(bad); err == nil {
			t.Errorf("ParseLink(%q) should fail", bad)
		}
	}
}
