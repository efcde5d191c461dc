package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// The same fact appended twice, by one store or by two replicas at once, is one record;
// the second Append returns the first record.
func TestAppendIsIdempotentOnFactKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a, c := open(t, b), open(t, b)
		push := store.Record{Kind: store.KindPush, DeliveryID: "d-1", Repository: "acme/pay", SHA: "abc", Outcome: "recorded",
			FactKey: "push:d-1:acme/pay:abc", Facts: []byte(`{"pusher":"alice"}`)}
		first, err := a.Append(ctx, push)
		must(t, err)
		again, err := c.Append(ctx, push)
		must(t, err)
		if again.Seq != first.Seq || again.Hash != first.Hash || string(again.Facts) != `{"pusher":"alice"}` {
			t.Fatalf("second append = #%d %s, want the first record #%d %s", again.Seq, again.Hash, first.Seq, first.Hash)
		}
		// Two replicas racing on 20 facts, each twice: 20 records, a gap-free chain.
		var wg sync.WaitGroup
		for _, st := range []store.Store{a, c, a, c} {
			wg.Add(1)
			go func(st store.Store) {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					r := store.Record{Kind: store.KindMerge, DeliveryID: fmt.Sprintf("m-%d", i), Repository: "acme/pay", PR: i,
						Outcome: "pass", FactKey: fmt.Sprintf("merge:m-%d", i)}
					if _, err := st.Append(ctx, r); err != nil {
						t.Error(err)
					}
				}
			}(st)
		}
		wg.Wait()
		// And keys inside one batch: the group commit takes concurrent appends together.
		var recs [8]store.Record
		for i := range recs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var err error
				recs[i], err = a.Append(ctx, store.Record{Kind: store.KindViolation, Repository: "acme/pay", Outcome: "violation", FactKey: "violation:same"})
				if err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		for _, r := range recs {
			if r.Seq != recs[0].Seq {
				t.Fatalf("one fact got records #%d and #%d", recs[0].Seq, r.Seq)
			}
		}
		counts := map[store.Kind]int{}
		var prev int64
		must(t, a.Scan(ctx, 0, func(r store.Record) error {
			counts[r.Kind]++
			if r.Seq != prev+1 {
				t.Errorf("chain gap: #%d after #%d", r.Seq, prev)
			}
			prev = r.Seq
			return nil
		}))
		if counts[store.KindPush] != 1 || counts[store.KindMerge] != 20 || counts[store.KindViolation] != 1 {
			t.Fatalf("records per kind = %v, want push 1, merge 20, violation 1", counts)
		}
		// Records without a key are not deduplicated.
		for i := 0; i < 2; i++ {
			_, err := a.Append(ctx, store.Record{Kind: store.KindInstallation, Outcome: "created"})
			must(t, err)
		}
		n := 0
		must(t, a.Query(ctx, store.Filter{Kinds: []store.Kind{store.KindInstallation}}, func(store.Record) error { n++; return nil }))
		if n != 2 {
			t.Fatalf("%d keyless records, want 2", n)
		}
	})
}

// Only the store that claimed a delivery renews its lease; once another replica took it
// over after expiry, the first learns it lost it.
func TestRenewExtendsOnlyOwnLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a, c := open(t, b), open(t, b)
		clock := time.Now()
		store.SetClock(a, func() time.Time { return clock })
		store.SetClock(c, func() time.Time { return clock })
		for _, id := range []string{"x", "y"} {
			_, err := a.Enqueue(ctx, store.Delivery{ID: id, Event: "ping"})
			must(t, err)
		}
		got, err := a.Claim(ctx, 2, time.Minute)
		must(t, err)
		if len(got) != 2 || got[0].LeaseHolder == "" {
			t.Fatalf("claimed %+v", got)
		}
		clock = clock.Add(50 * time.Second)
		lost, err := a.Renew(ctx, []string{"x", "y"}, time.Minute)
		must(t, err)
		if len(lost) != 0 {
			t.Fatalf("lost %v right after claiming", lost)
		}
		clock = clock.Add(50 * time.Second) // past the first lease, inside the renewed one
		if stolen, err := c.Claim(ctx, 2, time.Minute); err != nil || len(stolen) != 0 {
			t.Fatalf("another replica claimed renewed leases: %v %v", stolen, err)
		}
		if lost, err := c.Renew(ctx, []string{"x"}, time.Minute); err != nil || len(lost) != 1 {
			t.Fatalf("a replica renewed a lease it does not hold: lost=%v err=%v", lost, err)
		}
		must(t, a.Complete(ctx, "y"))
		clock = clock.Add(2 * time.Minute) // x's lease expires: c takes it over
		stolen, err := c.Claim(ctx, 2, time.Minute)
		must(t, err)
		if len(stolen) != 1 || stolen[0].ID != "x" {
			t.Fatalf("takeover claimed %+v, want x", stolen)
		}
		lost, err = a.Renew(ctx, []string{"x", "y"}, time.Minute)
		must(t, err)
		if len(lost) != 2 {
			t.Fatalf("lost = %v, want x (taken over) and y (done)", lost)
		}
	})
}

// A lock is held by one store at a time across replicas; a waiter gets it on release;
// a waiter that gives up leaves nothing held.
func TestLockAcrossReplicas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a := open(t, b)
		c := a
		if b.Name == "postgres" {
			c = open(t, b) // a second replica; SQLite has one process, one store
		}
		l, err := a.Lock(ctx, "eval:acme/pay#1")
		must(t, err)
		if _, ok, err := c.TryLock(ctx, "eval:acme/pay#1"); err != nil || ok {
			t.Fatalf("TryLock of a held lock = %v, %v", ok, err)
		}
		other, ok, err := c.TryLock(ctx, "eval:acme/pay#2")
		if err != nil || !ok {
			t.Fatalf("another name: %v %v", ok, err)
		}
		other.Release()
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := c.Lock(short, "eval:acme/pay#1"); err == nil {
			t.Fatal("Lock of a held lock returned before the holder released it")
		}
		got := make(chan store.Lock, 1)
		go func() {
			l2, err := c.Lock(ctx, "eval:acme/pay#1")
			if err != nil {
				t.Errorf("waiter: %v", err)
			}
			got <- l2
		}()
		select {
		case <-got:
			t.Fatal("waiter got the lock while it was held")
		case <-time.After(150 * time.Millisecond):
		}
		must(t, l.Check(ctx))
		l.Release()
		select {
		case <-l.Lost():
		default:
			t.Error("Lost not closed on release")
		}
		if err := l.Check(ctx); !errors.Is(err, store.ErrLockLost) {
			t.Errorf("Check after release = %v, want ErrLockLost", err)
		}
		select {
		case l2 := <-got:
			if l2 != nil {
				l2.Release()
			}
		case <-time.After(10 * time.Second):
			t.Fatal("waiter never got the released lock")
		}
	})
}

// When a lock's session is killed (a failover), Check says so and Lost closes: the
// holder knows it may no longer hold it. Another replica can then take it.
func TestLockLostWithItsSession(t *testing.T) {
	b := storetest.New(t, "postgres")
	u, err := url.Parse(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprintf("fleet-lock-%d", time.Now().UnixNano())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	a, err := store.Open(ctx, u.String())
	must(t, err)
	defer a.Close()
	c := open(t, b)
	l, err := a.Lock(ctx, "lead:foureyes-recovery")
	must(t, err)
	var killed int
	must(t, b.Raw(t).QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed))
	if killed == 0 {
		t.Fatal("no session terminated")
	}
	select {
	case <-l.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed after the lock's session was killed")
	}
	if err := l.Check(ctx); !errors.Is(err, store.ErrLockLost) || !store.IsTransient(err) {
		t.Fatalf("Check = %v, want a transient ErrLockLost", err)
	}
	l2, ok, err := c.TryLock(ctx, "lead:foureyes-recovery")
	if err != nil || !ok {
		t.Fatalf("another replica could not take the lost lock: %v %v", ok, err)
	}
	l2.Release()
	l.Release() // after loss: nothing to do, no panic
}
