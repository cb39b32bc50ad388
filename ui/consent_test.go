package ui

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"robotbridge/control"
	"robotbridge/engine"
)

// consentEngine is a fake engine with one waiting consent request; it
// records the answers it gets.
type consentEngine struct {
	mu sync.Mutex
	// guarded by mu:
	pending []engine.PendingEntry
	answers []string // "approve 123456"
}

func (c *consentEngine) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sites/pending", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		control.WriteJSON(w, http.StatusOK, c.pending)
	})
	for _, action := range []string{"approve", "deny"} {
		mux.HandleFunc("POST /v1/sites/"+action, func(w http.ResponseWriter, r *http.Request) {
			var req engine.CodeRequest
			_ = json.NewDecoder(r.Body).Decode(&req)
			c.mu.Lock()
			defer c.mu.Unlock()
			c.answers = append(c.answers, action+" "+req.Code)
			for i, p := range c.pending {
				if p.Code == req.Code {
					c.pending = append(c.pending[:i], c.pending[i+1:]...)
					control.WriteJSON(w, http.StatusOK, p)
					return
				}
			}
			control.WriteError(w, http.StatusNotFound, errUnknownCode)
		})
	}
	mux.HandleFunc("GET /v1/sites", func(w http.ResponseWriter, r *http.Request) {
		control.WriteJSON(w, http.StatusOK, []engine.SiteEntry{})
	})
	return mux
}

var errUnknownCode = errorString("the code is unknown or expired")

type errorString string

func (e errorString) Error() string { return string(e) }

func (c *consentEngine) Answers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.answers...)
}

func newConsentEngine(expires time.Time) *consentEngine {
	return &consentEngine{pending: []engine.PendingEntry{{Code: "482913",
		Origin: "https://shop.example.org:8443", Expires: expires}}}
}

func TestConsentDialog_ApproveAndDeny(t *testing.T) {
	for _, approve := range []bool{true, false} {
		name := map[bool]string{true: "approve", false: "deny"}[approve]
		t.Run(name, func(t *testing.T) {
			fake := newConsentEngine(time.Now().Add(time.Minute))
			u, loop := newTestUI(t, fakeEngine(t, fake.handler()), Options{})

			u.consent.Offer("https://shop.example.org:8443", "482913")
			loop.until(t, "the dialog", func() bool { return u.consent.Count() == 1 })
			cp := u.consent.open["482913"]
			shown := test.RenderObjectToMarkup(u.win.Canvas().Overlays().Top())
			for _, want := range []string{"https://shop.example.org:8443", "482 913",
				"waits 60 more seconds"} {
				if !strings.Contains(shown, want) {
					t.Errorf("the dialog does not show %q:\n%s", want, shown)
				}
			}

			button := cp.deny
			if approve {
				button = cp.approve
			}
			test.Tap(button)
			loop.until(t, "the dialog to close", func() bool { return u.consent.Count() == 0 })
			if got := fake.Answers(); len(got) != 1 || got[0] != name+" 482913" {
				t.Fatalf("the engine got %v, want [%s 482913]", got, name)
			}
			if u.win.Canvas().Overlays().Top() != nil {
				t.Error("the dialog is still on the window")
			}
		})
	}
}

func TestConsentDialog_ClosesWhenThePageStopsWaiting(t *testing.T) {
	fake := newConsentEngine(time.Now().Add(time.Minute))
	u, loop := newTestUI(t, fakeEngine(t, fake.handler()), Options{})

	u.consent.Show(engine.PendingEntry{Code: "482913", Origin: "https://shop.example.org:8443",
		Expires: time.Now().Add(300 * time.Millisecond)})
	if u.consent.Count() != 1 {
		t.Fatal("no dialog for a waiting request")
	}
	loop.until(t, "the dialog to time out", func() bool { return u.consent.Count() == 0 })
	if got := fake.Answers(); len(got) != 0 {
		t.Fatalf("a timed-out dialog answered %v", got)
	}
}

func TestConsentDialog_AnsweredElsewhereCloses(t *testing.T) {
	fake := newConsentEngine(time.Now().Add(time.Minute))
	u, loop := newTestUI(t, fakeEngine(t, fake.handler()), Options{})
	u.consent.Offer("https://shop.example.org:8443", "482913")
	loop.until(t, "the dialog", func() bool { return u.consent.Count() == 1 })

	fake.mu.Lock()
	fake.pending = nil // approved with the CLI, say
	fake.mu.Unlock()
	loop.until(t, "the dialog to notice", func() bool { return u.consent.Count() == 0 })
}

func TestConsentDialog_ReplayedOldRequestShowsNothing(t *testing.T) {
	fake := newConsentEngine(time.Now().Add(time.Minute))
	u, _ := newTestUI(t, fakeEngine(t, fake.handler()), Options{})

	// An old event names a code the engine no longer waits for.
	list, err := u.api.Pending()
	u.consent.offerFrom(list, err, "https://old.example.com", "111111")
	if u.consent.Count() != 0 {
		t.Fatal("a dialog opened for a code the engine no longer waits for")
	}
	// An entry whose time is up shows nothing either.
	u.consent.Show(engine.PendingEntry{Code: "222222", Origin: "https://x.example",
		Expires: time.Now().Add(-time.Second)})
	if u.consent.Count() != 0 {
		t.Fatal("a dialog opened for an expired request")
	}
	// Without the engine's list, the dialog still asks.
	u.consent.offerFrom(nil, errUnknownCode, "https://y.example", "333333")
	if u.consent.open["333333"] == nil {
		t.Fatal("no dialog when the pending list could not be read")
	}
}

func TestConsentDialog_FailedAnswerStaysOpenWithTheError(t *testing.T) {
	fake := newConsentEngine(time.Now().Add(time.Minute))
	u, loop := newTestUI(t, fakeEngine(t, fake.handler()), Options{})
	u.consent.Show(engine.PendingEntry{Code: "999999", Origin: "https://x.example",
		Expires: time.Now().Add(time.Minute)})
	cp := u.consent.open["999999"]

	test.Tap(cp.approve)
	loop.until(t, "the error", func() bool { return cp.msg.Visible() })
	if !strings.Contains(cp.msg.Text, "unknown or expired") || cp.approve.Disabled() {
		t.Fatalf("after a failed approve: message %q, approve disabled %v", cp.msg.Text,
			cp.approve.Disabled())
	}
}

func TestCountdownText(t *testing.T) {
	cases := map[time.Duration]string{
		60 * time.Second:        "The page waits 60 more seconds.",
		200 * time.Millisecond:  "The page waits 1 more seconds.",
		0:                       "The page stopped waiting.",
		-3 * time.Second:        "The page stopped waiting.",
		59*time.Second + 100000: "The page waits 60 more seconds.",
	}
	for left, want := range cases {
		if got := countdownText(left); got != want {
			t.Errorf("countdownText(%s) = %q, want %q", left, got, want)
		}
	}
	if got := spacedCode("482913"); got != "482 913" {
		t.Errorf("spacedCode = %q", got)
	}
}
