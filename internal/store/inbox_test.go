package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func delivery(id string, at time.Time) store.Delivery {
	return store.Delivery{ID: id, Event: "pull_request", Headers: map[string][]string{"X-GitHub-Event": {"pull_request"}},
		Body: []byte(`{"action":"opened"}`), ReceivedAt: at}
}

func TestInboxEnqueueDedupe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for _, tc := range []struct {
			name  string
			setup func(id string)
			want  bool
		}{
			{"new", func(string) {}, true},
			{"pending duplicate", func(id string) { mustEnqueue(t, st, id, t0) }, false},
			{"leased duplicate", func(id string) { mustEnqueue(t, st, id, t0); claimAll(t, st) }, false},
			{"done duplicate", func(id string) { mustEnqueue(t, st, id, t0); claimAll(t, st); must(t, st.Complete(ctx, id)) }, false},
			{"failed is re-enqueued", func(id string) { mustEnqueue(t, st, id, t0); claimAll(t, st); must(t, st.Fail(ctx, id, "boom")) }, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := "d-" + tc.name
				tc.setup(id)
				got, err := st.Enqueue(ctx, delivery(id, t0))
				if err != nil || got != tc.want {
					t.Fatalf("Enqueue = %v, %v; want %v", got, err, tc.want)
				}
				if tc.want {
					d, err := st.GetDelivery(ctx, id)
					if err != nil || d.Status != store.DeliveryPending {
						t.Fatalf("after enqueue: %+v, %v; want pending", d, err)
					}
					if string(d.Body) != `{"action":"opened"}` || d.Headers["X-GitHub-Event"][0] != "pull_request" || !d.ReceivedAt.Equal(t0) {
						t.Fatalf("delivery not stored as given: %+v", d)
					}
				}
			})
		}
		if _, err := st.GetDelivery(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetDelivery(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestInboxClaimLeaseRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		store.SetClock(st, func() time.Time { return clock })
		for i := range 3 {
			mustEnqueue(t, st, fmt.Sprintf("d%d", i), clock.Add(time.Duration(i)*time.Second))
		}
		got := ids(claim(t, st, 2, time.Minute))
		if fmt.Sprint(got) != "[d0 d1]" {
			t.Fatalf("first claim = %v, want oldest two [d0 d1]", got)
		}
		if d, _ := st.GetDelivery(ctx, "d0"); d.Status != store.DeliveryLeased || !d.LeaseUntil.Equal(clock.Add(time.Minute)) {
			t.Fatalf("claimed delivery: %+v, want leased until +1m", d)
		}
		if got := ids(claim(t, st, 5, time.Minute)); fmt.Sprint(got) != "[d2]" {
			t.Fatalf("second claim = %v, want [d2] (d0, d1 are leased)", got)
		}
		if n, err := st.Depth(ctx); err != nil || n != 3 {
			t.Fatalf("Depth = %d, %v; want 3", n, err)
		}
		// d1 is retried later, d2 released, d0 completed.
		must(t, st.Retry(ctx, "d1", clock.Add(10*time.Minute), "rate limited"))
		must(t, st.Release(ctx, "d2"))
		must(t, st.Complete(ctx, "d0"))
		if got := ids(claim(t, st, 5, time.Minute)); fmt.Sprint(got) != "[d2]" {
			t.Fatalf("claim after retry/release = %v, want [d2] (d1 not due)", got)
		}
		d1, _ := st.GetDelivery(ctx, "d1")
		if d1.Attempts != 1 || d1.LastError != "rate limited" || d1.Status != store.DeliveryPending {
			t.Fatalf("retried delivery: %+v", d1)
		}
		// The lease of d2 expires and the retry of d1 falls due.
		clock = clock.Add(11 * time.Minute)
		if got := ids(claim(t, st, 5, time.Minute)); fmt.Sprint(got) != "[d1 d2]" {
			t.Fatalf("claim after expiry = %v, want [d1 d2]", got)
		}
		if n, _ := st.Depth(ctx); n != 2 {
			t.Fatalf("Depth = %d, want 2", n)
		}
		if err := st.Complete(ctx, "unknown"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Complete(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestInboxConcurrentClaimers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := open(t, b)
		const n = 200
		t0 := time.Now().Add(-time.Hour)
		for i := range n {
			mustEnqueue(t, st, fmt.Sprintf("d%03d", i), t0)
		}
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for range 8 {
			wg.Go(func() {
				for {
					ds, err := st.Claim(context.Background(), 3, time.Hour)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct deliveries, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("delivery %s claimed %d times", id, c)
			}
		}
	})
}

func mustEnqueue(t *testing.T, st store.Store, id string, at time.Time) {
	t.Helper()
	if ok, err := st.Enqueue(context.Background(), delivery(id, at)); err != nil || !ok {
		t.Fatalf("enqueue %s = %v, %v", id, ok, err)
	}
}

func claim(t *testing.T, st store.Store, n int, lease time.Duration) []store.Delivery {
	t.Helper()
	ds, err := st.Claim(context.Background(), n, lease)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return ds
}

func claimAll(t *testing.T, st store.Store) { claim(t, st, 1000, time.Hour) }

func ids(ds []store.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
