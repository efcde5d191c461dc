// Package facts gathers the Facts of a pull request, or of a commit being deployed, from
// GitHub's REST API (go-github v60), so that the policy package can stay pure.
//
// Cost is the design constraint: every webhook can trigger an evaluation, and an
// installation has 5,000-15,000 requests an hour. So:
//   - data that cannot change is cached in memory by SHA (the commits of a head SHA, the
//     files between a head and a base SHA) and never fetched twice;
//   - data that can change (the PR, reviews, checks, statuses) is fetched every time, through
//     the caller's caching client (go-githubapp's WithClientCaching), so an unchanged answer
//     is a 304 that costs no rate limit;
//   - repository permission and team membership are fetched only for the users the policy
//     says matter, and cached for a short TTL;
//   - requests are made one after the other: GitHub asks integrations to serialise requests
//     per installation, and its secondary limits punish bursts.
//
// Every gather returns Stats, so the server can export request counts as metrics without
// this package owning a registry.
package facts
