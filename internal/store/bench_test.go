package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// benchBackends runs a benchmark on a fresh location of every backend.
func benchBackends(b *testing.B, fn func(b *testing.B, be storetest.Backend)) {
	for _, name := range storetest.Names {
		b.Run(name, func(b *testing.B) { fn(b, storetest.New(b, name)) })
	}
}

// BenchmarkAppend measures durable appends from 1, 64 and 256 concurrent appenders;
// group commit shares each fsync among the appenders waiting for it, so the rate grows
// with concurrency while every acknowledgement stays durable.
// The store signs each commit, as the server's does.
func BenchmarkAppend(b *testing.B) {
	benchBackends(b, func(b *testing.B, be storetest.Backend) {
		st, err := store.Open(context.Background(), be.DSN)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		st.(store.KeyHolder).SetSigningKey(benchKey(b))
		for _, appenders := range []int{1, 64, 256} {
			b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
				var (
					wg   sync.WaitGroup
					next atomic.Int64
				)
				start := time.Now()
				for range appenders {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							if _, err := st.Append(context.Background(), sampleRecord(1, int(next.Load()))); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			})
		}
	})
}

// fill appends n records from 64 goroutines.
func fill(tb testing.TB, st store.Store, n int) {
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				if _, err := st.Append(context.Background(), sampleRecord(2, i)); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkVerify verifies a 100,000-record signed chain per iteration, signatures
// included (one per commit of the 64 concurrent appenders that filled it).
func BenchmarkVerify(b *testing.B) {
	const records = 100_000
	benchBackends(b, func(b *testing.B, be storetest.Backend) {
		st, err := store.OpenChain(context.Background(), be.DSN)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		key := benchKey(b)
		st.(store.KeyHolder).SetSigningKey(key)
		fill(b, st, records)
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			res, err := audit.VerifyWith(context.Background(), st, audit.Options{PublicKey: key.Public().(ed25519.PublicKey)})
			if err != nil || res.Records != records {
				b.Fatalf("verify = %+v, %v", res, err)
			}
		}
		b.ReportMetric(float64(records*b.N)/time.Since(start).Seconds(), "records/s")
		if res, _ := audit.VerifyWith(context.Background(), st, audit.Options{}); res.Signatures > 0 {
			b.ReportMetric(float64(res.Signatures), "signatures")
		}
	})
}

// TestExportMillion builds a 1,000,000-record log, then exports and verifies it in
// child processes and reports their time and peak RSS. It takes minutes, so it runs
// only with FOUREYES_BENCH_1M=1.
func TestExportMillion(t *testing.T) {
	if os.Getenv("FOUREYES_BENCH_1M") != "1" {
		t.Skip("set FOUREYES_BENCH_1M=1 to build and export 1M records")
	}
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		const records = 1_000_000
		st := open(t, be)
		start := time.Now()
		fill(t, st, records)
		t.Logf("%s: appended %d records in %v (%.0f/s)", be.Name, records, time.Since(start).Round(time.Millisecond),
			records/time.Since(start).Seconds())
		st.Close()
		out := filepath.Join(t.TempDir(), "export.csv")
		for _, mode := range []string{"export", "verify"} {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+mode, dsnEnv+"="+be.DSN, "FOUREYES_CHILD_OUT="+out)
			cmd.Stderr = os.Stderr
			start := time.Now()
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s child: %v", mode, err)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
			t.Logf("%s: %s of %d records: %v, peak RSS %d MiB", be.Name, mode, records,
				time.Since(start).Round(time.Millisecond), rss/1024)
			if string(got) != strconv.Itoa(records)+"\n" {
				t.Fatalf("%s child printed %q, want %d rows", mode, got, records)
			}
		}
		if fi, err := os.Stat(out); err == nil {
			t.Logf("%s: export file %d MiB", be.Name, fi.Size()>>20)
		}
	})
}

// runBigChild runs the export and verify children of TestExportMillion.
func runBigChild(mode string) int {
	ctx := context.Background()
	st, err := store.OpenChain(ctx, os.Getenv(dsnEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	switch mode {
	case "export":
		f, err := os.Create(os.Getenv("FOUREYES_CHILD_OUT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		m, err := audit.Export(ctx, st, f, audit.ExportQuery{Format: "csv"}, "bench")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(m.RowCount)
	case "verify":
		res, err := audit.Verify(ctx, st, "")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(res.Records)
	}
	return 0
}

func benchKey(tb testing.TB) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return priv
}
