package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/metrics"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Gate answers deployment protection rules.
type Gate struct {
	Clients   githubapp.ClientCreator
	Store     store.Store
	Evaluator *evaluate.Evaluator // its PolicyLoader and Gatherer; and fresh PR decisions
	Metrics   *metrics.Metrics
	// APIURL is the configured GitHub REST API URL: callbacks elsewhere are refused.
	APIURL string
	// RejectUnknown are environment globs that no policy rule may leave unnamed.
	RejectUnknown []string
	Now           func() time.Time
	// TicketRetries are the waits before re-reading an unreachable change request
	// (nil: DefaultTicketRetries).
	TicketRetries []time.Duration

	locks locks
}

// Subject is the audit subject of one gate decision: one per (run, environment).
func Subject(runID int64, env string) string { return fmt.Sprintf("run:%d/env:%s", runID, env) }

// answeredKey is the checkpoint set once GitHub took the answer.
func answeredKey(runID int64, env string) string {
	return fmt.Sprintf("deploy-answered:%d/%s", runID, env)
}

// Handle decides and answers one request. The decision is appended to the audit log
// before GitHub sees it; a transient failure to answer returns an error the inbox
// retries, and the retry answers with the decision already recorded.
func (g *Gate) Handle(ctx context.Context, r Request) error {
	logger := zerolog.Ctx(ctx).With().Str("environment", r.Environment).Str("github_sha", r.SHA).Logger()
	ctx = logger.WithContext(ctx)
	runID, err := CheckCallback(g.APIURL, r.CallbackURL, r.FullName())
	if err != nil {
		return g.refuse(ctx, r, err)
	}
	subject := Subject(runID, r.Environment)
	lock, err := g.locks.acquire(ctx, g.Store, subject)
	if err != nil {
		return err
	}
	defer lock.Release()
	done, err := g.Store.GetCheckpoint(ctx, answeredKey(runID, r.Environment))
	if err != nil {
		return fmt.Errorf("read %s: %w", answeredKey(runID, r.Environment), err)
	}
	if done != "" {
		logger.Info().Str("audit_seq", done).Msg("deployment already answered: nothing to do")
		return nil
	}
	client, err := g.Clients.NewInstallationClient(r.InstallationID)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", r.InstallationID, err)
	}
	d, rec, err := g.decision(ctx, client, r, runID, subject)
	if err != nil {
		return err
	}
	comment := report.DeploymentComment(d, fmt.Sprintf("audit record #%d (foureyes audit trace --repo %s --sha %s)", rec.Seq, r.FullName(), r.SHA))
	// Answer only while holding the lock: after a failover another replica may hold it.
	if err := lock.Check(ctx); err != nil {
		return err
	}
	if err := answer(ctx, client, r.CallbackURL, r.Environment, d.State, comment); err != nil {
		return err
	}
	if err := g.Store.SetCheckpoint(ctx, answeredKey(runID, r.Environment), strconv.FormatInt(rec.Seq, 10)); err != nil {
		// GitHub has the answer; a redelivery would answer again with the same decision.
		logger.Error().Err(err).Msg("remember that the deployment was answered")
	}
	g.Metrics.DeploymentAnswers.WithLabelValues(string(d.State)).Inc()
	logger.Info().Str("state", string(d.State)).Str("reason", d.Reason).Int64("audit_seq", rec.Seq).
		Int64("run_id", runID).Msg("deployment answered")
	return nil
}

// decision returns the recorded decision of subject, or decides and records it.
func (g *Gate) decision(ctx context.Context, client *github.Client, r Request, runID int64, subject string) (policy.DeploymentDecision, store.Record, error) {
	var d policy.DeploymentDecision
	rec, err := g.Store.Latest(ctx, store.Filter{Repo: r.FullName(), Subject: subject, Kinds: []store.Kind{store.KindDeploymentDecision}})
	if err == nil {
		// A stored decision is re-checked before it is used: a row INSERTed by a script
		// with a correct SHA-256 chain is not signed by the app, and is refused.
		if err := g.Store.VerifyRecord(ctx, rec); err != nil {
			return d, rec, fmt.Errorf("recorded decision #%d of %s: %w", rec.Seq, subject, err)
		}
		if err := json.Unmarshal(rec.Decision, &d); err != nil {
			return d, rec, fmt.Errorf("decode recorded decision #%d: %w", rec.Seq, err)
		}
		zerolog.Ctx(ctx).Info().Int64("audit_seq", rec.Seq).Msg("answering with the decision already recorded")
		return d, rec, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return d, rec, fmt.Errorf("recorded decision of %s: %w", subject, err)
	}
	rf, src, d, err := g.decide(ctx, client, r, runID, subject)
	if err != nil {
		return d, rec, err
	}
	factsJSON, err := json.Marshal(rf)
	if err != nil {
		return d, rec, fmt.Errorf("encode deployment facts: %w", err)
	}
	rec, err = g.Store.Append(ctx, store.Record{
		Kind: store.KindDeploymentDecision, DeliveryID: r.DeliveryID, Installation: r.InstallationID,
		Repository: r.FullName(), SHA: r.SHA, Subject: subject, Actor: rf.Deployer, Outcome: string(d.State),
		PolicyDigest: d.PolicyDigest, PolicySource: src, Facts: factsJSON, Decision: d.JSON(),
	})
	if err != nil {
		return d, rec, fmt.Errorf("append deployment decision to the audit log: %w", err)
	}
	return d, rec, nil
}

// refuse records a callback URL that does not point at the configured GitHub API. It is
// never requested; the delivery is done (a retry would refuse it again).
func (g *Gate) refuse(ctx context.Context, r Request, why error) error {
	zerolog.Ctx(ctx).Warn().Err(why).Str("callback_url", r.CallbackURL).Str("api_url", g.APIURL).
		Msg("refused a deployment callback URL that is not on the configured GitHub API")
	g.Metrics.RefusedCallbacks.Inc()
	details, err := json.Marshal(map[string]string{"environment": r.Environment, "callback_url": r.CallbackURL,
		"api_url": g.APIURL, "reason": why.Error(), "sender": r.Sender})
	if err != nil {
		return fmt.Errorf("encode refusal: %w", err)
	}
	_, err = g.Store.Append(ctx, store.Record{Kind: store.KindRefused, DeliveryID: r.DeliveryID, Installation: r.InstallationID,
		Repository: r.FullName(), SHA: r.SHA, Subject: "env:" + r.Environment, Actor: r.Sender, Outcome: "refused", Facts: details})
	if err != nil {
		return fmt.Errorf("append refused callback to the audit log: %w", err)
	}
	return nil
}
