// Package orchestrator connects robotbridge to a UiPath Orchestrator
// (on-premises 19.10 and later, Automation Suite, Automation Cloud) over
// its REST/OData API.
//
// # Parts
//
//   - Profile and Store: connection profiles in connections.json in the
//     config directory, written atomically, never holding a secret.
//   - Secrets: passwords, client secrets and tokens in the OS keyring
//     (service "robotbridge", one entry per profile and kind), split into
//     chunks when a platform limits the size of one entry.
//   - Client: authenticated calls (on-premises account sign-in, OAuth2
//     client credentials, personal access token), HTTPS only, certificate
//     checks with the system roots, an optional CA bundle and an optional
//     pinned certificate; folders, releases with argument schemas, jobs,
//     packages.
//   - Follower: batched status polling of many jobs; states pushed by
//     webhooks through the relay (push.go) make news arrive sooner and
//     slow the polling down to a reconciliation rate.
//   - Webhooks: registering the relay's webhook (webhooks.go).
//   - Diagnose: the connection checklist behind `robotbridge doctor`.
//
// docs/orchestrator.md explains the decisions; the API facts are in the
// shared spec orchestrator-api.md.
package orchestrator
