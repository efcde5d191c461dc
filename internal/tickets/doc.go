// Package tickets reads change tickets from Jira (Cloud REST v3, Data Center REST v2, Jira
// Service Management approvals) and ServiceNow (Table API change_request and
// sysapproval_approver) as policy.TicketSnapshot facts, and receives their webhooks.
//
// It exists because a ticket reference in a pull request only means something to an
// auditor when the ticket is real, approved, approved by someone independent of the code,
// and (for a deployment) inside its planned window. This package only reads and records:
// every verdict is made by policy/ from the snapshot, so a recorded decision can be
// re-derived without asking Jira or ServiceNow again.
//
// The clients are plain net/http and encoding/json (no Go client for either system is
// both maintained and complete), with a timeout per request, a few retries with backoff
// for timeouts, 429 and 5xx, a small TTL cache, and every request counted in
// foureyes_ticket_requests_total. A system that cannot be reached gives a snapshot read
// as "unreachable", which policy turns into pending, never into a pass; a 401/403 is a
// configuration error, logged once. Secrets are never logged or put in a snapshot.
//
// Watcher keeps the check following the ticket: it remembers which open pull requests
// reference which tickets, re-evaluates them when a signed webhook says a ticket changed,
// and polls, at a bounded rate, the tickets that pending or failing pull requests wait on.
// The index is also written to the store (persist.go), so it survives restarts and is
// shared by replicas.
package tickets
