package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// appendEmergencyMerge records an emergency change on repo#pr as the server does: the
// declaration, then the merge carrying the decision whose active declaration waived
// approval; reviewed adds the pir record that closes its review.
func appendEmergencyMerge(t *testing.T, st interface {
	Append(context.Context, store.Record) (store.Record, error)
}, repo string, pr int, ref string, due time.Time, reviewed bool) {
	t.Helper()
	ctx := context.Background()
	decl := policy.Declaration{By: "ivan", At: due.Add(-72 * time.Hour).Format(time.RFC3339), Reference: ref, Reason: "<b>down</b>", HeadSHA: fmt.Sprintf("%040d", 77), CommentID: int64(pr)}
	raw, _ := json.Marshal(decl)
	d := policy.Decision{Outcome: policy.OutcomePass, Title: "emergency change " + ref, Rules: []policy.RuleResult{},
		Emergency: &policy.EmergencyResult{Active: 0, Declarations: []policy.DeclarationResult{{Declaration: decl, Status: policy.DeclarationAccepted,
			Rules: []string{"four eyes"}, ReviewDue: due.Format(time.RFC3339)}}}}
	recs := []store.Record{
		{Kind: store.KindEmergency, Repository: repo, PR: pr, SHA: decl.HeadSHA, Actor: "ivan", Outcome: "declared", Facts: raw},
		{Kind: store.KindMerge, Repository: repo, PR: pr, SHA: fmt.Sprintf("%040d", 78), Actor: "merger", Outcome: "pass", Decision: d.JSON(), Facts: json.RawMessage(`{"merged_by":"merger"}`)},
	}
	if reviewed {
		rr := policy.ReviewResult{Closed: true, Reviewers: []string{"bob"}, Rules: []policy.RuleResult{}}
		recs = append(recs, store.Record{Kind: store.KindPIR, Repository: repo, PR: pr, SHA: decl.HeadSHA, Actor: "bob", Outcome: "closed", Decision: rr.JSON()})
	}
	for _, r := range recs {
		if _, err := st.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}

// The exceptions page lists emergency changes with the state of their review after the
// fact (open, overdue, closed), escaped, and only those of repositories the user may see.
func TestExceptionsShowEmergencyChanges(t *testing.T) {
	w := newWorld(t)
	appendEmergencyMerge(t, w.st, "acme/pay", 40, "INC-40", w.clock().Add(-time.Hour), false) // overdue
	appendEmergencyMerge(t, w.st, "acme/web", 41, "INC-41", w.clock().Add(time.Hour), false)  // open
	appendEmergencyMerge(t, w.st, "acme/web", 42, "INC-42", w.clock().Add(-time.Hour), true)  // closed
	appendEmergencyMerge(t, w.st, "globex/secret", 43, "INC-43", w.clock().Add(time.Hour), false)

	b := w.browser()
	if code, body, _ := read(t, b.login("olivia")); code != 200 {
		t.Fatalf("login: %d\n%s", code, body)
	}
	code, body, _ := b.get("/console/exceptions?" + period())
	if code != 200 {
		t.Fatalf("exceptions: %d\n%s", code, body)
	}
	for _, want := range []string{"emergency · overdue", "INC-40", "emergency · open", "INC-41", "emergency · closed", "INC-42",
		"Reviewed after the fact by bob", "&lt;b&gt;down&lt;/b&gt;", `/console/changes/acme/pay/pull/40`} {
		if !strings.Contains(body, want) {
			t.Errorf("exceptions page lacks %q", want)
		}
	}
	if strings.Contains(body, "INC-43") || strings.Contains(body, "<b>down</b>") {
		t.Error("the page shows another org's emergency change, or unescaped declarer text")
	}
	_, open, _ := b.get("/console/exceptions?open=1&" + period())
	if strings.Contains(open, "INC-42") || !strings.Contains(open, "INC-40") {
		t.Error("open=1 must hide the reviewed emergency change and keep the overdue one")
	}
}
