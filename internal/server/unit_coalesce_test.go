package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/handler"
)

// waitFor bounds every wait of the test for the coalescer: a hang is a failure, never a
// pass. Generous, for a loaded CI machine: only a real hang takes that long.
const waitFor = 60 * time.Second

type evalCall struct {
	subject    handler.Subject
	deliveries []string
	release    chan error // the test answers the evaluation here
}

type doneCall struct {
	id  string
	err error
}

// fakeCoalescer wires a coalescer to channels: every evaluation blocks until the test
// answers it, so nothing depends on timing.
type fakeCoalescer struct {
	*coalescer
	calls    chan evalCall
	dones    chan doneCall
	releases chan string
	inFlight map[handler.Subject]*atomic.Int32
	mu       sync.Mutex
	overlap  atomic.Int32 // evaluations of one subject that ran at the same time
}

func newFakeCoalescer(t *testing.T, concurrency int) *fakeCoalescer {
	return newBoundedFakeCoalescer(t, concurrency, 0)
}

func newBoundedFakeCoalescer(t *testing.T, concurrency, capacity int) *fakeCoalescer {
	t.Helper()
	f := &fakeCoalescer{calls: make(chan evalCall, 100), dones: make(chan doneCall, 100),
		releases: make(chan string, 100), inFlight: map[handler.Subject]*atomic.Int32{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.coalescer = newCoalescer(ctx, concurrency, capacity,
		func(ctx context.Context, s handler.Subject, ids []string) error {
			f.mu.Lock()
			n, ok := f.inFlight[s]
			if !ok {
				n = &atomic.Int32{}
				f.inFlight[s] = n
			}
			f.mu.Unlock()
			if n.Add(1) > 1 {
				f.overlap.Add(1)
			}
			defer n.Add(-1)
			c := evalCall{subject: s, deliveries: slices.Clone(ids), release: make(chan error)}
			f.calls <- c
			// No timeout of its own: a slow test (a loaded machine) must not make an
			// evaluation fail by itself. A test that never answers fails in nextCall or
			// nextDone; the cleanup's cancel ends the evaluation.
			select {
			case err := <-c.release:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		func(id string, err error) { f.dones <- doneCall{id, err} },
		func(id string) { f.releases <- id })
	return f
}

func (f *fakeCoalescer) nextCall(t *testing.T) evalCall {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(waitFor):
		t.Fatal("no evaluation started")
	}
	return evalCall{}
}

func (f *fakeCoalescer) nextDone(t *testing.T) doneCall {
	t.Helper()
	select {
	case d := <-f.dones:
		return d
	case <-time.After(waitFor):
		t.Fatal("no delivery completed")
	}
	return doneCall{}
}

func (f *fakeCoalescer) noDone(t *testing.T, why string) {
	t.Helper()
	select {
	case d := <-f.dones:
		t.Fatalf("%s: delivery %s completed (err %v)", why, d.id, d.err)
	default:
	}
}

func subj(n int) handler.Subject {
	return handler.Subject{InstallationID: 1, Owner: "o", Repo: "r", Number: n}
}

func bgSubj(n int) handler.Subject {
	s := subj(n)
	s.Background = true
	return s
}

func (f *fakeCoalescer) noCall(t *testing.T, why string) {
	t.Helper()
	select {
	case c := <-f.calls:
		t.Fatalf("%s: evaluation of %v started (%v)", why, c.subject, c.deliveries)
	default:
	}
}

// TestCoalesceLeadingEdgeUnit: the first request about an idle PR starts at once;
// every request that arrives while it runs joins ONE follow-up, so n requests cost at
// most two evaluations, and the two never overlap.
func TestCoalesceLeadingEdgeUnit(t *testing.T) {
	for _, tt := range []struct{ n, concurrency int }{{1, 1}, {2, 1}, {10, 1}, {10, 4}, {50, 4}} {
		t.Run(fmt.Sprintf("%d requests, %d slots", tt.n, tt.concurrency), func(t *testing.T) {
			f := newFakeCoalescer(t, tt.concurrency)
			f.submit("d0", []handler.Subject{subj(7)})
			first := f.nextCall(t) // started without waiting for anything else
			if !slices.Equal(first.deliveries, []string{"d0"}) {
				t.Fatalf("first evaluation for %v, want [d0]", first.deliveries)
			}
			var rest []string
			for i := 1; i < tt.n; i++ {
				id := fmt.Sprintf("d%d", i)
				rest = append(rest, id)
				f.submit(id, []handler.Subject{subj(7)})
			}
			f.noCall(t, "a follow-up must wait for the running evaluation")
			errEval := errors.New("evaluation failed")
			first.release <- errEval
			if d := f.nextDone(t); d.id != "d0" || !errors.Is(d.err, errEval) {
				t.Fatalf("done(%s, %v), want d0 with the evaluation's error", d.id, d.err)
			}
			if tt.n > 1 {
				second := f.nextCall(t)
				if !slices.Equal(second.deliveries, rest) {
					t.Fatalf("follow-up for %v, want %v", second.deliveries, rest)
				}
				second.release <- nil
				got := map[string]int{}
				for range rest {
					d := f.nextDone(t)
					got[d.id]++
					if d.err != nil {
						t.Errorf("done(%s, %v), want nil: the follow-up succeeded", d.id, d.err)
					}
				}
				for _, id := range rest {
					if got[id] != 1 {
						t.Errorf("done called %d times for %s", got[id], id)
					}
				}
			}
			f.close(context.Background())
			f.noDone(t, "after close")
			f.noCall(t, "a third evaluation")
			if f.overlap.Load() != 0 {
				t.Errorf("two evaluations of one PR ran at once")
			}
			if f.room() != DefaultCoalescerCapacity {
				t.Errorf("room %d after everything ended, want %d", f.room(), DefaultCoalescerCapacity)
			}
		})
	}
}

// TestCoalesceBoundedUnit: past capacity a new PR is refused by trySubmit and blocks
// submit until an evaluation ends; requests about tracked PRs always get in.
func TestCoalesceBoundedUnit(t *testing.T) {
	f := newBoundedFakeCoalescer(t, 1, 2)
	f.submit("a", []handler.Subject{subj(1)})
	ca := f.nextCall(t)
	f.submit("b", []handler.Subject{subj(2)})
	if f.room() != 0 {
		t.Fatalf("room %d, want 0", f.room())
	}
	if err := f.trySubmit("c", []handler.Subject{subj(3)}); !errors.Is(err, errCoalescerFull) {
		t.Fatalf("trySubmit over capacity = %v, want errCoalescerFull", err)
	}
	if err := f.trySubmit("a2", []handler.Subject{subj(1)}); err != nil {
		t.Fatalf("trySubmit for a tracked PR = %v, want accepted", err)
	}
	blocked := make(chan struct{})
	go func() { f.submit("c", []handler.Subject{subj(3)}); close(blocked) }()
	select {
	case <-blocked:
		t.Fatal("submit over capacity returned before room freed")
	case <-time.After(50 * time.Millisecond): // proving a negative: bounded, not a sync
	}
	ca.release <- nil // a's evaluation ends; its follow-up (a2) keeps subj(1) tracked
	f.nextDone(t)
	cb := f.nextCall(t) // b queued first, starts next
	if cb.subject != subj(2) {
		t.Fatalf("next evaluation %v, want b's", cb.subject)
	}
	cb.release <- nil
	f.nextDone(t)
	select {
	case <-blocked: // subj(2) left: room for subj(3)
	case <-time.After(waitFor):
		t.Fatal("submit stayed blocked after room freed")
	}
	for range 2 {
		c := f.nextCall(t)
		c.release <- nil
		f.nextDone(t)
	}
	f.close(context.Background())
}

// TestCoalescePriorityUnit: background work never takes the last slot, and a queued
// interactive request starts before queued background ones.
func TestCoalescePriorityUnit(t *testing.T) {
	f := newFakeCoalescer(t, 2)
	f.submit("fanout", []handler.Subject{bgSubj(1), bgSubj(2), bgSubj(3)})
	bg1 := f.nextCall(t)
	if !bg1.subject.Background {
		t.Fatalf("fan-out evaluation not marked background: %v", bg1.subject)
	}
	f.noCall(t, "background work took the slot kept for webhooks")
	f.submit("webhook", []handler.Subject{subj(9)})
	hi := f.nextCall(t)
	if hi.subject != subj(9) {
		t.Fatalf("evaluation %v started, want the webhook's", hi.subject)
	}
	// A webhook about a PR waiting in the background lane promotes it.
	f.submit("webhook3", []handler.Subject{subj(3)})
	hi.release <- nil
	f.nextDone(t)
	next := f.nextCall(t)
	if next.subject != subj(3) || !slices.Equal(next.deliveries, []string{"fanout", "webhook3"}) {
		t.Fatalf("next %v %v, want PR 3 promoted with both deliveries", next.subject, next.deliveries)
	}
	bg1.release <- nil
	next.release <- nil
	last := f.nextCall(t)
	if last.subject != bgSubj(2) {
		t.Fatalf("last %v, want background PR 2", last.subject)
	}
	last.release <- nil
	got := map[string]bool{}
	for range 2 {
		got[f.nextDone(t).id] = true
	}
	if !got["fanout"] || !got["webhook3"] {
		t.Fatalf("done %v", got)
	}
	f.close(context.Background())
}

func TestCoalesceTwoSubjectsUnit(t *testing.T) {
	errA, errB := errors.New("A failed"), errors.New("B failed")
	tests := []struct {
		name       string
		errA, errB error
		firstB     bool // B's evaluation ends first
		want       error
	}{
		{name: "both succeed", want: nil},
		{name: "A fails", errA: errA, want: errA},
		{name: "B fails first", errB: errB, firstB: true, want: errB},
		{name: "both fail, B first", errA: errA, errB: errB, firstB: true, want: errB},
		{name: "both fail, A first", errA: errA, errB: errB, want: errA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCoalescer(t, 2)
			f.submit("d1", []handler.Subject{subj(1), subj(2)})
			calls := map[int]evalCall{}
			for range 2 {
				c := f.nextCall(t)
				calls[c.subject.Number] = c
			}
			first, second := calls[1], calls[2]
			firstErr, secondErr := tt.errA, tt.errB
			if tt.firstB {
				first, second, firstErr, secondErr = second, first, secondErr, firstErr
			}
			first.release <- firstErr
			// Prove the first batch has fully finished: with two slots and the second
			// evaluation holding one, a new delivery for the same subject can only run
			// once the first batch gave its slot back (after its finish).
			f.submit("probe", []handler.Subject{first.subject})
			p := f.nextCall(t)
			if !slices.Equal(p.deliveries, []string{"probe"}) {
				t.Fatalf("probe batch = %v", p.deliveries)
			}
			p.release <- nil
			if d := f.nextDone(t); d.id != "probe" {
				t.Fatalf("done(%s) before both of its evaluations ended", d.id)
			}
			f.noDone(t, "one of two evaluations still running")
			second.release <- secondErr
			d := f.nextDone(t)
			if d.id != "d1" || !errors.Is(d.err, tt.want) || (tt.want == nil && d.err != nil) {
				t.Fatalf("done(%s, %v), want done(d1, %v)", d.id, d.err, tt.want)
			}
			f.close(context.Background())
			f.noDone(t, "after close")
		})
	}
}

func TestCoalesceCloseUnit(t *testing.T) {
	f := newFakeCoalescer(t, 1)
	f.submit("running", []handler.Subject{subj(1)})
	c1 := f.nextCall(t)
	f.submit("waiting", []handler.Subject{subj(2)})
	f.submit("both", []handler.Subject{subj(1), subj(2)}) // subj(1) is a new batch: the first is running

	closed := make(chan struct{})
	go func() { f.close(context.Background()); close(closed) }()

	released := map[string]bool{}
	for range 2 {
		select {
		case id := <-f.releases:
			released[id] = true
		case <-time.After(waitFor):
			t.Fatalf("close released only %v", released)
		}
	}
	if !released["waiting"] || !released["both"] {
		t.Fatalf("released %v, want waiting and both", released)
	}
	select {
	case <-closed:
		t.Fatal("close returned while an evaluation was running")
	default:
	}
	c1.release <- nil
	select {
	case <-closed:
	case <-time.After(waitFor):
		t.Fatal("close did not return after the running evaluation ended")
	}
	select {
	case d := <-f.dones:
		if d.id != "running" {
			t.Fatalf("done(%s), want running", d.id)
		}
	default:
		t.Fatal("close returned before the running delivery was done")
	}
	f.noDone(t, "released deliveries must not also be done")
	select {
	case c := <-f.calls:
		t.Fatalf("evaluation after close: %v %v", c.subject, c.deliveries)
	default:
	}
	// A submit after close is given back at once.
	f.submit("late", []handler.Subject{subj(9)})
	select {
	case id := <-f.releases:
		if id != "late" {
			t.Fatalf("released %s", id)
		}
	case <-time.After(waitFor):
		t.Fatal("a submit after close was never released")
	}
}

func TestCoalesceCloseBoundedByContextUnit(t *testing.T) {
	f := newFakeCoalescer(t, 1)
	f.submit("stuck", []handler.Subject{subj(1)})
	c := f.nextCall(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.close(ctx) // must return although the evaluation is still running
	c.release <- nil
	if d := f.nextDone(t); d.id != "stuck" {
		t.Fatalf("done(%s)", d.id)
	}
}
