package recovery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/recovery"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// noSleep replaces the pause between redeliveries: tests never wait on the clock.
func noSleep(context.Context, time.Duration) error { return nil }

func failed(guid string, ago time.Duration) githubtest.HookDelivery {
	return githubtest.HookDelivery{GUID: guid, DeliveredAt: time.Now().Add(-ago), StatusCode: 503, Action: "submitted"}
}

func ok(guid string, ago time.Duration) githubtest.HookDelivery {
	return githubtest.HookDelivery{GUID: guid, DeliveredAt: time.Now().Add(-ago)}
}

func newReconciler(t *testing.T, gh *githubtest.Server, st store.Store) (*recovery.Reconciler, *recovery.Counts) {
	m, counts := recovery.NewCountMetrics()
	return &recovery.Reconciler{App: appClient(t, gh), Store: st, Sleep: noSleep, Metrics: m, Log: testLog(t)}, counts
}

// TestReconcilerRedeliversOnceAcrossRunsAndRestart is the main case: a failed
// delivery is redelivered once, although the redelivery fails too, across two runs of one
// reconciler and a restart (a new reconciler on the reopened store), on both backends.
func TestReconcilerRedeliversOnceAcrossRunsAndRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		gh := githubtest.New(t)
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable) // the server is still down: redeliveries fail too
		}))
		t.Cleanup(down.Close)
		gh.SetHookTarget(down.URL, "secret")

		body := []byte(`{"action":"submitted"}`)
		a := gh.AddHookDelivery(failed("guid-a", 2*time.Hour), "pull_request_review", body)
		gh.AddHookDelivery(failed("guid-b", 90*time.Minute), "pull_request", body)
		gh.AddHookDelivery(ok("guid-b", 80*time.Minute), "pull_request", body) // redelivered by hand: fine
		gh.AddHookDelivery(ok("guid-c", 70*time.Minute), "pull_request", body)
		gh.AddHookDelivery(failed("guid-d", 60*time.Minute), "check_run", body) // slow 2xx: in the inbox
		gh.AddHookDelivery(failed("guid-old", 73*time.Hour), "pull_request", body)
		gh.AddHookDelivery(failed("guid-f", 50*time.Minute), "pull_request", body)
		f2 := gh.AddHookDelivery(failed("guid-f", 40*time.Minute), "pull_request", body)

		st := openStore(t, b)
		if _, err := st.Enqueue(ctx, store.Delivery{ID: "guid-d", Event: "check_run", Body: body, ReceivedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}

		r, counts := newReconciler(t, gh, st)
		res, err := r.RunOnce(ctx)
		if err != nil {
			t.Fatalf("run 1: %v", err)
		}
		if want := []string{"guid-a", "guid-f"}; !reflect.DeepEqual(res.Redelivered, want) {
			t.Errorf("run 1 redelivered %v, want %v (oldest first)", res.Redelivered, want)
		}
		if want := []string{"guid-d"}; !reflect.DeepEqual(res.InInbox, want) {
			t.Errorf("run 1 in inbox %v, want %v", res.InInbox, want)
		}
		if want := []int64{a.ID, f2.ID}; !reflect.DeepEqual(gh.Redeliveries(), want) {
			t.Errorf("redelivery requests %v, want %v (the newest attempt of each GUID)", gh.Redeliveries(), want)
		}
		if counts.Redelivered.Value() != 2 || counts.DeliveriesFailed.Value() != 2 || counts.DeliveriesSeen.Value() != 7 {
			t.Errorf("metrics seen %d failed %d redelivered %d, want 7 2 2", counts.DeliveriesSeen.Value(),
				counts.DeliveriesFailed.Value(), counts.Redelivered.Value())
		}

		// The redeliveries failed too (the receiver answers 503): run 2 sees their new
		// failed attempts and must not ask again.
		res, err = r.RunOnce(ctx)
		if err != nil {
			t.Fatalf("run 2: %v", err)
		}
		if len(res.Redelivered) != 0 || !slices.Contains(res.AlreadyRequested, "guid-a") || !slices.Contains(res.AlreadyRequested, "guid-f") {
			t.Errorf("run 2 = %+v, want nothing redelivered and guid-a, guid-f already requested", res)
		}

		// Restart: a new reconciler on the reopened store, as after a deploy.
		st.Close()
		st2 := openStore(t, b)
		r2, _ := newReconciler(t, gh, st2)
		r2.Overlap = 3 * time.Hour // reread everything, as a restart after a checkpoint bug would
		res, err = r2.RunOnce(ctx)
		if err != nil {
			t.Fatalf("run after restart: %v", err)
		}
		if len(res.Redelivered) != 0 {
			t.Errorf("after restart redelivered %v, want none", res.Redelivered)
		}
		if got := gh.Redeliveries(); len(got) != 2 {
			t.Errorf("redelivery requests over three runs %v, want exactly 2", got)
		}
	})
}

// TestReconcilerBoundsAndErrors: each case runs the reconciler several times on the same
// store and checks what every run requested.
func TestReconcilerBoundsAndErrors(t *testing.T) {
	type run struct {
		redelivered []string
		refused     []string
		truncated   bool
		errors      int
	}
	pastReset := map[string]string{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}
	for _, tc := range []struct {
		name      string
		failing   []string // GUIDs with one failed attempt, oldest first
		maxPerRun int
		maxPages  int                         // with 2 attempts a page
		setup     func(gh *githubtest.Server) // error injection
		runs      []run
	}{
		{
			name: "bounded per run, oldest first, rest on the next run", failing: []string{"g1", "g2", "g3"}, maxPerRun: 2,
			runs: []run{{redelivered: []string{"g1", "g2"}, truncated: true}, {redelivered: []string{"g3"}}, {}},
		},
		{
			name: "primary rate limit stops the run; next run retries", failing: []string{"g1", "g2"},
			setup: func(gh *githubtest.Server) {
				gh.Fail("POST", "/app/hook/deliveries/*/attempts", http.StatusForbidden, 1, pastReset)
			},
			runs: []run{{truncated: true, errors: 1}, {redelivered: []string{"g1", "g2"}}},
		},
		{
			name: "secondary rate limit stops the run; next run retries", failing: []string{"g1"},
			setup: func(gh *githubtest.Server) {
				gh.Fail("POST", "/app/hook/deliveries/*/attempts", http.StatusForbidden, 1, map[string]string{"Retry-After": "0"})
			},
			runs: []run{{truncated: true, errors: 1}, {redelivered: []string{"g1"}}},
		},
		{
			name: "transient error is retried next run", failing: []string{"g1", "g2"},
			setup: func(gh *githubtest.Server) {
				gh.Fail("POST", "/app/hook/deliveries/*/attempts", http.StatusBadGateway, 1, nil)
			},
			runs: []run{{redelivered: []string{"g2"}, errors: 1}, {redelivered: []string{"g1"}}},
		},
		{
			name: "page limit: what was read is served, the checkpoint stays", failing: []string{"g1", "g2", "g3"}, maxPages: 1,
			runs: []run{{redelivered: []string{"g2", "g3"}, truncated: true}},
		},
		{
			name: "low rate budget: the webhook path keeps what is left", failing: []string{"g1"},
			setup: func(gh *githubtest.Server) { gh.SetRateLimit(50) },
			runs:  []run{{truncated: true}, {truncated: true}},
		},
		{
			name: "refused for good is marked and never retried", failing: []string{"g1"},
			setup: func(gh *githubtest.Server) {
				gh.Fail("POST", "/app/hook/deliveries/*/attempts", http.StatusUnprocessableEntity, 1, nil)
			},
			runs: []run{{refused: []string{"g1"}}, {}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			gh := githubtest.New(t)
			for i, g := range tc.failing {
				gh.AddHookDelivery(failed(g, time.Duration(len(tc.failing)-i)*time.Minute), "pull_request", nil)
			}
			if tc.setup != nil {
				tc.setup(gh)
			}
			st := openStore(t, storetest.New(t, "sqlite"))
			r, _ := newReconciler(t, gh, st)
			r.MaxPerRun = tc.maxPerRun
			if tc.maxPages > 0 {
				r.MaxPages, r.PerPage = tc.maxPages, 2
			}
			for i, want := range tc.runs {
				res, err := r.RunOnce(ctx)
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				got := run{redelivered: res.Redelivered, refused: res.Refused, truncated: res.Truncated != "", errors: res.Errors}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("run %d = %+v, want %+v (truncated %q)", i+1, got, want, res.Truncated)
				}
			}
		})
	}
}

// TestReconcilerPagesBackToTheCheckpoint: the first run pages the whole window, later runs
// stop at the checkpoint, and nothing past the 3-day window is read.
func TestReconcilerPagesBackToTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	gh := githubtest.New(t)
	for i := 0; i < 250; i++ {
		gh.AddHookDelivery(ok("g"+strconv.Itoa(i), time.Duration(250-i)*time.Minute), "pull_request", nil)
	}
	for i := 0; i < 150; i++ { // older than GitHub keeps: never paged past
		gh.AddHookDelivery(ok("old"+strconv.Itoa(i), 80*time.Hour+time.Duration(i)*time.Minute), "pull_request", nil)
	}
	st := openStore(t, storetest.New(t, "sqlite"))
	r, _ := newReconciler(t, gh, st)
	r.PerPage = 100
	listCalls := func() int {
		n := 0
		for _, q := range gh.Requests() {
			if q.Method == "GET" && q.Path == "/app/hook/deliveries" {
				n++
			}
		}
		return n
	}
	for i, want := range []struct{ seen, lists int }{
		{seen: 250, lists: 3}, // the window: 250 in it, the 3rd page reaches the old ones
		{seen: 10, lists: 1},  // the checkpoint minus 10 minutes of overlap
	} {
		gh.ResetRequests()
		res, err := r.RunOnce(ctx)
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if res.Seen != want.seen || listCalls() != want.lists {
			t.Errorf("run %d saw %d attempts in %d pages, want %d in %d", i+1, res.Seen, listCalls(), want.seen, want.lists)
		}
	}
	if cp, _ := st.GetCheckpoint(ctx, recovery.CheckpointRedeliverySince); cp == "" {
		t.Error("no checkpoint written")
	}
}
