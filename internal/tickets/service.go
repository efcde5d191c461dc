package tickets

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/policy"
)

// Reader reads one ticket from one system. Read returns ErrNotFound when the system
// says the ticket does not exist and an *UnreachableError when it gives no usable
// answer; Jira and ServiceNow implement it.
type Reader interface {
	System() string
	Read(ctx context.Context, key string) (policy.TicketSnapshot, error)
}

// Defaults of a Service.
const (
	DefaultCacheTTL     = 30 * time.Second
	DefaultCacheEntries = 1024
)

// Options configure a Service.
type Options struct {
	// Users maps an approver's e-mail to a GitHub login (tickets.users), so an approver
	// who is also an author is recognised by login as well as by e-mail.
	Users    map[string]string
	CacheTTL time.Duration // how long a read is reused; default DefaultCacheTTL
	Now      func() time.Time
	Log      zerolog.Logger
}

// Service reads snapshots from the configured systems, with a TTL cache. It is safe for
// concurrent use.
type Service struct {
	readers map[string]Reader
	users   map[string]string
	now     func() time.Time
	log     zerolog.Logger
	cache   *expirable.LRU[string, policy.TicketSnapshot]

	mu        sync.Mutex
	authShown map[string]bool // systems whose 401/403 was logged
}

// NewService serves the given readers (nil ones are skipped).
func NewService(opt Options, readers ...Reader) *Service {
	if opt.CacheTTL <= 0 {
		opt.CacheTTL = DefaultCacheTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Service{readers: map[string]Reader{}, users: map[string]string{}, now: opt.Now, log: opt.Log,
		cache: expirable.NewLRU[string, policy.TicketSnapshot](DefaultCacheEntries, nil, opt.CacheTTL), authShown: map[string]bool{}}
	for email, login := range opt.Users {
		s.users[strings.ToLower(strings.TrimSpace(email))] = login
	}
	for _, r := range readers {
		if r != nil {
			s.readers[r.System()] = r
		}
	}
	return s
}

// Configured says whether system has a connection.
func (s *Service) Configured(system string) bool { _, ok := s.readers[system]; return ok }

func cacheKey(system, key string) string { return system + "\x00" + key }

// Snapshot returns the ticket as last read within the cache TTL, else reads it. It never
// fails: a ticket that cannot be read is a snapshot with Read "unreachable" (or
// "not_found"), which the policy judges.
func (s *Service) Snapshot(ctx context.Context, system, key string) policy.TicketSnapshot {
	if snap, ok := s.cache.Get(cacheKey(system, key)); ok {
		return snap
	}
	return s.Fresh(ctx, system, key)
}

// Fresh reads the ticket now, bypassing the cache, and caches a definite answer.
func (s *Service) Fresh(ctx context.Context, system, key string) policy.TicketSnapshot {
	now := s.now().UTC().Format(time.RFC3339)
	r, ok := s.readers[system]
	if !ok {
		return policy.TicketSnapshot{Key: key, System: system, Read: policy.TicketReadUnreachable, Approvals: []policy.TicketApproval{},
			Error: systemName(system) + " is not configured on this server (tickets." + system + ")", ReadAt: now}
	}
	snap, err := r.Read(ctx, key)
	var ue *UnreachableError
	switch {
	case err == nil:
		snap.System, snap.Read, snap.ReadAt = system, policy.TicketReadOK, now
		s.mapUsers(&snap)
	case errors.Is(err, ErrNotFound):
		snap = policy.TicketSnapshot{Key: key, System: system, Read: policy.TicketReadNotFound, Approvals: []policy.TicketApproval{}, ReadAt: now}
	case errors.As(err, &ue):
		if ue.Auth {
			s.authError(system, ue)
		}
		return policy.TicketSnapshot{Key: key, System: system, Read: policy.TicketReadUnreachable, Error: ue.Reason, Approvals: []policy.TicketApproval{}, ReadAt: now}
	default:
		return policy.TicketSnapshot{Key: key, System: system, Read: policy.TicketReadUnreachable, Error: "read failed", Approvals: []policy.TicketApproval{}, ReadAt: now}
	}
	s.cache.Add(cacheKey(system, key), snap)
	return snap
}

// Put replaces the cached snapshot (the Watcher's poll read it fresh).
func (s *Service) Put(snap policy.TicketSnapshot) {
	if snap.Read != policy.TicketReadUnreachable {
		s.cache.Add(cacheKey(snap.System, snap.Key), snap)
	}
}

// Forget drops a cached ticket, e.g. when a webhook says it changed.
func (s *Service) Forget(system, key string) { s.cache.Remove(cacheKey(system, key)) }

// mapUsers fills each approver's GitHub login from the users map.
func (s *Service) mapUsers(snap *policy.TicketSnapshot) {
	for i := range snap.Approvals {
		for j := range snap.Approvals[i].Approvers {
			a := &snap.Approvals[i].Approvers[j]
			if login, ok := s.users[a.Email]; ok && a.Email != "" {
				a.Login = login
			}
		}
	}
}

// authError logs a 401/403 once per system: it is a configuration error an operator
// must fix, and logging it on every read would bury everything else.
func (s *Service) authError(system string, ue *UnreachableError) {
	s.mu.Lock()
	shown := s.authShown[system]
	s.authShown[system] = true
	s.mu.Unlock()
	if !shown {
		s.log.Error().Str("system", system).Str("reason", ue.Reason).
			Msg("ticket system configuration error: " + systemName(system) + " refused foureyes' credentials; ticket requirements stay pending until this is fixed")
	}
}
