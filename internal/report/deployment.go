package report

import (
	"strings"

	"github.com/foureyes/foureyes/policy"
)

// MaxDeploymentComment is GitHub's limit on a deployment protection rule comment.
const MaxDeploymentComment = 1024

// DeploymentComment is the comment sent with the answer to a deployment protection
// rule: the state, the reasons naming PRs and people, and a link to the evidence.
func DeploymentComment(d policy.DeploymentDecision, evidenceURL string) string {
	var b strings.Builder
	if d.State == policy.DeploymentApproved {
		b.WriteString("foureyes approved")
	} else {
		b.WriteString("foureyes rejected")
	}
	b.WriteString(" deployment to " + d.Environment + ": " + oneLine(d.Reason) + "\n")
	for _, r := range d.Rules {
		for _, q := range r.Requirements {
			if q.Status == policy.StatusPass && d.State == policy.DeploymentRejected {
				continue // when rejecting, say only what is wrong
			}
			b.WriteString("- " + q.Kind + ": " + oneLine(q.Reason) + "\n")
		}
	}
	for _, e := range d.Errors {
		b.WriteString("- " + oneLine(e) + "\n")
	}
	tail := ""
	if evidenceURL != "" {
		tail = "Evidence: " + evidenceURL
	}
	body := b.String()
	if len(body)+len(tail) > MaxDeploymentComment {
		body = truncate(body, MaxDeploymentComment-len(tail)-1) + "\n"
	}
	return truncate(strings.TrimRight(body+tail, "\n"), MaxDeploymentComment)
}
