package inbox

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Renewer is the part of the store the heartbeat needs (store.Inbox.Renew).
type Renewer interface {
	// Renew extends the leases this store instance holds on ids to now+lease and returns
	// the ids whose lease it no longer holds.
	Renew(ctx context.Context, ids []string, lease time.Duration) (lost []string, err error)
}

// Leases is the bounded set of deliveries one replica holds, from Claim until they are
// settled or released, and their heartbeat.
type Leases struct {
	renewer Renewer
	lease   time.Duration
	max     int
	log     zerolog.Logger
	// tick is the heartbeat's interval (lease/3 unless set, for tests).
	tick time.Duration

	mu    sync.Mutex
	held  map[string]bool // id -> lease known lost (taken over by another replica)
	freed chan struct{}   // signalled when room appears
}

// NewLeases tracks at most max deliveries leased for lease.
func NewLeases(r Renewer, lease time.Duration, max int, log zerolog.Logger) *Leases {
	return &Leases{renewer: r, lease: lease, max: max, log: log, tick: lease / 3,
		held: map[string]bool{}, freed: make(chan struct{}, 1)}
}

// Lease is the duration to claim deliveries with.
func (l *Leases) Lease() time.Duration { return l.lease }

// Room is how many more deliveries may be claimed now.
func (l *Leases) Room() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(0, l.max-len(l.held))
}

// Len is how many deliveries are held.
func (l *Leases) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// Hold records claimed deliveries.
func (l *Leases) Hold(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.held[id] = false
	}
}

// Drop forgets a delivery once it is settled or released, making room.
func (l *Leases) Drop(id string) {
	l.mu.Lock()
	_, ok := l.held[id]
	delete(l.held, id)
	l.mu.Unlock()
	if ok {
		select {
		case l.freed <- struct{}{}:
		default:
		}
	}
}

// Freed is signalled when a Drop made room.
func (l *Leases) Freed() <-chan struct{} { return l.freed }

// Run renews the leases of every held delivery every lease/3 until ctx ends: a lease
// expires only when this replica stopped renewing it (it died, or lost the database for
// longer than two beats).
func (l *Leases) Run(ctx context.Context) {
	t := time.NewTicker(l.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Beat(ctx)
		}
	}
}

// Beat renews the held leases once.
func (l *Leases) Beat(ctx context.Context) {
	l.mu.Lock()
	ids := make([]string, 0, len(l.held))
	for id, lost := range l.held {
		if !lost {
			ids = append(ids, id)
		}
	}
	l.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	lost, err := l.renewer.Renew(ctx, ids, l.lease)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn().Err(err).Int("deliveries", len(ids)).Msg("could not renew the inbox leases; retrying on the next beat")
		}
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range lost {
		if _, ok := l.held[id]; ok {
			// Settled meanwhile (Drop follows), or taken over after a stall: the work
			// is idempotent (fact keys, locks), so it may finish; it is not renewed.
			l.held[id] = true
			l.log.Debug().Str("github_delivery_id", id).Msg("lease no longer held by this replica")
		}
	}
}
