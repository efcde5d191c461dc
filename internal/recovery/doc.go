// Package recovery finds the work that webhooks never brought and puts it back on the normal
// path.
//
// GitHub never retries a failed webhook and keeps failed deliveries for only three days, and
// a server that was down, slow (over the 10 s budget) or mid-deploy misses events for good.
// Two loops close that gap:
//
//   - the Reconciler pages the App's hook deliveries (GET /app/hook/deliveries) and asks
//     GitHub to redeliver every GUID that has no successful attempt and is not in the inbox;
//     redelivered events then take the same signed path as any webhook;
//   - the Sweeper lists the open pull requests of every installed repository and re-evaluates
//     those whose foureyes check run is missing, stuck in progress, older than the last event
//     the store knows, or about to go stale (14 days).
//
// Loops runs both on their intervals on exactly one replica, chosen by Store.TryLead.
package recovery
