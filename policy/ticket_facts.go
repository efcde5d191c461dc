package policy

// TicketSnapshot is a change ticket (a Jira issue or a ServiceNow change request) as
// foureyes read it when it decided. It is a fact like a review: recorded with the
// decision, so `foureyes policy eval` re-derives the verdict from the record alone,
// without asking Jira or ServiceNow again. Times are RFC 3339, UTC.
type TicketSnapshot struct {
	Key    string `json:"key"`
	System string `json:"system"` // jira or servicenow
	// Read says how the read went: ok, not_found, or unreachable (timeout, 5xx, 401/403:
	// the ticket's state is unknown, so nothing that depends on it can pass).
	Read  string `json:"read"`
	Error string `json:"error,omitempty"` // why it was unreachable, without secrets
	// Status is the status name (Jira) or the state's display value (ServiceNow).
	Status string `json:"status,omitempty"`
	// StatusCategory is Jira's status category key: new, indeterminate or done.
	StatusCategory string `json:"status_category,omitempty"`
	Type           string `json:"type,omitempty"` // issue type, or standard|normal|emergency
	// Approvals are the approval steps, oldest first: Jira Service Management approvals,
	// or one step for a ServiceNow change request (its approval field and its
	// sysapproval_approver rows).
	Approvals    []TicketApproval `json:"approvals"`
	PlannedStart string           `json:"planned_start,omitempty"`
	PlannedEnd   string           `json:"planned_end,omitempty"`
	ReadAt       string           `json:"read_at"`
	// Digest is "sha256:" and the hex SHA-256 of the raw answers the snapshot was built
	// from, in request order, so an auditor can match it with the system's own record.
	Digest string `json:"digest,omitempty"`
}

// TicketApproval is one approval step and its final decision.
type TicketApproval struct {
	Name string `json:"name,omitempty"`
	// Decision is the step's final decision: approved, declined, pending (Jira), or the
	// change request's approval: approved, rejected, requested, not requested (ServiceNow).
	Decision    string           `json:"decision"`
	CreatedAt   string           `json:"created_at,omitempty"`
	CompletedAt string           `json:"completed_at,omitempty"`
	Approvers   []TicketApprover `json:"approvers"`
}

// TicketApprover is one person asked to approve, and what they decided.
type TicketApprover struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"` // lower case
	// Login is the GitHub login, from the server's tickets.users map (by e-mail).
	Login    string `json:"login,omitempty"`
	Decision string `json:"decision"` // approved, declined/rejected, pending/requested, ...
	At       string `json:"at,omitempty"`
}

// Ticket read results.
const (
	TicketReadOK          = "ok"
	TicketReadNotFound    = "not_found"
	TicketReadUnreachable = "unreachable"
)

// Ticket systems.
const (
	SystemJira       = "jira"
	SystemServiceNow = "servicenow"
)
