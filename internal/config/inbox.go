package config

import (
	"fmt"
	"time"
)

// Inbox tunes how replicas share the durable webhook inbox.
type Inbox struct {
	// Lease is how long a claimed delivery is held before another replica may take it
	// over. The holder renews it every Lease/3 while the work runs (a heartbeat), so only
	// the work of a dead or stalled replica is taken over. Default 1m.
	Lease Duration `yaml:"lease"`
	// MaxInFlight bounds the deliveries one replica holds at once (running, or waiting
	// for the coalescer): the rest wait in the inbox, on disk, not in memory. Default
	// 64 per worker.
	MaxInFlight int `yaml:"max_in_flight"`
}

func (in *Inbox) setDefaults(workers int) {
	if in.Lease == 0 {
		in.Lease = Duration(time.Minute)
	}
	if in.MaxInFlight == 0 {
		in.MaxInFlight = 64 * workers
	}
}

func (in *Inbox) validate(workers int) error {
	if in.Lease.D() < time.Second {
		return fmt.Errorf("inbox.lease must be at least 1s, not %s", in.Lease.D())
	}
	if in.MaxInFlight < workers {
		return fmt.Errorf("inbox.max_in_flight must be at least workers (%d), not %d", workers, in.MaxInFlight)
	}
	return nil
}
