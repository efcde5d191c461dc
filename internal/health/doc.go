// Package health watches whether the control itself is in place: foureyes only gates a
// change if the repository's default branch requires the `foureyes` check, from this app
// (pinned to its id, so another app or a workflow cannot post a green check of the same
// name), and requires pull requests. It reads the rules in force on the default branch
// (repository and org rulesets, through an endpoint that needs only metadata read) and
// classic branch protection (when administration read is granted), classifies the
// repository as enforced, unpinned, missing or unknown, and appends a control_health
// record whenever that state changes, so `foureyes audit health` can show the state over
// any period. It probes at start, daily, and on the ruleset, branch protection and
// repository (default branch changed) webhooks.
package health
