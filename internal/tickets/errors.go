package tickets

import (
	"errors"
	"fmt"
)

// ErrNotFound says the system answered that the ticket does not exist.
var ErrNotFound = errors.New("ticket not found")

// UnreachableError says the system could not give an answer: a timeout, a connection
// error, a 5xx or 429 after the retries, an answer that does not parse, or a 401/403
// (Auth: the configured credentials are wrong or lack permission).
type UnreachableError struct {
	System string // jira or servicenow
	Reason string // e.g. "HTTP 503", "timeout"; never a secret
	Auth   bool
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s unreachable: %s", systemName(e.System), e.Reason)
}

// systemName is how a system is named in reasons shown to developers.
func systemName(system string) string {
	switch system {
	case "jira":
		return "Jira"
	case "servicenow":
		return "ServiceNow"
	}
	return system
}
