package relay

// The subscriber protocol, over a websocket with the subprotocol
// Protocol and the subscriber's token in "Authorization: Bearer TOKEN":
//
//  1. The subscriber sends {"type":"subscribe","tenantId":3,
//     "folderIds":[12,13],"epoch":"...","after":41}: tenant 0 means every
//     tenant the token may see, no folders mean all; epoch and after are
//     the relay run and the last Seq it saw, if any.
//  2. The relay answers {"type":"hello","epoch":"...","resumed":true}.
//     Without "resumed" the subscriber may have missed events and polls.
//  3. The relay sends {"type":"events","events":[JobEvent...]} in Seq
//     order; the subscriber answers {"type":"ack","seq":N} for the last
//     one it handled, and the relay forgets the events up to N.
//  4. {"type":"resync"} says events were dropped (the subscriber fell
//     behind): poll. A subscribe message at any time changes the
//     subscription; {"type":"error","message":"..."} comes before the
//     relay closes a connection it refuses.

// Protocol is the websocket subprotocol of the subscriber API.
const Protocol = "robotbridge.relay.v1"

// SubscribePath is the subscriber endpoint; WebhookPath receives the
// Orchestrator's calls.
const (
	SubscribePath = "/v1/subscribe"
	WebhookPath   = "/webhook"
)

type clientMessage struct {
	Type    string  `json:"type"` // subscribe, ack
	Tenant  int64   `json:"tenantId,omitempty"`
	Folders []int64 `json:"folderIds,omitempty"`
	Epoch   string  `json:"epoch,omitempty"`
	After   uint64  `json:"after,omitempty"`
	Seq     uint64  `json:"seq,omitempty"`
}

type serverMessage struct {
	Type    string     `json:"type"` // hello, events, resync, error
	Epoch   string     `json:"epoch,omitempty"`
	Resumed bool       `json:"resumed,omitempty"`
	Events  []JobEvent `json:"events,omitempty"`
	Message string     `json:"message,omitempty"`
}

// maxClientMessage caps what a subscriber may send in one message.
const maxClientMessage = 16 << 10

// maxBatch is the most events in one events message.
const maxBatch = 256
