package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// BenchmarkEnqueueConcurrent measures the latency of Enqueue, which the server calls
// inside the webhook request before answering GitHub, while two workers Claim deliveries
// and, for each, Append an audit record, UpsertPR, PutCheckRun, RecordPush and Complete,
// as the server's workers and evaluator do. "open" enqueues from 32 goroutines as fast
// as they can; "200/s" paces the same goroutines to 200 deliveries a second (run it with
// e.g. -benchtime=2000x). p50 and p99 are per Enqueue call.
func BenchmarkEnqueueConcurrent(b *testing.B) {
	benchBackends(b, func(b *testing.B, be storetest.Backend) {
		for _, rate := range []int{0, 200} {
			name := "open"
			if rate > 0 {
				name = fmt.Sprintf("%d/s", rate)
			}
			b.Run(name, func(b *testing.B) { benchEnqueue(b, be, rate) })
		}
	})
}

var benchBody = bytes.Repeat([]byte(`{"action":"synchronize","number":1,"pull_request":{"head":{"sha":"0123456789abcdef"}}}`), 60)

func benchEnqueue(b *testing.B, be storetest.Backend, rate int) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, be.DSN)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var (
		bg        sync.WaitGroup
		processed atomic.Int64
	)
	for w := range 2 {
		bg.Go(func() {
			for ctx.Err() == nil {
				ds, err := st.Claim(ctx, 16, time.Minute)
				if err != nil {
					if ctx.Err() == nil {
						b.Error(err)
					}
					return
				}
				if len(ds) == 0 {
					time.Sleep(2 * time.Millisecond)
					continue
				}
				for i, d := range ds {
					n := int(processed.Add(1))
					pr := store.PR{Repo: "o/r", Number: n % 500, InstallationID: 1, HeadSHA: fmt.Sprintf("%040d", n), HeadRef: "f", BaseRef: "main", Open: true, LastEventAt: time.Now()}
					err := st.UpsertPR(ctx, pr)
					if err == nil {
						_, err = st.Append(ctx, sampleRecord(w, n))
					}
					if err == nil {
						err = st.PutCheckRun(ctx, store.CheckRun{Repo: "o/r", SHA: pr.HeadSHA, Name: "foureyes", ID: int64(n), Status: "completed", Conclusion: "success", Fingerprint: "fp"})
					}
					if err == nil && i%2 == 0 {
						err = st.RecordPush(ctx, store.Push{Repo: "o/r", Ref: "f", PR: pr.Number, After: pr.HeadSHA, Pusher: "alice", DeliveryID: d.ID})
					}
					if err == nil {
						err = st.Complete(ctx, d.ID)
					}
					if err != nil {
						if ctx.Err() == nil {
							b.Error(err)
						}
						return
					}
				}
			}
		})
	}
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		tick = t.C
	}
	var (
		mu   sync.Mutex
		lats []time.Duration
		next atomic.Int64
	)
	b.SetParallelism(16) // 32 concurrent webhook requests on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 1024)
		for pb.Next() {
			if tick != nil {
				<-tick
			}
			d := store.Delivery{ID: fmt.Sprintf("%s-%d-%d", b.Name(), b.N, next.Add(1)), Event: "pull_request",
				Headers: map[string][]string{"X-GitHub-Event": {"pull_request"}}, Body: benchBody}
			t0 := time.Now()
			ok, err := st.Enqueue(context.Background(), d)
			mine = append(mine, time.Since(t0))
			if err != nil || !ok {
				b.Errorf("enqueue = %v, %v", ok, err)
				return
			}
		}
		mu.Lock()
		lats = append(lats, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	bg.Wait()
	if len(lats) == 0 {
		return
	}
	slices.Sort(lats)
	q := func(p float64) float64 { return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lats[len(lats)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "enqueues/s")
	b.ReportMetric(float64(processed.Load())/elapsed.Seconds(), "processed/s")
}
