package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
)

// TestRecentDirectPushesBounded: the gate looks at the newest maxDirectPushes direct-push
// violations of the repository, oldest first, and at nothing else (a merge violation, a
// violation of another repository).
func TestRecentDirectPushesBounded(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	add := func(r store.Record) store.Record {
		t.Helper()
		r.Kind, r.Outcome, r.Facts = store.KindViolation, "violation", []byte(`{"pusher":"mallory","commits":[]}`)
		rec, err := st.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	var pushes []int64
	for i := range maxDirectPushes + 5 {
		sha := fmt.Sprintf("%040x", i+1)
		pushes = append(pushes, add(store.Record{Repository: "acme/pay", SHA: sha, Subject: directPushSubject + sha, Actor: "mallory"}).Seq)
		if i%10 == 0 {
			add(store.Record{Repository: "acme/pay", PR: i + 1, SHA: sha, Subject: directPushSubject + sha, Actor: "bob"})   // a PR's: judged with the PR
			add(store.Record{Repository: "acme/pay", SHA: fmt.Sprintf("%040x", 1000+i), Subject: "refused:x", Actor: "bob"}) // not a push
			add(store.Record{Repository: "acme/other", SHA: sha, Subject: directPushSubject + sha, Actor: "mallory"})
		}
	}
	g := &Gate{Store: st}
	got, err := g.recentDirectPushes(ctx, "acme/pay")
	if err != nil {
		t.Fatal(err)
	}
	want := pushes[len(pushes)-maxDirectPushes:]
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i, rec := range got {
		if rec.Seq != want[i] || rec.PR != 0 || rec.Repository != "acme/pay" {
			t.Fatalf("record %d is #%d (PR %d, %s), want #%d", i, rec.Seq, rec.PR, rec.Repository, want[i])
		}
	}
}
