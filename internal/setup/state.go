package setup

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"
)

// stateTTL matches GitHub's limit: the whole manifest flow must complete within one hour.
const stateTTL = time.Hour

// maxPendingStates bounds memory: anyone who reaches the setup page can start a registration.
const maxPendingStates = 1000

var (
	errStateUnknown = errors.New("unknown or already used setup state")
	errStateExpired = errors.New("setup state expired")
	errStateBusy    = errors.New("setup state is being processed")
	errStateFull    = errors.New("too many registrations in progress")
)

// stateStore remembers the random `state` of each registration started here, so that the
// callback only accepts codes from flows this server started (GitHub echoes state back).
// It lives in memory: setup mode runs as a single process.
type stateStore struct {
	mu      sync.Mutex
	now     func() time.Time
	pending map[string]*stateEntry
}

type stateEntry struct {
	created time.Time
	busy    bool // a callback is exchanging its code right now
}

func newStateStore(now func() time.Time) *stateStore {
	return &stateStore{now: now, pending: map[string]*stateEntry{}}
}

// issue creates a new state: 256 random bits, URL-safe.
func (s *stateStore) issue() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate setup state: %w", err)
	}
	st := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, e := range s.pending {
		if !e.busy && now.Sub(e.created) >= stateTTL {
			delete(s.pending, k)
		}
	}
	if len(s.pending) >= maxPendingStates {
		return "", errStateFull
	}
	s.pending[st] = &stateEntry{created: now}
	return st, nil
}

// begin claims a state for one callback. It fails for a state this server never issued, one
// already used, one older than an hour, or one another request is processing.
func (s *stateStore) begin(st string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.pending[st]
	switch {
	case !ok || st == "":
		return errStateUnknown
	case e.busy:
		return errStateBusy
	case s.now().Sub(e.created) >= stateTTL:
		delete(s.pending, st)
		return errStateExpired
	}
	e.busy = true
	return nil
}

// finish ends a callback's claim. consume is false only when the exchange failed in a way a
// retry can fix (GitHub down): the same link then works again until the hour is over.
func (s *stateStore) finish(st string, consume bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if consume {
		delete(s.pending, st)
		return
	}
	if e, ok := s.pending[st]; ok {
		e.busy = false
	}
}
