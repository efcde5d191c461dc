package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// drainBacklog is the backlog the drain benchmark keeps in the inbox: the size the soak
// run (100,000 webhooks, docs/performance.md) reaches when webhooks arrive faster than
// they are evaluated.
const drainBacklog = 100_000

// BenchmarkInboxDrainWith100kPending measures what the server's worker loop costs the
// store per delivery while 100,000 deliveries wait in the inbox (SQLite only: the
// default store, and the one whose drain slowed with the backlog). One op:
//
//   - claim1+complete: Claim(1), as the worker does each time a slot frees, then Complete;
//   - claim16+complete: Claim(16), then Complete of each (ns/op is per delivery);
//   - depth: Depth, the inbox-depth gauge's query.
//
// The backlog is filled before the timer starts with drainBacklog+b.N pending rows, so it
// stays at about 100,000 throughout; 1% of them are retries due later, and a few are leased
// by another live replica, as in a real backlog.
func BenchmarkInboxDrainWith100kPending(b *testing.B) {
	for _, tc := range []struct {
		name  string
		claim int // 0: Depth only
	}{{"claim1+complete", 1}, {"claim16+complete", 16}, {"depth", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			be := storetest.New(b, "sqlite")
			st, err := store.Open(context.Background(), be.DSN)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			fillInbox(b, be, drainBacklog+b.N)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			done := 0
			for done < b.N {
				if tc.claim == 0 {
					if _, err := st.Depth(ctx); err != nil {
						b.Fatal(err)
					}
					done++
					continue
				}
				ds, err := st.Claim(ctx, min(tc.claim, b.N-done), time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if len(ds) == 0 {
					b.Fatalf("claimed nothing with %d deliveries pending", drainBacklog+b.N-done)
				}
				for _, d := range ds {
					if err := st.Complete(ctx, d.ID); err != nil {
						b.Fatal(err)
					}
				}
				done += len(ds)
			}
			b.StopTimer()
			unit := "deliveries/s"
			if tc.claim == 0 {
				unit = "depths/s"
			}
			b.ReportMetric(float64(done)/time.Since(start).Seconds(), unit)
		})
	}
}

// fillInbox inserts n deliveries straight into the inbox in one transaction (Enqueue
// would fsync each, which is not what the benchmark measures): n-n/100 pending and due,
// n/100 pending retries due in an hour, and 64 leased by another replica for an hour.
func fillInbox(b *testing.B, be storetest.Backend, n int) {
	b.Helper()
	db := be.Raw(b)
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO inbox (id, event, headers, body, received_at, status, attempts, not_before, lease_until, last_error, lease_token)
		VALUES (?, 'check_run', '{}', ?, ?, ?, 0, ?, ?, '', ?)`)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	later := now.Add(time.Hour).UnixMicro()
	base := now.Add(-time.Duration(n) * time.Millisecond).UnixMicro()
	for i := range n {
		status, notBefore, lease, token := "pending", int64(0), int64(0), ""
		switch {
		case i < 64:
			status, lease, token = "leased", later, "other-replica"
		case i%100 == 50:
			notBefore = later
		}
		if _, err := stmt.Exec(fmt.Sprintf("bench-%07d", i), benchBody, base+int64(i)*1000, status, notBefore, lease, token); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
