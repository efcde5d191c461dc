// Package inbox holds the parts of the delivery runtime that make the durable inbox safe
// to share between replicas: the set of deliveries a replica holds, bounded (the rest
// wait in the inbox, on disk, instead of in memory: back-pressure), and the heartbeat that
// renews their leases while their work runs, so only the work of a replica that died or
// stalled is taken over by another. The workers and the coalescer in internal/server use
// it; the inbox itself (Claim, Renew, Complete...) is in internal/store.
package inbox
