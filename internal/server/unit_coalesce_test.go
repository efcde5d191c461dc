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

const testWindow = 30 * time.Millisecond

// waitFor bounds every wait in these tests: a hang is a failure, never a pass.
const waitFor = 10 * time.Second

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
	t.Helper()
	f := &fakeCoalescer{calls: make(chan evalCall, 100), dones: make(chan doneCall, 100),
		releases: make(chan string, 100), inFlight: map[handler.Subject]*atomic.Int32{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.coalescer = newCoalescer(ctx, testWindow, concurrency,
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
			select {
			case err := <-c.release:
				return err
			case <-time.After(waitFor):
				return errors.New("test never answered the evaluation")
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

func TestCoalesceSameSubjectUnit(t *testing.T) {
	for _, n := range []int{1, 2, 10, 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFakeCoalescer(t, 1)
			// Hold the only evaluation slot: the batch cannot start, so every submit joins
			// it whatever the scheduler does with the window.
			f.sem <- struct{}{}
			var want []string
			for i := range n {
				id := fmt.Sprintf("d%d", i)
				want = append(want, id)
				f.submit(id, []handler.Subject{subj(7)})
			}
			<-f.sem
			c := f.nextCall(t)
			if c.subject != subj(7) || !slices.Equal(c.deliveries, want) {
				t.Fatalf("evaluate(%v, %v), want one call with %v", c.subject, c.deliveries, want)
			}
			errEval := errors.New("evaluation failed")
			c.release <- errEval
			got := map[string]int{}
			for range n {
				d := f.nextDone(t)
				got[d.id]++
				if !errors.Is(d.err, errEval) {
					t.Errorf("done(%s, %v), want the evaluation's error", d.id, d.err)
				}
			}
			for _, id := range want {
				if got[id] != 1 {
					t.Errorf("done called %d times for %s", got[id], id)
				}
			}
			f.close(context.Background())
			f.noDone(t, "after close")
			select {
			case c := <-f.calls:
				t.Fatalf("a second evaluation ran: %v %v", c.subject, c.deliveries)
			default:
			}
		})
	}
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

func TestCoalesceSubmitWhileRunningUnit(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", concurrency), func(t *testing.T) {
			f := newFakeCoalescer(t, concurrency)
			f.submit("d1", []handler.Subject{subj(3)})
			c1 := f.nextCall(t)
			f.submit("d2", []handler.Subject{subj(3)})
			f.submit("d3", []handler.Subject{subj(3)})
			var c2 evalCall
			if concurrency > 1 {
				// Another slot is free: the new batch may start before the first ends (the
				// evaluator serialises one PR); it must not have joined the running batch.
				select {
				case c2 = <-f.calls:
				case <-time.After(20 * testWindow):
				}
			}
			f.noDone(t, "first evaluation still running")
			c1.release <- nil
			if d := f.nextDone(t); d.id != "d1" || d.err != nil {
				t.Fatalf("done(%s, %v), want d1 first", d.id, d.err)
			}
			if c2.release == nil {
				c2 = f.nextCall(t)
			}
			if !slices.Equal(c1.deliveries, []string{"d1"}) || !slices.Equal(c2.deliveries, []string{"d2", "d3"}) {
				t.Fatalf("batches %v then %v, want [d1] then [d2 d3]", c1.deliveries, c2.deliveries)
			}
			c2.release <- nil
			got := []string{f.nextDone(t).id, f.nextDone(t).id}
			slices.Sort(got)
			if !slices.Equal(got, []string{"d2", "d3"}) {
				t.Fatalf("done %v", got)
			}
			if concurrency == 1 && f.overlap.Load() != 0 {
				t.Errorf("two evaluations of one subject ran at once with one slot")
			}
			f.close(context.Background())
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
