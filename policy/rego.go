package policy

import (
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
)

// Rego is a rule's requirement written in Rego (Open Policy Agent), for controls the
// YAML keys cannot express. The module sees the Facts document as input and params as
// data.params; its package's deny set fails the requirement, its pending set makes it
// pending. It is compiled and its query prepared when the policy is parsed (or, for a
// `file:` module, when the file is attached), so evaluation only runs the query.
type Rego struct {
	Module string         // the module's text: inline, or the file's content once attached
	File   string         // repository path of a `file:` module; "" for an inline module
	Query  string         // as written; "" means the module's package
	Params map[string]any // data.params, JSON values
	Teams  []string       // teams whose membership the module reads in input.users

	filePos  Error // where `file:` is written, for errors about the file itself
	queryPos Error // where `query:` (or the rego section) is written
	prepared *preparedRego
}

// preparedRego is a compiled module and its prepared query, safe for concurrent use.
type preparedRego struct {
	query string // the package reference, e.g. data.foureyes.migrations
	pq    rego.PreparedEvalQuery
	// inputKeys are the top-level input fields the module reads (nil: all of them), so
	// evaluation converts only those facts.
	inputKeys []string
}

// KindRego is the requirement kind of a rule's rego section.
const KindRego = "rego"

// Evidence kinds of a rego requirement: a message of the deny or pending set, and an
// item the module attached to one as evidence.
const (
	EvidenceRegoDeny    = "rego_deny"
	EvidenceRegoPending = "rego_pending"
	EvidenceRego        = "rego_evidence"
)

// DefaultRegoTimeout bounds one rego requirement's evaluation unless the server
// configures policy.rego_timeout.
const DefaultRegoTimeout = 100 * time.Millisecond

// regoTimeout is read on every evaluation; SetRegoTimeout changes it at start-up.
var regoTimeout atomic.Int64

func init() { regoTimeout.Store(int64(DefaultRegoTimeout)) }

// SetRegoTimeout sets how long one rego requirement may run before it fails closed
// (policy.rego_timeout). Call it once at start-up, before any evaluation; d <= 0
// restores the default.
func SetRegoTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultRegoTimeout
	}
	regoTimeout.Store(int64(d))
}

// RegoTimeout is the bound SetRegoTimeout set.
func RegoTimeout() time.Duration { return time.Duration(regoTimeout.Load()) }
