package ticketstest

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// faults is what a fake can be told to do wrong, shared by both fakes.
type faults struct {
	mu       sync.Mutex
	status   int           // answer every request with this status (0: normal)
	delay    time.Duration // wait before answering
	requests atomic.Int64
}

// Fail makes every following request answer status (e.g. 503, 401); 0 restores.
func (f *faults) Fail(status int) {
	f.mu.Lock()
	f.status = status
	f.mu.Unlock()
}

// Delay makes every following request wait d before answering (timeouts); 0 restores.
func (f *faults) Delay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

// Requests is how many requests the fake received.
func (f *faults) Requests() int64 { return f.requests.Load() }

// inject applies the faults; it returns true when it answered.
func (f *faults) inject(w http.ResponseWriter, r *http.Request) bool {
	f.requests.Add(1)
	f.mu.Lock()
	status, delay := f.status, f.delay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return true
		}
	}
	if status != 0 {
		http.Error(w, `{"errorMessages":["injected failure"]}`, status)
		return true
	}
	return false
}
