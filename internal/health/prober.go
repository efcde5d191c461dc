package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/store"
)

// Prober reads, classifies and records the control state of repositories.
type Prober struct {
	Clients   githubapp.ClientCreator
	Store     store.Store
	AppID     int64  // this app's id: the check must be pinned to it
	CheckName string // "foureyes"
}

// Probed is one probe's outcome.
type Probed struct {
	Observation Observation
	Result      Result
	Record      *store.Record // the control_health record appended, nil when unchanged
}

// recordFacts is the Facts document of a control_health record.
type recordFacts struct {
	Observation
	Result
}

// Probe reads the rules of owner/repo's default branch, classifies them, and appends a
// control_health record when the state (or the default branch) differs from the last
// one recorded. The error is a failure worth retrying (GitHub or store unavailable); a
// repository whose rules cannot be read for good is recorded as unknown.
func (p *Prober) Probe(ctx context.Context, installationID int64, owner, repo, deliveryID string) (Probed, error) {
	client, err := p.Clients.NewInstallationClient(installationID)
	if err != nil {
		return Probed{}, fmt.Errorf("installation client %d: %w", installationID, err)
	}
	full := owner + "/" + repo
	o := Observation{Repository: full, CheckName: p.CheckName, AppID: p.AppID, Rules: []Rule{}}
	r, _, err := client.Repositories.Get(ctx, owner, repo)
	switch {
	case isPermanent(err):
		o.RulesError = "repository not readable: " + errText(err)
	case err != nil:
		return Probed{}, fmt.Errorf("get repository %s: %w", full, err)
	default:
		o.Branch = r.GetDefaultBranch()
		if err := p.read(ctx, client, &o); err != nil {
			return Probed{}, err
		}
	}
	res := Classify(o)
	out := Probed{Observation: o, Result: res}
	last, err := p.Store.Latest(ctx, store.Filter{Repo: full, Kinds: []store.Kind{store.KindControlHealth}})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Probed{}, fmt.Errorf("last control health of %s: %w", full, err)
	}
	subject := "branch:" + o.Branch
	if err == nil && last.Outcome == string(res.State) && last.Subject == subject {
		return out, nil
	}
	facts, merr := json.Marshal(recordFacts{o, res})
	if merr != nil {
		return Probed{}, fmt.Errorf("encode control health: %w", merr)
	}
	var after int64
	if err == nil {
		after = last.Seq
	}
	// Two replicas probing the same change after the same record state it once.
	key := fmt.Sprintf("control_health:%s:after:%d:%s:%s", full, after, subject, res.State)
	rec, err := p.Store.Append(ctx, store.Record{Kind: store.KindControlHealth, DeliveryID: deliveryID, Installation: installationID,
		Repository: full, Subject: subject, Outcome: string(res.State), Facts: facts, FactKey: key})
	if err != nil {
		return Probed{}, fmt.Errorf("append control health of %s: %w", full, err)
	}
	zerolog.Ctx(ctx).Info().Str("repository", full).Str("state", string(res.State)).Str("reason", res.Reason).Msg("control health changed")
	out.Record = &rec
	return out, nil
}

// read fills o with the branch's rules and classic protection.
func (p *Prober) read(ctx context.Context, client *github.Client, o *Observation) error {
	owner, repo, _ := strings.Cut(o.Repository, "/")
	base := "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo)
	rulesPath := base + "/rules/branches/" + escapeBranch(o.Branch) + "?per_page=100"
	for page := 1; rulesPath != "" && page <= 100; page++ {
		body, resp, err := getRaw(ctx, client, rulesPath)
		switch {
		case isPermanent(err):
			o.RulesError = errText(err)
			return nil
		case err != nil:
			return fmt.Errorf("rules of %s@%s: %w", o.Repository, o.Branch, err)
		}
		rules, err := ParseRules(body)
		if err != nil {
			o.RulesError = err.Error()
			return nil
		}
		o.Rules = append(o.Rules, rules...)
		rulesPath = ""
		if resp.NextPage != 0 {
			rulesPath = fmt.Sprintf("%s/rules/branches/%s?per_page=100&page=%d", base, escapeBranch(o.Branch), resp.NextPage)
		}
	}
	body, _, err := getRaw(ctx, client, base+"/branches/"+escapeBranch(o.Branch)+"/protection")
	var ge *github.ErrorResponse
	switch {
	case errors.As(err, &ge) && ge.Response.StatusCode == http.StatusNotFound:
		o.Classic = ClassicNone
	case errors.As(err, &ge) && ge.Response.StatusCode == http.StatusForbidden:
		o.Classic = ClassicForbidden
	case err != nil:
		return fmt.Errorf("branch protection of %s@%s: %w", o.Repository, o.Branch, err)
	default:
		prot, err := ParseProtection(body)
		if err != nil {
			o.Classic = ClassicForbidden
			break
		}
		o.Classic, o.Protection = ClassicRead, prot
	}
	for _, r := range o.Rules {
		checks, _ := r.RequiredChecks()
		for _, c := range checks {
			if c.Context == o.CheckName && c.IntegrationID != nil && *c.IntegrationID == o.AppID {
				o.RulesetIDs = append(o.RulesetIDs, r.RulesetID)
			}
		}
	}
	return nil
}

func escapeBranch(b string) string {
	parts := strings.Split(b, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return strings.Join(parts, "/")
}

// getRaw GETs an API path with the client's auth and returns the body undecoded, so the
// response is parsed with this package's own structs.
func getRaw(ctx context.Context, client *github.Client, path string) ([]byte, *github.Response, error) {
	req, err := client.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	resp, err := client.Do(ctx, req, &raw)
	return raw, resp, err
}

// isPermanent: GitHub answered that the caller may not read this (403 without a rate
// limit, 404): probing again will not help until something changes.
func isPermanent(err error) bool {
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response == nil {
		return false
	}
	var rl *github.RateLimitError
	var arl *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &arl) {
		return false
	}
	return ge.Response.StatusCode == http.StatusNotFound || ge.Response.StatusCode == http.StatusForbidden
}

func errText(err error) string {
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil {
		return fmt.Sprintf("%d %s", ge.Response.StatusCode, ge.Message)
	}
	return err.Error()
}
