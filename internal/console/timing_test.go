package console_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// TestQueryTimings prints how long each console query takes on a large log (a tool for
// tuning, not a test of speed: it only runs with FOUREYES_BENCH_RECORDS set).
func TestQueryTimings(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("FOUREYES_BENCH_RECORDS"))
	if err != nil || n <= 0 {
		t.Skip("set FOUREYES_BENCH_RECORDS")
	}
	for _, name := range []string{os.Getenv("FOUREYES_BENCH_BACKEND")} {
		be := storetest.New(t, name)
		st, err := store.OpenChain(context.Background(), be.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		bulkLoad(t, be, n)
		ctx := context.Background()
		all := store.Scope{Orgs: []string{"org0", "org1", "org2", "org3", "org4"}}
		q2 := store.Period{Since: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
		time1 := func(what string, fn func() error) {
			start := time.Now()
			if err := fn(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%-40s %v", what, time.Since(start).Round(10*time.Microsecond))
		}
		for range 2 {
			time1("posture", func() error { _, err := st.PostureOf(ctx, all, q2); return err })
			for _, q := range []store.PopulationQuery{
				{Scope: all, Period: q2, Limit: 51},
				{Scope: all, Period: q2, Repo: "org1/repo1", Kinds: []store.Kind{store.KindMerge}, Limit: 51},
				{Scope: all, Period: q2, Actor: "user7", Limit: 51},
				{Scope: all, Period: q2, Kinds: []store.Kind{store.KindPRDecision}, Outcome: "fail", Limit: 51},
				{Scope: store.Scope{Repos: []string{"org1/repo1", "org2/repo2"}}, Period: q2, Actor: "user1", Limit: 51},
			} {
				time1("population "+q.Repo+q.Actor+q.Outcome, func() error { _, err := st.Population(ctx, q); return err })
				time1("count "+q.Repo+q.Actor+q.Outcome, func() error { _, err := st.CountPopulation(ctx, q); return err })
			}
			time1("exceptions open", func() error { _, err := st.Exceptions(ctx, all, q2, true, 500); return err })
		}
	}
}
