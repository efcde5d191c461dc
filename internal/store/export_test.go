package store

import "time"

// SetClock replaces st's clock for a test (leases expire without sleeping).
func SetClock(st Store, clock func() time.Time) { st.(*sqlStore).clock = clock }

// ClaimQuery is the statement st's Claim runs, for the query-plan test.
func ClaimQuery(st Store) string { return st.(*sqlStore).claimQuery() }
