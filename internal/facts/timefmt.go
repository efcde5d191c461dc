package facts

import (
	"time"

	"github.com/google/go-github/v60/github"
)

// rfc3339 formats a GitHub timestamp as RFC 3339 in UTC, the format of every time in Facts
// (the audit log compares and hashes them as strings). Nil or zero gives "".
func rfc3339(ts *github.Timestamp) string {
	if ts == nil || ts.Time.IsZero() {
		return ""
	}
	return ts.Time.UTC().Format(time.RFC3339)
}

// timeOf returns the time of ts, zero for nil.
func timeOf(ts *github.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.Time
}
