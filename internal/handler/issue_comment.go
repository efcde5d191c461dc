package handler

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/policy"
)

// IssueComment handles issue_comment: a `/foureyes emergency <reference> <reason>`
// comment on a pull request declares an emergency change. The declaration is recorded
// (an `emergency` audit record, an input of every later decision of the PR), the PR is
// evaluated at once, and foureyes replies with what the policy made of it: accepted
// with the review deadline, or refused and why.
type IssueComment struct{ *Base }

func (h *IssueComment) Handles() []string { return []string{"issue_comment"} }

func (h *IssueComment) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.IssueCommentEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	if ev.GetAction() != "created" || !ev.GetIssue().IsPullRequest() {
		return nil // an edited comment is not a new declaration: what was said stays said
	}
	by := ev.GetComment().GetUser().GetLogin()
	if strings.HasSuffix(by, "[bot]") || ev.GetComment().GetUser().GetType() == "Bot" {
		return nil // foureyes' own replies, and other bots, never declare
	}
	cmd, ok := policy.ParseEmergencyCommand(ev.GetComment().GetBody())
	if !ok {
		return nil
	}
	inst, repo := ev.GetInstallation().GetID(), ev.GetRepo()
	owner, name, number := repo.GetOwner().GetLogin(), repo.GetName(), ev.GetIssue().GetNumber()
	ctx, logger := repoContext(ctx, inst, repo)
	client, err := h.Clients.NewInstallationClient(inst)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", inst, err)
	}
	reply := func(body string) error {
		_, _, err := client.Issues.CreateComment(ctx, owner, name, number, &github.IssueComment{Body: github.String(body)})
		if err != nil {
			return fmt.Errorf("reply to the emergency declaration on %s#%d: %w", repo.GetFullName(), number, err)
		}
		return nil
	}
	pr, _, err := client.PullRequests.Get(ctx, owner, name, number)
	if err != nil {
		return fmt.Errorf("get pull request %s#%d: %w", repo.GetFullName(), number, err)
	}
	if pr.GetState() != "open" {
		return reply("foureyes: emergency declaration refused: #" + strconv.Itoa(number) + " is not open; an emergency is declared before the merge.")
	}
	at := ev.GetComment().GetCreatedAt().Time
	if at.IsZero() {
		at = h.Now()
	}
	decl := policy.Declaration{By: by, At: at.UTC().Format(time.RFC3339), Reference: cmd.Reference, Reason: cmd.Reason,
		HeadSHA: pr.GetHead().GetSHA(), CommentID: ev.GetComment().GetID()}
	t := evaluate.Target{InstallationID: inst, Owner: owner, Repo: name, Number: number, DeliveryIDs: []string{deliveryID}}
	if err := h.Evaluator.Declare(ctx, t, decl); err != nil {
		return err
	}
	res, err := h.Evaluator.PullRequest(ctx, t)
	if err != nil {
		return err
	}
	line := "emergency declaration " + decl.Reference + " by " + by + " refused: no foureyes rule with an emergency section applies to this change"
	if res.Decision.Emergency != nil {
		for _, x := range res.Decision.Emergency.Declarations {
			if x.CommentID == decl.CommentID {
				line = report.EmergencyLine(x)
			}
		}
	}
	logger.Info().Str("reference", decl.Reference).Str("declared_by", by).Str("result", line).Msg("emergency declaration")
	return reply("foureyes: " + line + "\n\nThe `foureyes` check shows the decision in full.")
}
