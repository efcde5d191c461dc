package githubtest

import (
	"net/http"
	"strconv"
)

// Rules in force on a branch (GET /repos/{o}/{r}/rules/branches/{branch}) are served as
// GitHub does: a JSON array of {type, parameters, ruleset_source_type, ruleset_source,
// ruleset_id}, paginated, [] for a branch without rules. Rule types are free text, so a
// test can serve types go-github does not know (merge_queue, copilot_code_review).

// RequiredCheckRule is a required_status_checks rule requiring context, pinned to
// integrationID (0: any source, "integration_id" left out).
func RequiredCheckRule(context string, integrationID int64, rulesetID int64) map[string]any {
	check := map[string]any{"context": context}
	if integrationID != 0 {
		check["integration_id"] = integrationID
	}
	return map[string]any{"type": "required_status_checks", "ruleset_source_type": "Repository", "ruleset_id": rulesetID,
		"parameters": map[string]any{"strict_required_status_checks_policy": false, "do_not_enforce_on_create": false,
			"required_status_checks": []any{check}}}
}

// PullRequestRule is a pull_request rule (pull requests required before merging).
func PullRequestRule(approvals int, rulesetID int64) map[string]any {
	return map[string]any{"type": "pull_request", "ruleset_source_type": "Repository", "ruleset_id": rulesetID,
		"parameters": map[string]any{"required_approving_review_count": approvals, "dismiss_stale_reviews_on_push": true,
			"require_code_owner_review": false, "require_last_push_approval": false, "required_review_thread_resolution": false,
			"automatic_copilot_code_review_enabled": false, "allowed_merge_methods": []any{"merge", "squash", "rebase"}}}
}

// SetBranchRules replaces the rules in force on branch. Each rule gets
// ruleset_source = the repository's full name when it has none.
func (r *Repo) SetBranchRules(branch string, rules ...map[string]any) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.rules == nil {
		r.rules = map[string][]map[string]any{}
	}
	for _, rule := range rules {
		if _, ok := rule["ruleset_source"]; !ok {
			rule["ruleset_source"] = r.FullName
		}
	}
	r.rules[branch] = rules
}

// SetBranchProtection sets classic branch protection on branch; nil removes it (404
// "Branch not protected"). requiredChecks maps a context to its app_id (-1: any app).
func (r *Repo) SetBranchProtection(branch string, requiredChecks map[string]int64, requirePRs bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.protection == nil {
		r.protection = map[string]map[string]any{}
	}
	if requiredChecks == nil && !requirePRs {
		delete(r.protection, branch)
		return
	}
	base := r.s.URL + apiPrefix + "/repos/" + r.FullName + "/branches/" + branch + "/protection"
	p := map[string]any{"url": base, "enforce_admins": map[string]any{"url": base + "/enforce_admins", "enabled": false},
		"allow_force_pushes": map[string]any{"enabled": false}, "allow_deletions": map[string]any{"enabled": false}}
	if requiredChecks != nil {
		contexts, checks := []any{}, []any{}
		for c, id := range requiredChecks {
			contexts = append(contexts, c)
			checks = append(checks, map[string]any{"context": c, "app_id": id})
		}
		p["required_status_checks"] = map[string]any{"url": base + "/required_status_checks", "strict": false,
			"contexts": contexts, "checks": checks}
	}
	if requirePRs {
		p["required_pull_request_reviews"] = map[string]any{"url": base + "/required_pull_request_reviews",
			"dismiss_stale_reviews": false, "require_code_owner_reviews": false, "required_approving_review_count": 1}
	}
	r.protection[branch] = p
}

// SetAdministrationForbidden makes classic protection answer 403 "Resource not accessible
// by integration", as for an installation without administration: read.
func (r *Repo) SetAdministrationForbidden(forbidden bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.adminForbidden = forbidden
}

func (s *Server) handleBranchRules(w http.ResponseWriter, req *http.Request, repo *Repo) {
	s.mu.Lock()
	rules := append([]map[string]any(nil), repo.rules[req.PathValue("branch")]...)
	s.mu.Unlock()
	items := make([]any, len(rules))
	for i, r := range rules {
		items[i] = r
	}
	paginate(w, req, items)
}

func (s *Server) handleBranchProtection(w http.ResponseWriter, req *http.Request, repo *Repo) {
	s.mu.Lock()
	forbidden, p := repo.adminForbidden, repo.protection[req.PathValue("branch")]
	s.mu.Unlock()
	switch {
	case forbidden:
		writeError(w, http.StatusForbidden, "Resource not accessible by integration")
	case p == nil:
		writeError(w, http.StatusNotFound, "Branch not protected")
	default:
		writeJSON(w, http.StatusOK, p)
	}
}

// RulesetEvent is a repository_ruleset webhook (action created, edited or deleted) for a
// repository ruleset with id.
func RulesetEvent(r *Repo, action string, id int64, sender string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, action, sender)
	m["repository_ruleset"] = map[string]any{"id": id, "name": "protect " + r.DefaultBranch, "target": "branch",
		"source_type": "Repository", "source": r.FullName, "enforcement": "active", "node_id": nodeID("RepositoryRuleset", id),
		"_links": map[string]any{"self": map[string]any{"href": r.s.URL + apiPrefix + "/repos/" + r.FullName + "/rulesets/" + strconv.FormatInt(id, 10)}}}
	return m
}

// BranchProtectionRuleEvent is a branch_protection_rule webhook (created, edited, deleted)
// for the rule protecting pattern.
func BranchProtectionRuleEvent(r *Repo, action, pattern, sender string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, action, sender)
	m["rule"] = map[string]any{"id": 1, "repository_id": r.ID, "name": pattern, "created_at": baseTime.Format("2006-01-02T15:04:05Z"),
		"updated_at": baseTime.Format("2006-01-02T15:04:05Z"), "pull_request_reviews_enforcement_level": "non_admins",
		"required_approving_review_count": 1, "required_status_checks_enforcement_level": "non_admins",
		"required_status_checks": []any{}, "admin_enforced": false}
	return m
}

// RepositoryDefaultBranchEvent is the repository webhook (edited) GitHub sends when the
// default branch changed from old to the repository's current default branch.
func RepositoryDefaultBranchEvent(r *Repo, old, sender string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, "edited", sender)
	m["changes"] = map[string]any{"default_branch": map[string]any{"from": old}}
	return m
}

// OrgRulesetEvent is a repository_ruleset webhook for an org ruleset: GitHub sends it
// without a repository (the ruleset targets the org's repositories).
func OrgRulesetEvent(r *Repo, action string, id int64, sender string) map[string]any {
	m := RulesetEvent(r, action, id, sender)
	delete(m, "repository")
	rs := m["repository_ruleset"].(map[string]any)
	rs["source_type"], rs["source"] = "Organization", r.Owner
	return m
}
