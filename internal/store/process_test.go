package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// The child process modes, chosen by environment variables when this test binary is
// re-executed: "append" appends FOUREYES_CHILD_N records (0: until killed) from
// FOUREYES_CHILD_PAR goroutines and prints "seq id" for each acknowledged one; "lead"
// takes the "sweeper" leader lock, prints "leading" and waits to be killed.
const (
	childEnv = "FOUREYES_STORE_CHILD"
	dsnEnv   = "FOUREYES_CHILD_DSN"
	nEnv     = "FOUREYES_CHILD_N"
	parEnv   = "FOUREYES_CHILD_PAR"
)

func runChild() int {
	if mode := os.Getenv(childEnv); mode == "export" || mode == "verify" {
		return runBigChild(mode)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv(dsnEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	println := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		out.WriteString(s + "\n")
		out.Flush() // printed only after Append returned: an acknowledgement
	}
	switch os.Getenv(childEnv) {
	case "lead":
		if _, ok, err := st.TryLead(ctx, "sweeper"); err != nil || !ok {
			fmt.Fprintln(os.Stderr, "child: lead:", ok, err)
			return 1
		}
		println("leading")
		select {}
	case "append":
		n, _ := strconv.Atoi(os.Getenv(nEnv))
		par, _ := strconv.Atoi(os.Getenv(parEnv))
		var wg sync.WaitGroup
		for g := range max(par, 1) {
			wg.Go(func() {
				for i := 0; n == 0 || i < n; i++ {
					r, err := st.Append(ctx, sampleRecord(os.Getpid(), g*1_000_000+i))
					if err != nil {
						fmt.Fprintln(os.Stderr, "child: append:", err)
						os.Exit(1)
					}
					println(fmt.Sprintf("%d %s", r.Seq, r.ID))
				}
			})
		}
		wg.Wait()
		if err := st.Close(); err != nil {
			return 1
		}
		return 0
	}
	return 2
}

// sampleRecord is a decision record whose facts differ per i.
func sampleRecord(pid, i int) store.Record {
	return store.Record{
		Kind: store.KindPRDecision, DeliveryID: fmt.Sprintf("del-%d-%d", pid, i), Installation: 1,
		Repository: "o/r", PR: i % 50, SHA: fmt.Sprintf("%040d", i), Actor: "alice", Outcome: "success",
		PolicyDigest: "pd", PolicySource: store.PolicySource{Repo: "o/policy", Path: "foureyes.yml", Ref: "main", BlobSHA: "b"},
		Facts:    []byte(fmt.Sprintf(`{"pid":%d,"i":%d,"reviews":[{"user":"bob","state":"APPROVED"}]}`, pid, i)),
		Decision: []byte(`{"outcome":"success","title":"approved","rules":[]}`),
	}
}

type child struct {
	cmd   *exec.Cmd
	lines *bufio.Scanner
}

func startChild(t *testing.T, b storetest.Backend, mode string, n int, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, dsnEnv+"="+b.DSN, nEnv+"="+strconv.Itoa(n))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	c := &child{cmd: cmd, lines: bufio.NewScanner(out)}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return c
}

func (c *child) next(t *testing.T) string {
	t.Helper()
	if !c.lines.Scan() {
		t.Fatalf("child ended early: %v", c.lines.Err())
	}
	return c.lines.Text()
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

// eventually polls cond for a few seconds: for the server to notice a killed process.
func eventually(cond func() bool) bool {
	for range 200 {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// acks reads "seq id" lines until the child's stdout ends.
func (c *child) acks(t *testing.T, into map[int64]string) {
	for c.lines.Scan() {
		seq, id, ok := strings.Cut(c.lines.Text(), " ")
		n, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil {
			t.Errorf("bad ack line %q", c.lines.Text())
			continue
		}
		into[n] = id
	}
}
