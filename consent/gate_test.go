package consent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const site = "https://app.example.com"

// clock is a settable time source for expiry tests.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

func writeFile(path string, data []byte) error {
	return os.WriteFile(path, data, 0o600)
}

func openGate(t *testing.T, path string, c *clock, write WriteFunc) *Gate {
	t.Helper()
	if write == nil {
		write = writeFile
	}
	g, err := Open(Options{SitesFile: path, Write: write, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// approveRound plays the SDK's consent round for origin and returns the
// token the approving GetPort delivers.
func approveRound(t *testing.T, g *Gate, origin, code string) string {
	t.Helper()
	if d := g.Check(Request{Origin: origin, Discovery: true}); d.Verdict != NeedConsent {
		t.Fatalf("first contact: %+v", d)
	}
	if d := g.Check(Request{Origin: origin, ConsentCode: code, Discovery: true}); d.Verdict != NeedConsent {
		t.Fatalf("first poll: %+v", d)
	}
	if _, err := g.Approve(code, ""); err != nil {
		t.Fatal(err)
	}
	d := g.Check(Request{Origin: origin, ConsentCode: code, Discovery: true})
	if d.Verdict != Allow || len(d.Token) < 40 {
		t.Fatalf("approving poll: %+v", d)
	}
	return d.Token
}

func TestConsent_ApproveIssuesATokenBoundToTheOrigin(t *testing.T) {
	c := &clock{time.Now()}
	g := openGate(t, "", c, nil)
	token := approveRound(t, g, site, "123456")

	if d := g.Check(Request{Origin: site, Token: token}); d.Verdict != Allow {
		t.Fatalf("token from its own site: %+v", d)
	}
	if d := g.Check(Request{Origin: "https://evil.example", Token: token}); d.Verdict != NeedConsent {
		t.Fatalf("token replayed from another site: %+v", d)
	}
	if d := g.Check(Request{Origin: site, ConsentCode: "123456", Discovery: true}); d.Token != "" {
		t.Fatal("a consent code delivered a second token: codes are single-use")
	}
	if d := g.Check(Request{Origin: site, Token: "forged"}); d.Verdict != NeedConsent {
		t.Fatalf("forged token: %+v", d)
	}
}

func TestConsent_CodeBoundToTheOriginSeenNotToTheLink(t *testing.T) {
	g := openGate(t, "", &clock{time.Now()}, nil)
	g.Check(Request{Origin: site, ConsentCode: "222222"})

	// Another site polling the same code learns nothing and gets nothing:
	// it starts a request of its own, and the user must say which site.
	if d := g.Check(Request{Origin: "https://evil.example", ConsentCode: "222222",
		Discovery: true}); d.Verdict != NeedConsent || d.Token != "" {
		t.Fatalf("%+v", d)
	}
	if _, err := g.Approve("222222", ""); !errors.Is(err, ErrAmbiguousCode) ||
		!strings.Contains(err.Error(), "evil.example") || !strings.Contains(err.Error(), site) {
		t.Fatalf("approving a code two sites wait with: %v", err)
	}
	p, err := g.Approve("222222", site)
	if err != nil || p.Origin != site {
		t.Fatalf("approved %+v, %v; want the origin seen with the code", p, err)
	}
	if d := g.Check(Request{Origin: "https://evil.example", ConsentCode: "222222",
		Discovery: true}); d.Verdict == Allow {
		t.Fatal("another origin used an approved code")
	}
}

// Field report 3: an approval survives a restart; the site is not asked
// again until the approval expires.
func TestConsent_PersistsAcrossRestart_NoLoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sites.json")
	c := &clock{time.Now()}
	token := approveRound(t, openGate(t, path, c, nil), site, "333333")

	restarted := openGate(t, path, c, nil)
	if d := restarted.Check(Request{Origin: site, Token: token}); d.Verdict != Allow {
		t.Fatalf("after restart: %+v", d)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), token) {
		t.Fatal("sites.json holds the token itself; only its hash may be stored")
	}

	c.advance(31 * 24 * time.Hour)
	if d := restarted.Check(Request{Origin: site, Token: token}); d.Verdict != NeedConsent {
		t.Fatalf("after the 30-day expiry: %+v", d)
	}
}

// Field report 3: when the approval cannot be stored, the approver and
// the page both hear about it, and a later approval still works.
func TestConsent_StoreFailure_SurfacesError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sites.json")
	failing := true
	write := func(p string, data []byte) error {
		if failing {
			return errors.New("disk full")
		}
		return writeFile(p, data)
	}
	g := openGate(t, path, &clock{time.Now()}, write)
	g.Check(Request{Origin: site, ConsentCode: "444444"})

	if _, err := g.Approve("444444", ""); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("approve with a failing store: %v", err)
	}
	d := g.Check(Request{Origin: site, ConsentCode: "444444", Discovery: true})
	if d.Verdict != Broken || !strings.Contains(d.Reason, "could not be saved") ||
		!strings.Contains(g.PendingRequests()[0].Err, "disk full") {
		t.Fatalf("the page's poll must see the failure: %+v", d)
	}
	if strings.Contains(d.Reason, "403") {
		t.Fatal("the reason must not contain 403 (the SDK would stop polling)")
	}

	failing = false
	if _, err := g.Approve("444444", ""); err != nil {
		t.Fatalf("approving again after the cause is fixed: %v", err)
	}
	if d := g.Check(Request{Origin: site, ConsentCode: "444444", Discovery: true}); d.Verdict != Allow {
		t.Fatalf("%+v", d)
	}
}

func TestConsent_DenyEndsTheRoundAndIsNotRepromptedForAWhile(t *testing.T) {
	c := &clock{time.Now()}
	g := openGate(t, "", c, nil)
	g.Check(Request{Origin: site, ConsentCode: "555555"})
	if _, err := g.Deny("555555", ""); err != nil {
		t.Fatal(err)
	}
	if d := g.Check(Request{Origin: site, ConsentCode: "555555", Discovery: true}); d.Verdict != Refuse {
		t.Fatalf("poll after deny: %+v", d)
	}

	if d := g.Check(Request{Origin: site, ConsentCode: "666666"}); d.Verdict != Refuse {
		t.Fatalf("a new round right after deny: %+v", d)
	}
	if n := len(g.PendingRequests()); n != 0 {
		t.Fatalf("a denied site was prompted again: %d pending", n)
	}

	c.advance(11 * time.Minute)
	if d := g.Check(Request{Origin: site, ConsentCode: "777777"}); d.Verdict != NeedConsent {
		t.Fatalf("after the cooldown the site may ask again: %+v", d)
	}
}

func TestConsent_CodesExpireWithTheSDKsWait(t *testing.T) {
	c := &clock{time.Now()}
	g := openGate(t, "", c, nil)
	g.Check(Request{Origin: site, ConsentCode: "888888"})
	c.advance(61 * time.Second)
	if _, err := g.Approve("888888", ""); !errors.Is(err, ErrUnknownCode) {
		t.Fatalf("approving an expired code: %v", err)
	}
}

func TestConsent_SpamIsCappedPerOriginAndOverall(t *testing.T) {
	g := openGate(t, "", &clock{time.Now()}, nil)
	for i := 0; i < 5; i++ {
		d := g.Check(Request{Origin: site, ConsentCode: fmt.Sprintf("10000%d", i)})
		want := NeedConsent
		if i >= 3 {
			want = TooMany
		}
		if d.Verdict != want {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	for i := 0; i < 200; i++ {
		g.Check(Request{Origin: fmt.Sprintf("https://s%d.example", i), ConsentCode: "123123"})
		g.Check(Request{Origin: fmt.Sprintf("https://t%d.example", i),
			ConsentCode: fmt.Sprintf("%06d", 200000+i)})
	}
	if n := len(g.PendingRequests()); n > 50 {
		t.Fatalf("%d pending requests; the overall cap is 50", n)
	}
}

// Field report 5: "null" origins (file: pages, sandboxed frames) can never
// ask for consent, never be approved and never be served.
func TestOriginNull_NeverConsentableNeverAllowed(t *testing.T) {
	g := openGate(t, "", &clock{time.Now()}, nil)
	for _, req := range []Request{
		{Origin: "null"}, {Origin: "null", ConsentCode: "123456", Discovery: true},
		{Origin: "null", Token: "x"}, {Origin: "file://"},
	} {
		if d := g.Check(req); d.Verdict != Refuse {
			t.Fatalf("%+v: %+v", req, d)
		}
	}
	if n := len(g.PendingRequests()); n != 0 {
		t.Fatalf("a null origin created %d consent requests", n)
	}
}

func TestConsent_RevokeMakesTheNextRequestAskAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sites.json")
	g := openGate(t, path, &clock{time.Now()}, nil)
	token := approveRound(t, g, site, "121212")
	if !g.Approved(site) || len(g.Sites()) != 1 {
		t.Fatal("the approved site is not listed")
	}

	if err := g.Revoke("https://APP.example.com/"); err != nil {
		t.Fatal(err)
	}
	if d := g.Check(Request{Origin: site, Token: token}); d.Verdict != NeedConsent {
		t.Fatalf("after revoke: %+v", d)
	}
	if d := openGate(t, path, &clock{time.Now()}, nil).Check(Request{Origin: site,
		Token: token}); d.Verdict != NeedConsent {
		t.Fatal("the revocation was not stored")
	}
	if err := g.Revoke(site); !errors.Is(err, ErrNotApproved) {
		t.Fatalf("revoking twice: %v", err)
	}

	pre, _ := Open(Options{PreApproved: []string{site}})
	if err := pre.Revoke(site); err == nil || !strings.Contains(err.Error(), "administrator") {
		t.Fatalf("revoking a pre-approved site must say where it comes from: %v", err)
	}
}

func TestOpen_BrokenSitesFileIsNamedAndLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sites.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"sites":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{SitesFile: path, Write: writeFile})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != `{"version":1,"sites":[` {
		t.Fatal("the broken file was changed")
	}
}

// Found by the consent e2e test: the SDK stops its consent poll on any
// error text containing "403", so a 401's reason must never contain it,
// whatever the origin looks like.
func TestConsent_NeedConsentTextNeverContains403(t *testing.T) {
	g := openGate(t, "", &clock{time.Now()}, nil)
	for _, origin := range []string{"http://127.0.0.1:40300", "https://app403.example.com",
		"http://localhost:4030"} {
		for _, code := range []string{"", "403403", "140300"} {
			d := g.Check(Request{Origin: origin, ConsentCode: code, Discovery: true})
			if d.Verdict == NeedConsent && strings.Contains(d.Reason, "403") {
				t.Fatalf("origin %s code %q: reason %q", origin, code, d.Reason)
			}
		}
	}
}

// Found by the hostile-page test: with its own slots used up, a page must
// get the same answer for another site's pending code as for an unused
// one, or it learns that the user is in a consent round with that site.
func TestConsent_AnotherSitesCodeIsIndistinguishableFromAnUnusedOne(t *testing.T) {
	g := openGate(t, "", &clock{time.Now()}, nil)
	g.Check(Request{Origin: site, ConsentCode: "551858"})
	evil := "https://evil.example"
	for _, code := range []string{"100001", "100002", "100003"} {
		g.Check(Request{Origin: evil, ConsentCode: code})
	}
	unused := g.Check(Request{Origin: evil, ConsentCode: "551862"})
	taken := g.Check(Request{Origin: evil, ConsentCode: "551858"})
	if unused != taken {
		t.Fatalf("unused code: %+v; another site's code: %+v", unused, taken)
	}
}
