package server_test

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
)

// The side-by-side figures of issue 15 (policy-bot: 102 requests, 86 charged, 14 writes,
// 7 ms at once, 856 ms with every GitHub answer delayed 120 ms):
//
//	go test ./internal/server -run 'TestLifecycleLoad' -load -v [-load.runs 3 -load.latencies 0,120ms]
//
// plays the PR life of TestLifecycleCost and the burst of TestBurstCost on fresh servers,
// with the fake GitHub answering after each latency, and prints requests, charged
// requests, decision writes and the time from the last webhook to the final decision.
var (
	loadRuns      = flag.Int("load.runs", 3, "runs per latency of the lifecycle and burst load test")
	loadLatencies = flag.String("load.latencies", "0s,120ms", "GitHub answer latencies of the lifecycle and burst load test")
)

func TestLifecycleLoad(t *testing.T) {
	if !*loadRun {
		t.Skip("load test: run with -load")
	}
	for _, l := range strings.Split(*loadLatencies, ",") {
		lat, err := time.ParseDuration(strings.TrimSpace(l))
		if err != nil {
			t.Fatalf("-load.latencies: %v", err)
		}
		var lifeTimes, burstTimes []time.Duration
		for run := 1; run <= *loadRuns; run++ {
			h := e2etest.Start(t)
			h.GH.SetLatency(lat)
			cost := playLifecycle(t, h, 60)
			lifeTimes = append(lifeTimes, cost.lastToFinal)
			fmt.Printf("LIFECYCLE latency=%v run=%d requests=%d charged=%d writes=%d distinct=%d evaluations=%d last_to_final=%v\n",
				lat, run, cost.requests, cost.charged, cost.writes, cost.distinct, cost.evaluations, cost.lastToFinal.Round(100*time.Microsecond))
			h.Stop()

			hb := e2etest.Start(t)
			hb.GH.SetLatency(lat)
			bc, final := playBurst(t, hb, 70)
			burstTimes = append(burstTimes, final)
			fmt.Printf("BURST latency=%v run=%d requests=%d charged=%d writes=%d evaluations=%d last_to_final=%v\n",
				lat, run, bc.requests, bc.charged, bc.writes, bc.evaluations, final.Round(100*time.Microsecond))
			hb.Stop()
		}
		t.Logf("latency %v: lifecycle last webhook -> final decision median %v, burst median %v", lat, median(lifeTimes), median(burstTimes))
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(100 * time.Microsecond)
}
