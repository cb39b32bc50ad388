package orchestrator_test

import (
	"errors"
	"slices"
	"testing"

	"robotbridge/orchestrator"
	"robotbridge/orchestrator/orchestratortest"
)

var webhookPerms = append(slices.Clone(orchestratortest.AllPermissions), "Webhooks.View",
	"Webhooks.Create", "Webhooks.Edit", "Webhooks.Delete")

// The webhook is set up once per URL (a second call updates it, with
// the new secret), subscribes to the job events the Orchestrator knows,
// and is removed by URL.
func TestWebhooks_EnsureUpdateRemove(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		s := newFake(t, orchestratortest.Options{Legacy1910: legacy})
		s.SetPermissions(userName, webhookPerms...)
		c := newClient(t, s, orchestrator.AuthPassword)
		spec := orchestrator.WebhookSpec{Name: "rb", URL: "https://relay.example.test/webhook",
			Secret: "first-secret-0123456789"}
		if _, err := c.EnsureWebhook(ctx(t), spec); err != nil {
			t.Fatalf("legacy %v: EnsureWebhook: %v", legacy, err)
		}
		spec.Secret = "second-secret-0123456789"
		w, err := c.EnsureWebhook(ctx(t), spec)
		if err != nil {
			t.Fatalf("legacy %v: EnsureWebhook again: %v", legacy, err)
		}
		rows := s.Webhooks()
		wantEvents := 7
		if legacy {
			wantEvents = 5 // 19.10 has no job.suspended or job.resumed
		}
		if len(rows) != 1 || rows[0].Secret != spec.Secret || len(rows[0].Events) != wantEvents ||
			w.ID != rows[0].ID || !rows[0].Enabled {
			t.Fatalf("legacy %v: webhooks %+v, want one, enabled, with the second secret and "+
				"%d job events", legacy, rows, wantEvents)
		}
		if removed, err := c.RemoveWebhook(ctx(t), spec.URL+"/"); err != nil || !removed {
			t.Fatalf("legacy %v: RemoveWebhook = %v, %v; want true", legacy, removed, err)
		}
		if removed, err := c.RemoveWebhook(ctx(t), spec.URL); err != nil || removed {
			t.Fatalf("legacy %v: RemoveWebhook again = %v, %v; want false", legacy, removed, err)
		}
	}
}

func TestWebhooks_Refusals(t *testing.T) {
	s := newFake(t, orchestratortest.Options{})
	c := newClient(t, s, orchestrator.AuthPassword)
	spec := orchestrator.WebhookSpec{URL: "https://relay.example.test/webhook",
		Secret: "first-secret-0123456789"}
	if _, err := c.EnsureWebhook(ctx(t), spec); !errors.Is(err, orchestrator.ErrForbidden) {
		t.Errorf("EnsureWebhook without Webhooks permissions = %v, want ErrForbidden", err)
	}
	for _, bad := range []orchestrator.WebhookSpec{
		{URL: "http://relay.example.test/webhook", Secret: spec.Secret},
		{URL: spec.URL, Secret: "short"},
	} {
		if _, err := c.EnsureWebhook(ctx(t), bad); err == nil {
			t.Errorf("EnsureWebhook(%s, %d-byte secret) succeeded", bad.URL, len(bad.Secret))
		}
	}
}
