// Package chaos holds the fleet's chaos tests: several real foureyes processes (the
// binary built from cmd/foureyes, started as subprocesses) behind a round-robin proxy, on
// a PostgreSQL cluster the test starts itself, with the fake GitHub of internal/githubtest;
// during a load of signed webhooks one replica is killed with SIGKILL and restarted,
// PostgreSQL is restarted, and GitHub answers 502 to a share of requests. Afterwards the
// test checks the fleet's invariants: every PR's check shows its final decision, one
// check run per head SHA, one record per fact, a chain that verifies, and no acknowledged
// delivery lost or failed. It has no code outside its tests.
package chaos
