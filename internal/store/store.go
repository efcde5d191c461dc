// Package store is foureyes' durable state: the webhook inbox, recorded pushes, pull
// request state, check-run ids, checkpoints, leader election, and the hash-chained audit
// log. One interface, two backends (SQLite embedded, PostgreSQL for several replicas); the
// same test suite runs against both.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("not found")

// Store is everything foureyes keeps. Implementations are safe for concurrent use.
type Store interface {
	Inbox
	Pushes
	PRs
	CheckRuns
	Audit
	Checkpoints
	Leader
	Sessions
	Console
	Locks

	// Ping checks that the database answers (used by GET /api/health).
	Ping(ctx context.Context) error
	Close() error
}

// DeliveryStatus is where a webhook delivery is in the inbox.
type DeliveryStatus string

const (
	DeliveryPending DeliveryStatus = "pending" // waiting for a worker (or for NotBefore)
	DeliveryLeased  DeliveryStatus = "leased"  // a worker holds it until LeaseUntil
	DeliveryDone    DeliveryStatus = "done"    // processed successfully
	DeliveryFailed  DeliveryStatus = "failed"  // gave up after the retry limit
)

// Delivery is one verified webhook as GitHub sent it: enough to process it again after a
// crash, exactly as if it had just arrived.
type Delivery struct {
	ID         string              // X-GitHub-Delivery GUID
	Event      string              // X-GitHub-Event
	Headers    map[string][]string // the request headers worth keeping (never Authorization)
	Body       []byte              // the raw signed body
	ReceivedAt time.Time
	Status     DeliveryStatus
	Attempts   int
	NotBefore  time.Time // a retry waits until then
	LeaseUntil time.Time
	LastError  string
	// LeaseHolder is the store instance (one per process) that claimed it last; only
	// that holder renews its lease.
	LeaseHolder string
}

// Inbox is the durable webhook queue. A delivery is stored before GitHub gets its 2xx,
// so nothing acknowledged is lost by a crash.
type Inbox interface {
	// Enqueue stores a delivery. It returns false, and changes nothing, when the same ID is
	// already pending, leased or done (a duplicate). A delivery that had failed is reset to
	// pending: a redelivery of a failed webhook is processed again.
	Enqueue(ctx context.Context, d Delivery) (bool, error)
	// Claim leases up to n deliveries that are pending and due (NotBefore <= now), or whose
	// lease expired, oldest first. Safe with several replicas: one delivery, one holder.
	Claim(ctx context.Context, n int, lease time.Duration) ([]Delivery, error)
	// Complete marks a delivery done.
	Complete(ctx context.Context, id string) error
	// Retry returns a delivery to pending, due at notBefore, counting the attempt.
	Retry(ctx context.Context, id string, notBefore time.Time, lastErr string) error
	// Fail marks a delivery failed for good (counting the attempt).
	Fail(ctx context.Context, id string, lastErr string) error
	// Release returns a leased delivery to pending without counting an attempt (shutdown).
	Release(ctx context.Context, id string) error
	// Renew extends to now+lease the leases this store instance holds on ids (the
	// worker's heartbeat for work that is still running). It returns the ids whose lease
	// it no longer holds: settled meanwhile, or expired and claimed by another replica.
	Renew(ctx context.Context, ids []string, lease time.Duration) (lost []string, err error)
	// Depth counts pending and leased deliveries.
	Depth(ctx context.Context) (int, error)
	// GetDelivery returns one delivery, or ErrNotFound.
	GetDelivery(ctx context.Context, id string) (Delivery, error)
}

// Push is one push to a branch, recorded when its webhook arrived: GitHub cannot tell
// later who pushed a commit.
type Push struct {
	Repo       string // owner/name
	Ref        string // branch name without refs/heads/
	PR         int    // the pull request, when known (synchronize); 0 for a push event
	Before     string
	After      string
	Pusher     string // login
	At         time.Time
	DeliveryID string
	// Installation is the GitHub App installation the push's webhook came from (kept in
	// the push's audit record).
	Installation int64
}

// Pushes records and lists pushes.
type Pushes interface {
	// RecordPush appends the push to the audit chain (a "push" record); the same (repo,
	// after, pusher, delivery) twice is one push.
	RecordPush(ctx context.Context, p Push) error
	// ListPushes returns the pushes of repo that name the PR, or that went to headRef,
	// oldest first, read from the chain; a push record that does not verify is an error
	// wrapping ErrTampered.
	ListPushes(ctx context.Context, repo string, pr int, headRef string) ([]Push, error)
}

// PR is what foureyes remembers of a pull request between webhooks: it maps a SHA to its
// PRs (check_run payloads of fork PRs carry none) and tells the sweeper what is open.
type PR struct {
	Repo           string
	Number         int
	InstallationID int64
	HeadSHA        string
	HeadRef        string
	BaseRef        string
	Open           bool
	LastEventAt    time.Time // the last webhook that concerned this PR
}

// PRs tracks pull requests.
type PRs interface {
	UpsertPR(ctx context.Context, pr PR) error
	// GetPR returns ErrNotFound for an unknown PR.
	GetPR(ctx context.Context, repo string, number int) (PR, error)
	// OpenPRsByHead lists the open PRs of repo whose head is sha.
	OpenPRsByHead(ctx context.Context, repo, sha string) ([]PR, error)
	// OpenPRs lists every open PR of repo ("" for all repos), by repo and number.
	OpenPRs(ctx context.Context, repo string) ([]PR, error)
}

// CheckRun is foureyes' own check run on one SHA: its id, so it is updated in place, and
// a fingerprint of what was last written, so an unchanged result costs no write.
type CheckRun struct {
	Repo        string
	SHA         string
	Name        string
	ID          int64
	Status      string // queued, in_progress, completed
	Conclusion  string
	Fingerprint string
	UpdatedAt   time.Time
}

// CheckRuns remembers foureyes' check runs.
type CheckRuns interface {
	// GetCheckRun returns ErrNotFound when foureyes has no run for (repo, sha, name).
	GetCheckRun(ctx context.Context, repo, sha, name string) (CheckRun, error)
	PutCheckRun(ctx context.Context, c CheckRun) error
}

// Checkpoints keep small named values across restarts (the redelivery reconciler's
// position, the sweeper's last run).
type Checkpoints interface {
	// GetCheckpoint returns "" when the key was never set.
	GetCheckpoint(ctx context.Context, key string) (string, error)
	SetCheckpoint(ctx context.Context, key, value string) error
}

// Leader elects one replica to run background loops. With SQLite the single process is
// always the leader; with PostgreSQL a session advisory lock decides.
type Leader interface {
	// TryLead returns a release function and true when this process now holds the named
	// lock; false when another holder has it. The lock is lost when the process dies.
	TryLead(ctx context.Context, name string) (release func(), ok bool, err error)
}

// Locks are named mutual-exclusion locks that hold across every replica of one store:
// one evaluation of a PR at a time, one answer per deployment request, one leader. With
// PostgreSQL a session advisory lock on a connection set aside for it (released by the
// server when the process dies); with SQLite, where one process owns the file, a lock
// inside the process.
type Locks interface {
	// Lock waits until this process holds the named lock, or ctx ends.
	Lock(ctx context.Context, name string) (Lock, error)
	// TryLock takes the named lock when it is free; ok is false when another holder has it.
	TryLock(ctx context.Context, name string) (l Lock, ok bool, err error)
}

// Lock is one held lock.
type Lock interface {
	// Check asks the database whether the lock is still held: nil, or an error wrapping
	// ErrLockLost once its session is gone (a failover, a restart, a cut connection),
	// when another replica may hold it. Check before an effect only the holder may have.
	Check(ctx context.Context) error
	// Lost is closed once the lock is released or found lost (the holder's connection is
	// checked in the background every few seconds).
	Lost() <-chan struct{}
	// Release gives the lock up; calling it again does nothing.
	Release()
}

// ErrLockLost says a lock's database session ended while it was held: someone else may
// hold it now. It is transient: the work is done again under a new lock.
var ErrLockLost = errors.New("lock lost")

// Kind is the kind of an audit record.
type Kind string

const (
	KindPRDecision         Kind = "pr_decision"
	KindPush               Kind = "push"
	KindMerge              Kind = "merge"
	KindViolation          Kind = "violation"
	KindDeploymentDecision Kind = "deployment_decision"
	KindDeploymentEvent    Kind = "deployment_event"
	KindPolicyError        Kind = "policy_error"
	KindInstallation       Kind = "installation"
	KindRefused            Kind = "refused" // e.g. a callback URL on a foreign host
	// KindControlHealth is a change of a repository's control state (internal/health):
	// Subject "branch:<default branch>", Outcome enforced, unpinned, missing or unknown.
	KindControlHealth Kind = "control_health"
	// KindEmergency is an emergency declaration (`/foureyes emergency` comment): who,
	// when, reference, reason, head SHA. It is an input of later decisions.
	KindEmergency Kind = "emergency"
	// KindPIR is the post-implementation review that closed an emergency's obligation.
	KindPIR Kind = "pir"
	// KindReviewNote is an auditor's or org owner's note on an exception, added in the
	// console: its Subject is "seq:N" of the exception, Outcome the disposition.
	KindReviewNote Kind = "review_note"
	// KindSharedHead is what the check run of a head SHA shows when several open PRs share
	// it: the worst of their decisions (policy.SharedHead). Subject "head:<sha>", PR the
	// PR whose evaluation wrote the run, Facts the component decisions by seq.
	KindSharedHead Kind = "shared_head"
	// KindMergeGroup is the decision on a merge queue group's head SHA (policy.MergeGroup),
	// appended before its check run is written. Subject "merge_group:<sha>", Facts the
	// policy.MergeGroupFacts it was decided from.
	KindMergeGroup Kind = "merge_group"
)

// PolicySource says where the policy of a decision came from.
type PolicySource struct {
	Repo    string `json:"repo,omitempty"`
	Path    string `json:"path,omitempty"`
	Ref     string `json:"ref,omitempty"`
	BlobSHA string `json:"blob_sha,omitempty"`
}

// Record is one entry of the audit log. Append fills Seq, ID, RecordedAt, PrevHash and
// Hash; the caller fills the rest.
type Record struct {
	Seq          int64
	ID           string
	RecordedAt   time.Time // server UTC
	Kind         Kind
	DeliveryID   string
	Installation int64
	Repository   string // owner/name
	PR           int
	SHA          string
	// Subject groups records of one thing that is not a PR, e.g. "run:123/env:production"
	// for a deployment gate, so one decision per (run, environment) can be enforced.
	Subject string
	// FactKey names the fact the record states (docs/audit.md lists the keys): Append
	// adds no second record with the same non-empty key and returns the first one
	// instead, so a delivery processed twice (a lease taken over, a retry after a lost
	// COMMIT answer, two replicas) records its push, merge or decision once. It is not
	// part of the hash; it is filled in on the records Append returns, not on reads.
	FactKey      string
	Actor        string
	Outcome      string
	PolicyDigest string
	PolicySource PolicySource
	Facts        json.RawMessage // stored once per digest
	Decision     json.RawMessage // stored once per digest
	PrevHash     string
	Hash         string
}

// Filter selects audit records. Zero fields match everything.
type Filter struct {
	Since   time.Time
	Until   time.Time
	Repo    string
	Kinds   []Kind
	PR      int
	SHA     string
	Subject string
	Actor   string
	Outcome string
	// Scope, when not nil, keeps only the repositories it names (the console's session);
	// an empty non-nil Scope matches nothing.
	Scope *Scope
}

// Audit is the append-only, hash-chained decision log.
type Audit interface {
	// Append adds a record at the end of the chain and returns it completed. When it
	// returns nil the record is durable. A record whose FactKey is already in the log is
	// not added again: Append returns the record that holds the key.
	Append(ctx context.Context, r Record) (Record, error)
	// Scan streams every record from fromSeq on, in sequence order, with its Facts and
	// Decision, in bounded memory.
	Scan(ctx context.Context, fromSeq int64, fn func(Record) error) error
	// Query streams the records that match f, in sequence order.
	Query(ctx context.Context, f Filter, fn func(Record) error) error
	// Latest returns the last record that matches f, or ErrNotFound.
	Latest(ctx context.Context, f Filter) (Record, error)
	// VerifyRecord re-checks a record before a decision relies on it: r as the caller
	// holds it (with its documents) must be the record the chain holds at r.Seq, and the
	// chain must lead from it to a record signed by the app's key. A failure wraps
	// ErrTampered.
	VerifyRecord(ctx context.Context, r Record) error
}

// OpenFunc opens a store from a DSN: a SQLite file path (optionally "sqlite://path" or
// "file:path") or a "postgres://" / "postgresql://" URL. Migrations are applied.
type OpenFunc func(ctx context.Context, dsn string) (Store, error)
