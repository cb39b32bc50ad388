// Package relay forwards UiPath Orchestrator webhook calls to robotbridge
// engines that cannot be reached from the Orchestrator (a desktop behind
// NAT). It has two sides.
//
// # The relay server
//
// Server runs where the Orchestrator can reach it (`robotbridge relay`).
// It accepts webhook calls over HTTPS (plain HTTP only on a loopback
// address, for development), and for each call in this order:
//
//  1. checks the source address against the allowlist (empty: any), taking
//     X-Forwarded-For into account only from trusted proxies;
//  2. reads the body up to a size cap;
//  3. verifies the X-UiPath-Signature header, base64 of HMAC-SHA256 over
//     the raw body, in constant time, against each configured secret;
//  4. parses the job metadata leniently (Job or Jobs, unknown fields);
//  5. answers 202 and queues the event; nothing slow happens before the
//     answer, since the Orchestrator switches a slow or failing webhook off
//     for an hour.
//
// One goroutine then drops events whose EventId was seen within the
// de-duplication window (48 h; the ids survive a restart in the state
// directory, metadata only), collapses the per-folder twins the
// Orchestrator sends for one job change, drops events that would move a
// job backwards, numbers the rest and offers them to the subscribers.
//
// Subscribers are engines that connect out over a websocket with their
// own token (Authorization header, checked in constant time before the
// upgrade) and subscribe to a tenant and folders. Each subscriber has a
// bounded buffer that holds only job metadata until the subscriber
// acknowledges it, so a reconnecting engine resumes after the last event
// it saw; one that falls too far behind, or a relay that restarted, is
// told to resync (poll). A subscriber that does not read is cut off
// without slowing the others.
//
// # The engine side
//
// Subscriber connects out to a relay, reconnects with backoff and jitter,
// resumes after the last event, and hands events to a Sink; FollowerSink
// feeds an orchestrator.Follower, which then polls only at its
// reconciliation rate while the relay is up.
//
// docs/relay.md tells how to deploy it.
package relay
