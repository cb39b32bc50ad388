package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Webhooks are tenant-level (no folder header) and need the Webhooks.*
// permissions or the OR.Webhooks scope. The Orchestrator signs each
// delivery with the webhook's secret; robotbridge keeps that secret in
// the OS keyring (SecretWebhook) and gives the same one to its relay.

// SecretWebhook is the keyring kind of a connection's webhook secret.
const SecretWebhook SecretKind = "webhook-secret"

// JobEventTypes are the job lifecycle events a relay forwards.
var JobEventTypes = []string{"job.created", "job.started", "job.completed",
	"job.faulted", "job.stopped", "job.suspended", "job.resumed"}

// Webhook is an Orchestrator webhook as the API lists it. Its secret is
// never read back: the API echoes it in clear text, and nothing here
// needs it.
type Webhook struct {
	ID                   int64          `json:"Id"`
	Key                  string         `json:"Key,omitempty"`
	Name                 string         `json:"Name,omitempty"`
	URL                  string         `json:"Url"`
	Enabled              bool           `json:"Enabled"`
	SubscribeToAllEvents bool           `json:"SubscribeToAllEvents"`
	AllowInsecureSsl     bool           `json:"AllowInsecureSsl"`
	Events               []WebhookEvent `json:"Events"`
}

// WebhookEvent is one subscribed event type.
type WebhookEvent struct {
	EventType string `json:"EventType"`
}

// WebhookSpec is the webhook EnsureWebhook sets up.
type WebhookSpec struct {
	// Name labels it in Orchestrator (newer versions; "" : none sent).
	Name string
	// URL is the relay's public webhook address (https://.../webhook).
	URL string
	// Secret signs the deliveries; it must be the relay's secret.
	Secret string
}

// webhookBody is what POST and PUT send.
type webhookBody struct {
	Name                 string         `json:"Name,omitempty"`
	Description          string         `json:"Description,omitempty"`
	URL                  string         `json:"Url"`
	Enabled              bool           `json:"Enabled"`
	Secret               string         `json:"Secret"`
	SubscribeToAllEvents bool           `json:"SubscribeToAllEvents"`
	AllowInsecureSsl     bool           `json:"AllowInsecureSsl"`
	Events               []WebhookEvent `json:"Events"`
}

// Webhooks lists the tenant's webhooks.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	return listAll[Webhook](ctx, c, call{op: "list webhooks", method: "GET",
		path: "/odata/Webhooks"})
}

// WebhookEventTypes lists the event types this Orchestrator knows.
func (c *Client) WebhookEventTypes(ctx context.Context) ([]string, error) {
	var ans odataList[struct {
		Name string `json:"Name"`
	}]
	err := c.do(ctx, call{op: "list webhook event types", method: "GET", out: &ans,
		path: "/odata/Webhooks/UiPath.Server.Configuration.OData.GetEventTypes()"})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ans.Value))
	for i, v := range ans.Value {
		names[i] = v.Name
	}
	return names, nil
}

// EnsureWebhook makes the tenant deliver job events to spec.URL, signed
// with spec.Secret: it updates the webhook with that URL, or creates one.
// It subscribes to the job events of JobEventTypes this Orchestrator
// knows. Run it again after rotating the secret.
func (c *Client) EnsureWebhook(ctx context.Context, spec WebhookSpec) (Webhook, error) {
	op := joinOp("set up webhook for", spec.URL)
	if !strings.HasPrefix(spec.URL, "https://") {
		return Webhook{}, fmt.Errorf("%s: the relay URL must start with https:// "+
			"(the Orchestrator delivers to it over the network)", op)
	}
	if len(spec.Secret) < 16 {
		return Webhook{}, fmt.Errorf("%s: the secret is too short (use at least 16 "+
			"random characters; `robotbridge relay secret` makes one)", op)
	}
	known, err := c.WebhookEventTypes(ctx)
	if err != nil {
		return Webhook{}, err
	}
	body := webhookBody{Name: spec.Name, Description: "robotbridge relay: job events",
		URL: spec.URL, Enabled: true, Secret: spec.Secret, Events: jobEvents(known)}
	if len(body.Events) == 0 {
		return Webhook{}, fmt.Errorf("%s: this Orchestrator offers no job events", op)
	}
	existing, err := c.findWebhook(ctx, spec.URL)
	if err != nil {
		return Webhook{}, err
	}
	var out Webhook
	cl := call{op: op, body: body, out: &out, method: "POST", path: "/odata/Webhooks"}
	if existing != nil {
		cl.method, cl.path = "PUT", "/odata/Webhooks("+itoa(existing.ID)+")"
	}
	if err := c.do(ctx, cl); err != nil {
		return Webhook{}, err
	}
	return out, nil
}

// RemoveWebhook deletes the webhook that delivers to url; it reports
// false when there was none.
func (c *Client) RemoveWebhook(ctx context.Context, url string) (bool, error) {
	w, err := c.findWebhook(ctx, url)
	if err != nil || w == nil {
		return false, err
	}
	err = c.do(ctx, call{op: joinOp("remove webhook for", url), method: "DELETE",
		path: "/odata/Webhooks(" + itoa(w.ID) + ")"})
	if errors.Is(err, ErrNotFound) {
		return false, nil // removed meanwhile
	}
	return err == nil, err
}

func (c *Client) findWebhook(ctx context.Context, url string) (*Webhook, error) {
	list, err := c.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if strings.EqualFold(strings.TrimRight(list[i].URL, "/"), strings.TrimRight(url, "/")) {
			return &list[i], nil
		}
	}
	return nil, nil
}

// jobEvents is JobEventTypes less those the Orchestrator does not know
// (19.10 has no job.suspended or job.resumed).
func jobEvents(known []string) []WebhookEvent {
	var out []WebhookEvent
	for _, t := range JobEventTypes {
		if slices.Contains(known, t) {
			out = append(out, WebhookEvent{EventType: t})
		}
	}
	return out
}
