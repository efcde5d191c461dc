package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func TestConsoleSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		s1 := store.Session{TokenHash: "h1", UserID: 7, Login: "ann", CSRF: "c1", CreatedAt: t0, ExpiresAt: t0.Add(8 * time.Hour),
			CheckedAt: t0, Access: json.RawMessage(`{"role":"auditor"}`)}
		s2 := s1
		s2.TokenHash, s2.CSRF = "h2", "c2"
		s3 := s1
		s3.TokenHash, s3.UserID, s3.Login = "h3", 8, "bob"
		for _, s := range []store.Session{s1, s2, s3} {
			must(t, st.CreateSession(ctx, s))
		}
		got, err := st.GetSession(ctx, "h1", t0.Add(time.Hour))
		must(t, err)
		if got.Login != "ann" || got.UserID != 7 || got.CSRF != "c1" || !got.ExpiresAt.Equal(s1.ExpiresAt) || string(got.Access) != `{"role":"auditor"}` {
			t.Fatalf("session = %+v", got)
		}
		if _, err := st.GetSession(ctx, "h1", t0.Add(8*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
		must(t, st.UpdateSessionAccess(ctx, "h1", t0.Add(time.Hour), json.RawMessage(`{"role":"none"}`)))
		got, _ = st.GetSession(ctx, "h1", t0)
		if string(got.Access) != `{"role":"none"}` || !got.CheckedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("updated session = %+v", got)
		}
		n, err := st.DeleteUserSessions(ctx, 7)
		must(t, err)
		if n != 2 {
			t.Fatalf("deleted %d sessions of user 7, want 2", n)
		}
		if _, err := st.GetSession(ctx, "h2", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked session: %v", err)
		}
		must(t, st.DeleteSession(ctx, "h3"))
		if _, err := st.GetSession(ctx, "h3", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("logged out session: %v", err)
		}

		must(t, st.PutLogin(ctx, store.PendingLogin{StateHash: "s", Verifier: "v", ReturnTo: "/console/", CreatedAt: t0}))
		if _, err := st.TakeLogin(ctx, "other", t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown state: %v", err)
		}
		l, err := st.TakeLogin(ctx, "s", t0.Add(-time.Minute))
		must(t, err)
		if l.Verifier != "v" || l.ReturnTo != "/console/" {
			t.Fatalf("login = %+v", l)
		}
		if _, err := st.TakeLogin(ctx, "s", t0.Add(-time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a state is used once: %v", err)
		}
		must(t, st.PutLogin(ctx, store.PendingLogin{StateHash: "old", Verifier: "v", CreatedAt: t0}))
		if _, err := st.TakeLogin(ctx, "old", t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stale state: %v", err)
		}
		must(t, st.PruneSessions(ctx, t0.Add(9*time.Hour), t0))
	})
}

// consoleLog appends a small log over two orgs and returns the store.
func consoleLog(t *testing.T, b storetest.Backend) store.Store {
	ctx := context.Background()
	st := open(t, b)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	store.SetClock(st, func() time.Time { return at })
	add := func(r store.Record) store.Record {
		t.Helper()
		rec, err := st.Append(ctx, r)
		must(t, err)
		return rec
	}
	for i, repo := range []string{"acme/pay", "acme/web", "other/secret", "acmex/pay"} {
		for pr := 1; pr <= 3; pr++ {
			outcome := "pass"
			if pr == 3 {
				outcome = "fail"
			}
			add(store.Record{Kind: store.KindPRDecision, Repository: repo, PR: pr, SHA: fmt.Sprint("h", pr), Actor: "dev", Outcome: outcome, PolicyDigest: "p"})
			add(store.Record{Kind: store.KindMerge, Repository: repo, PR: pr, SHA: fmt.Sprint("m", pr), Actor: "merger", Outcome: outcome})
			if outcome != "pass" {
				add(store.Record{Kind: store.KindViolation, Repository: repo, PR: pr, SHA: fmt.Sprint("m", pr), Actor: "merger", Outcome: "violation"})
			}
		}
		if i == 1 {
			add(store.Record{Kind: store.KindPRDecision, Repository: repo, PR: 9, Outcome: "pass"}) // no policy
			add(store.Record{Kind: store.KindDeploymentDecision, Repository: repo, SHA: "m1", Subject: "run:1/env:prod", Outcome: "rejected"})
			add(store.Record{Kind: store.KindDeploymentEvent, Repository: repo, SHA: "m1", Outcome: "success"}) // bypassed
			add(store.Record{Kind: store.KindDeploymentDecision, Repository: repo, SHA: "m2", Subject: "run:2/env:prod", Outcome: "approved"})
			add(store.Record{Kind: store.KindDeploymentEvent, Repository: repo, SHA: "m2", Outcome: "success"}) // approved: no exception
		}
		at = at.Add(7 * 24 * time.Hour)
	}
	return st
}

func TestConsolePostureAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := consoleLog(t, b)
		q1 := store.Period{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
		p, err := st.PostureOf(ctx, store.Scope{Orgs: []string{"acme"}}, q1)
		must(t, err)
		got := fmt.Sprintf("%+v", p.Repos)
		want := "[{Repo:acme/pay Merged:3 MergedPass:2 Violations:1 DeployApproved:0 DeployRejected:0 Decisions:3 NoPolicy:false Exceptions:1 OpenExceptions:1} " +
			"{Repo:acme/web Merged:3 MergedPass:2 Violations:1 DeployApproved:1 DeployRejected:1 Decisions:4 NoPolicy:true Exceptions:3 OpenExceptions:3}]"
		if got != want {
			t.Fatalf("posture of acme\n got %s\nwant %s", got, want)
		}
		if len(p.Days) != 2 || p.Days[0].Merged != 3 || p.Days[0].MergedPass != 2 {
			t.Fatalf("days = %+v", p.Days)
		}
		// A repository scope sees only itself; the zero scope sees nothing.
		p, _ = st.PostureOf(ctx, store.Scope{Repos: []string{"other/secret"}}, q1)
		if len(p.Repos) != 1 || p.Repos[0].Repo != "other/secret" {
			t.Fatalf("repo scope: %+v", p.Repos)
		}
		p, _ = st.PostureOf(ctx, store.Scope{}, q1)
		if len(p.Repos) != 0 || len(p.Days) != 0 {
			t.Fatalf("empty scope saw %+v", p)
		}
		// The period bounds are days.
		p, _ = st.PostureOf(ctx, store.Scope{Orgs: []string{"acme", "other"}}, store.Period{Since: q1.Since, Until: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)})
		if len(p.Repos) != 1 || p.Repos[0].Repo != "acme/pay" {
			t.Fatalf("first week: %+v", p.Repos)
		}

		// Population: newest first, paged, filtered, scoped.
		q := store.PopulationQuery{Scope: store.Scope{Orgs: []string{"acme"}}, Period: q1, Limit: 4}
		page, err := st.Population(ctx, q)
		must(t, err)
		if len(page) != 4 || page[0].Repository != "acme/web" || page[0].Seq <= page[1].Seq {
			t.Fatalf("page 1: %+v", page)
		}
		n, err := st.CountPopulation(ctx, q)
		must(t, err)
		if n != 19 {
			t.Fatalf("count = %d, want 19", n)
		}
		q.BeforeSeq = page[3].Seq
		page2, _ := st.Population(ctx, q)
		if len(page2) != 4 || page2[0].Seq >= q.BeforeSeq {
			t.Fatalf("page 2: %+v", page2)
		}
		for _, tc := range []struct {
			q    store.PopulationQuery
			want int64
		}{
			{store.PopulationQuery{Scope: store.Scope{Orgs: []string{"acme"}}, Period: q1, Kinds: []store.Kind{store.KindViolation}}, 2},
			{store.PopulationQuery{Scope: store.Scope{Orgs: []string{"acme"}}, Period: q1, Actor: "merger"}, 8},
			{store.PopulationQuery{Scope: store.Scope{Orgs: []string{"acme"}}, Period: q1, Actor: "merger", Outcome: "fail"}, 2},
			{store.PopulationQuery{Scope: store.Scope{Orgs: []string{"acme"}}, Period: q1, Repo: "other/secret"}, 0},
			{store.PopulationQuery{Scope: store.Scope{Repos: []string{"acme/pay"}}, Period: q1, Outcome: "pass"}, 4},
			{store.PopulationQuery{Scope: store.Scope{}, Period: q1}, 0},
		} {
			n, err := st.CountPopulation(ctx, tc.q)
			must(t, err)
			recs, err := st.Population(ctx, tc.q)
			must(t, err)
			if n != tc.want || int64(len(recs)) != min(tc.want, 50) {
				t.Errorf("%+v: count %d, page %d, want %d", tc.q, n, len(recs), tc.want)
			}
			for _, r := range recs {
				if !tc.q.Scope.Allows(r.Repository) {
					t.Errorf("%+v returned %s, outside its scope", tc.q, r.Repository)
				}
			}
		}

		// Exceptions, notes, open ones.
		ex, err := st.Exceptions(ctx, store.Scope{Orgs: []string{"acme"}}, q1, false, 0)
		must(t, err)
		var kinds []string
		for _, e := range ex {
			kinds = append(kinds, e.Repository+":"+e.Exception)
		}
		if fmt.Sprint(kinds) != "[acme/web:bypassed acme/web:rejected acme/web:violation acme/pay:violation]" {
			t.Fatalf("exceptions: %v", kinds)
		}
		_, err = st.Append(ctx, store.Record{Kind: store.KindReviewNote, Repository: ex[0].Repository, Subject: store.ReviewNoteSubject(ex[0].Seq),
			Actor: "audrey", Outcome: "explained", Facts: json.RawMessage(`{"text":"hotfix"}`)})
		must(t, err)
		e, err := st.ExceptionBySeq(ctx, store.Scope{Orgs: []string{"acme"}}, ex[0].Seq)
		must(t, err)
		if len(e.Notes) != 1 || e.Notes[0].Actor != "audrey" || string(e.Notes[0].Facts) != `{"text":"hotfix"}` {
			t.Fatalf("notes: %+v", e.Notes)
		}
		if _, err := st.ExceptionBySeq(ctx, store.Scope{Orgs: []string{"other"}}, ex[0].Seq); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("exception outside scope: %v", err)
		}
		open, _ := st.Exceptions(ctx, store.Scope{Orgs: []string{"acme"}}, q1, true, 0)
		if len(open) != 3 {
			t.Fatalf("open exceptions: %d", len(open))
		}
		p, _ = st.PostureOf(ctx, store.Scope{Orgs: []string{"acme"}}, q1)
		if p.Repos[1].OpenExceptions != 2 {
			t.Fatalf("open exceptions of acme/web after a note: %+v", p.Repos[1])
		}
		// Export filters take the scope too.
		var seen []string
		must(t, st.Query(ctx, store.Filter{Scope: &store.Scope{Repos: []string{"acme/pay"}}, Kinds: []store.Kind{store.KindMerge}}, func(r store.Record) error {
			seen = append(seen, r.Repository)
			return nil
		}))
		if fmt.Sprint(seen) != "[acme/pay acme/pay acme/pay]" {
			t.Fatalf("scoped query: %v", seen)
		}
		seen = nil
		must(t, st.Query(ctx, store.Filter{Actor: "merger", Outcome: "fail"}, func(r store.Record) error {
			seen = append(seen, r.Repository+":"+string(r.Kind))
			return nil
		}))
		if fmt.Sprint(seen) != "[acme/pay:merge acme/web:merge other/secret:merge acmex/pay:merge]" {
			t.Fatalf("actor and outcome filter: %v", seen)
		}
	})
}
