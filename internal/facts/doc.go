// Package facts gathers the Facts of a pull request, or of a commit being deployed, from
// GitHub's REST API (go-github v60), so that the policy package can stay pure.
//
// Cost is the design constraint: every webhook can trigger an evaluation, and an
// installation has 5,000-15,000 requests an hour. So:
//   - data that cannot change is cached in memory by SHA (the commits of a head SHA, the
//     files between a head and a base SHA) and never fetched twice;
//   - the commits and the files of a head are ONE request, GitHub's compare of the PR's
//     base and head SHAs, whenever its answer is complete; the PR's commits and files
//     endpoints are read instead when it is not (more than 250 commits or the commit cap,
//     300 files or more, no files in the answer, a 404/422 such as a base SHA that was
//     force-pushed away) (compare.go);
//   - data that can change (the PR, reviews, checks, statuses) is fetched every time, through
//     the caller's caching client (go-githubapp's WithClientCaching), so an unchanged answer
//     is a 304 that costs no rate limit;
//   - repository permission and team membership are fetched only for the users the policy
//     says matter, and cached for a short TTL;
//   - a pull request's gather reads the PR first (unless given), then its independent
//     reads at once (commits and files, reviews, check runs and statuses), then the users
//     the policy names: a handful of requests in flight, not a burst that GitHub's
//     secondary limits punish.
//
// Every gather returns Stats, so the server can export request counts as metrics without
// this package owning a registry.
package facts
