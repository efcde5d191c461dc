// Package deploy is foureyes' deployment gate: the answer to GitHub's custom deployment
// protection rule. For one (workflow run, environment) it gathers the facts of the
// deployment (the SHA, who deployed it, the pull requests that brought it and what
// foureyes recorded when they merged, the checks on the SHA), judges them by the
// deployments section of the default branch's policy, appends the decision to the audit
// log, and only then approves or rejects the deployment on GitHub.
//
// The gate answers at most once per (run, environment): a redelivery, a retry after
// GitHub failed to take the answer, or a second replica reuse the recorded decision.
package deploy
