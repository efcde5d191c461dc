// Package backtest answers "what if this policy had been in force?" for the pull requests
// merged in a period, so an admin can tighten a policy without surprising anyone
// (`foureyes policy backtest`). Each merged change is judged by policy.Evaluate from the
// facts it was merged with: the facts recorded in the audit log with its last decision
// and, for changes merged before foureyes was installed, facts gathered from GitHub now,
// within a reserve of the installation's rate limit. It decides nothing itself.
package backtest
