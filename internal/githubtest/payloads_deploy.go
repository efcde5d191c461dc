package githubtest

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// deploymentIDs derives stable ids for a deployment of sha to env.
func deploymentIDs(r *Repo, env, sha string) (deploymentID, runID int64) {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s|%s|%s", r.FullName, env, sha)
	v := int64(h.Sum32() % 9_000_000)
	return 1_000_000 + v, 10_000_000 + v
}

// DeploymentCallbackURL is the deployment_callback_url GitHub sends for runID on r: the API
// URL of the fake, so the callback reaches it.
func DeploymentCallbackURL(r *Repo, runID int64) string {
	return fmt.Sprintf("%srepos/%s/actions/runs/%d/deployment_protection_rule", r.s.APIURL, r.FullName, runID)
}

// DeploymentRunID is the workflow run id the deployment builders use for env and sha on r
// (the run in DeploymentProtectionRuleEvent's default callback URL).
func DeploymentRunID(r *Repo, env, sha string) int64 {
	_, run := deploymentIDs(r, env, sha)
	return run
}

func deploymentJSONLocked(r *Repo, env, sha, ref, creator string) map[string]any {
	id, _ := deploymentIDs(r, env, sha)
	api := fmt.Sprintf("%srepos/%s/deployments/%d", r.s.APIURL, r.FullName, id)
	return map[string]any{
		"url": api, "id": id, "node_id": nodeID("Deployment", id), "sha": sha, "ref": strings.TrimPrefix(ref, "refs/heads/"),
		"task": "deploy", "payload": map[string]any{}, "original_environment": env, "environment": env,
		"description": nil, "creator": userJSON(creator), "created_at": ts(baseTime), "updated_at": ts(baseTime),
		"statuses_url": api + "/statuses", "repository_url": r.s.APIURL + "repos/" + r.FullName,
		"production_environment": strings.HasPrefix(env, "prod"), "transient_environment": false,
	}
}

// DeploymentProtectionRuleEvent builds deployment_protection_rule requested: environment,
// event (e.g. "push", "workflow_dispatch"), sha, ref, deployment_callback_url (callbackURL,
// or the fake's callback URL for DeploymentRunID when ""), deployment (created by sender; set
// m["deployment"] = nil for GitHub's null form), pull_requests (the PRs of prNumbers that
// exist in r), sender and installation.
func DeploymentProtectionRuleEvent(r *Repo, env, sha, ref, event, callbackURL, sender string, prNumbers []int) map[string]any {
	if callbackURL == "" {
		callbackURL = DeploymentCallbackURL(r, DeploymentRunID(r, env, sha))
	}
	if event == "" {
		event = "push"
	}
	if ref != "" && !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, "requested", sender)
	m["environment"] = env
	m["event"] = event
	m["sha"] = sha
	m["ref"] = ref
	m["deployment_callback_url"] = callbackURL
	m["deployment"] = deploymentJSONLocked(r, env, sha, ref, sender)
	prs := []any{}
	for _, n := range prNumbers {
		if p, ok := r.prs[n]; ok {
			prs = append(prs, prJSONLocked(r, p))
		}
	}
	m["pull_requests"] = prs
	return m
}

// DeploymentEvent builds deployment created for sha/ref to env by creator.
func DeploymentEvent(r *Repo, env, sha, ref, creator string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, "created", creator)
	m["deployment"] = deploymentJSONLocked(r, env, sha, ref, creator)
	m["workflow"] = nil
	m["workflow_run"] = nil
	return m
}

// DeploymentStatusEvent builds deployment_status created with state (pending, in_progress,
// success, failure, error) for the deployment of sha/ref to env by creator.
func DeploymentStatusEvent(r *Repo, env, sha, ref, state, creator string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	d := deploymentJSONLocked(r, env, sha, ref, creator)
	id := d["id"].(int64)*10 + 1
	m := envelopeLocked(r, "created", creator)
	m["deployment"] = d
	m["deployment_status"] = map[string]any{
		"url": fmt.Sprintf("%s/statuses/%d", d["url"], id), "id": id, "node_id": nodeID("DeploymentStatus", id),
		"state": state, "creator": userJSON(creator), "description": "", "environment": env, "target_url": "",
		"created_at": ts(baseTime), "updated_at": ts(baseTime), "deployment_url": d["url"], "repository_url": d["repository_url"],
	}
	return m
}

// DeploymentReviewEvent builds deployment_review (requested, approved, rejected) of the
// workflow run DeploymentRunID(r, env, sha) by approver (the sender) with comment.
// go-github v60 has no type for this event: decode it yourself.
func DeploymentReviewEvent(r *Repo, action, env, sha, approver, comment string) map[string]any {
	_, runID := deploymentIDs(r, env, sha)
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, action, approver)
	m["since"] = ts(baseTime)
	m["environment"] = env
	m["workflow_run"] = map[string]any{
		"id": runID, "name": "deploy", "head_sha": sha, "head_branch": r.DefaultBranch, "event": "push",
		"status": "waiting", "conclusion": nil, "run_attempt": 1, "pull_requests": []any{},
		"html_url":   fmt.Sprintf("%s/%s/actions/runs/%d", r.s.URL, r.FullName, runID),
		"created_at": ts(baseTime), "updated_at": ts(baseTime), "actor": userJSON(approver),
	}
	m["workflow_job_run"] = map[string]any{
		"id": runID + 1, "name": "deploy", "status": "waiting", "conclusion": nil, "environment": env,
		"html_url":   fmt.Sprintf("%s/%s/actions/runs/%d/job/%d", r.s.URL, r.FullName, runID, runID+1),
		"created_at": ts(baseTime), "updated_at": ts(baseTime),
	}
	if action == "requested" {
		m["reviewers"] = []any{map[string]any{"type": "User", "reviewer": userJSON(approver)}}
		m["requestor"] = userJSON(approver)
	} else {
		m["approver"] = userJSON(approver)
		m["comment"] = comment
		m["workflow_job_runs"] = []any{m["workflow_job_run"]}
	}
	return m
}
