// Package orchestratortest is a fake UiPath Orchestrator for tests,
// faithful to the shared spec orchestrator-api.md: an HTTPS server with a
// test CA of its own, users with permissions, external apps with scopes,
// personal access tokens, nested folders (non-ASCII names included),
// releases with versions and argument schemas, jobs that move through
// states on a fake clock, the spec's error shapes, rate limits and token
// expiry on demand, request counts per endpoint, and webhooks that deliver
// signed job events with faults on demand. It also has a fake OS keyring.
//
// It listens on loopback only.
package orchestratortest
