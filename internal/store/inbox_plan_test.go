package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// TestInboxClaimPlanReadsOnlyTheFirstEntriesUnit pins how SQLite runs Claim: in claim
// order from the covering index inbox_open (no sort of the backlog), and the UPDATE by
// primary key (no second scan of it). Either regression made a claim cost time in
// proportion to the backlog: ~140 ms with 100,000 deliveries waiting, which the soak run
// found (BenchmarkInboxDrainWith100kPending measures it). SQLite's planner has no
// statistics here, so the plan depends on the schema and the query alone; PostgreSQL's
// depends on its statistics and is covered by the benchmark's figures in
// docs/performance.md instead.
func TestInboxClaimPlanReadsOnlyTheFirstEntriesUnit(t *testing.T) {
	b := storetest.New(t, "sqlite")
	st := open(t, b)
	rows, err := b.Raw(t).QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+store.ClaimQuery(st),
		1, 1, 16, 2, "holder", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	for _, tc := range []struct {
		what    string
		needle  string
		present bool
	}{
		{"the pick reads inbox_open in claim order", "SCAN inbox USING COVERING INDEX inbox_open", true},
		{"the UPDATE finds the picked rows by key", "(id=?)", true},
		{"no sort of the backlog", "TEMP B-TREE", false},
		{"no scan of the backlog by status", "MULTI-INDEX OR", false},
	} {
		if strings.Contains(text, tc.needle) != tc.present {
			t.Errorf("%s: plan is\n%s", tc.what, text)
		}
	}
}
