// Package orchestratortest is a fake UiPath Orchestrator for tests,
// faithful to the shared spec orchestrator-api.md: an HTTPS server with a
// test CA of its own, users with permissions, external apps with scopes,
// personal access tokens, nested folders (non-ASCII names included),
// releases with versions and argument schemas, jobs that move through
// states on a fake clock, the spec's error shapes, rate limits and token
// expiry on demand, and request counts per endpoint. It also has a fake
// OS keyring.
//
// It listens on loopback only.
package orchestratortest
