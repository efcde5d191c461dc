package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func TestPushes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		pushes := []store.Push{
			{Repo: "o/r", Ref: "feat", PR: 0, Before: "a", After: "b", Pusher: "alice", At: t0, DeliveryID: "d1"},
			{Repo: "o/r", Ref: "feat", PR: 7, Before: "b", After: "c", Pusher: "bob", At: t0.Add(time.Minute), DeliveryID: "d2"},
			{Repo: "o/r", Ref: "other", PR: 7, Before: "c", After: "d", Pusher: "carol", At: t0.Add(2 * time.Minute), DeliveryID: "d3"},
			{Repo: "o/r", Ref: "main", PR: 0, Before: "x", After: "y", Pusher: "dave", At: t0, DeliveryID: "d4"},
			{Repo: "o/x", Ref: "feat", PR: 7, Before: "a", After: "b", Pusher: "erin", At: t0, DeliveryID: "d5"},
		}
		for _, p := range append(pushes, pushes[1]) { // the duplicate is one push
			must(t, st.RecordPush(ctx, p))
		}
		for _, tc := range []struct {
			pr   int
			ref  string
			want string
		}{
			{7, "feat", "[alice bob carol]"},
			{7, "", "[bob carol]"},
			{0, "feat", "[alice bob]"},
			{0, "main", "[dave]"},
			{9, "none", "[]"},
		} {
			got, err := st.ListPushes(ctx, "o/r", tc.pr, tc.ref)
			must(t, err)
			var who []string
			for _, p := range got {
				who = append(who, p.Pusher)
			}
			if fmt.Sprint(who) != tc.want {
				t.Errorf("ListPushes(o/r, %d, %q) = %v, want %s", tc.pr, tc.ref, who, tc.want)
			}
		}
		got, _ := st.ListPushes(ctx, "o/r", 0, "main")
		if len(got) != 1 || got[0] != pushes[3] {
			t.Fatalf("push not stored as given: %+v", got)
		}
	})
}

func TestPRs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for _, pr := range []store.PR{
			{Repo: "o/r", Number: 1, InstallationID: 5, HeadSHA: "s1", HeadRef: "f1", BaseRef: "main", Open: true, LastEventAt: t0},
			{Repo: "o/r", Number: 2, InstallationID: 5, HeadSHA: "s1", HeadRef: "f2", BaseRef: "main", Open: true, LastEventAt: t0},
			{Repo: "o/r", Number: 3, InstallationID: 5, HeadSHA: "s1", HeadRef: "f3", BaseRef: "main", Open: false, LastEventAt: t0},
			{Repo: "a/b", Number: 9, InstallationID: 6, HeadSHA: "s9", HeadRef: "f9", BaseRef: "main", Open: true, LastEventAt: t0},
			{Repo: "o/r", Number: 2, InstallationID: 5, HeadSHA: "s2", HeadRef: "f2", BaseRef: "main", Open: true, LastEventAt: t0.Add(time.Hour)},
		} {
			must(t, st.UpsertPR(ctx, pr))
		}
		pr, err := st.GetPR(ctx, "o/r", 2)
		must(t, err)
		want := store.PR{Repo: "o/r", Number: 2, InstallationID: 5, HeadSHA: "s2", HeadRef: "f2", BaseRef: "main", Open: true, LastEventAt: t0.Add(time.Hour)}
		if pr != want {
			t.Fatalf("GetPR = %+v, want the upserted %+v", pr, want)
		}
		if _, err := st.GetPR(ctx, "o/r", 99); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetPR(unknown) = %v, want ErrNotFound", err)
		}
		list := func(prs []store.PR, err error) string {
			must(t, err)
			var s []string
			for _, p := range prs {
				s = append(s, fmt.Sprintf("%s#%d", p.Repo, p.Number))
			}
			return fmt.Sprint(s)
		}
		for _, tc := range []struct{ got, want string }{
			{list(st.OpenPRsByHead(ctx, "o/r", "s1")), "[o/r#1]"},
			{list(st.OpenPRs(ctx, "o/r")), "[o/r#1 o/r#2]"},
			{list(st.OpenPRs(ctx, "")), "[a/b#9 o/r#1 o/r#2]"},
		} {
			if tc.got != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		}
	})
}

func TestCheckRunsAndCheckpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		if _, err := st.GetCheckRun(ctx, "o/r", "s", "foureyes"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetCheckRun(unknown) = %v, want ErrNotFound", err)
		}
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		c := store.CheckRun{Repo: "o/r", SHA: "s", Name: "foureyes", ID: 42, Status: "in_progress", Fingerprint: "f1", UpdatedAt: t0}
		must(t, st.PutCheckRun(ctx, c))
		c.Status, c.Conclusion, c.Fingerprint = "completed", "success", "f2"
		must(t, st.PutCheckRun(ctx, c))
		got, err := st.GetCheckRun(ctx, "o/r", "s", "foureyes")
		if err != nil || got != c {
			t.Fatalf("GetCheckRun = %+v, %v; want %+v", got, err, c)
		}

		if v, err := st.GetCheckpoint(ctx, "sweeper"); err != nil || v != "" {
			t.Fatalf("unset checkpoint = %q, %v", v, err)
		}
		must(t, st.SetCheckpoint(ctx, "sweeper", "1"))
		must(t, st.SetCheckpoint(ctx, "sweeper", "2"))
		if v, err := st.GetCheckpoint(ctx, "sweeper"); err != nil || v != "2" {
			t.Fatalf("checkpoint = %q, %v; want 2", v, err)
		}
		must(t, st.Ping(ctx))
	})
}

func TestTryLead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a, c := open(t, b), open(t, b) // two replicas
		relA, ok, err := a.TryLead(ctx, "sweeper")
		if err != nil || !ok {
			t.Fatalf("first TryLead = %v, %v", ok, err)
		}
		if b.Name == "sqlite" {
			relA()
			return // the single process always leads
		}
		if _, ok, err := c.TryLead(ctx, "sweeper"); err != nil || ok {
			t.Fatalf("second replica took the held lock: %v, %v", ok, err)
		}
		if rel, ok, err := c.TryLead(ctx, "other"); err != nil || !ok {
			t.Fatalf("another name is free: %v, %v", ok, err)
		} else {
			rel()
		}
		relA()
		relC, ok, err := c.TryLead(ctx, "sweeper")
		if err != nil || !ok {
			t.Fatalf("after release: %v, %v", ok, err)
		}
		relC()
		// A holder that dies without releasing (SIGKILL) loses the lock with its session.
		child := startChild(t, b, "lead", 0)
		if line := child.next(t); line != "leading" {
			t.Fatalf("child: %q, want leading", line)
		}
		if _, ok, _ := c.TryLead(ctx, "sweeper"); ok {
			t.Fatal("took the lock a live process holds")
		}
		child.kill(t)
		if !eventually(func() bool {
			rel, ok, _ := c.TryLead(ctx, "sweeper")
			if ok {
				rel()
			}
			return ok
		}) {
			t.Fatal("lock not free after its holder was killed")
		}
	})
}
