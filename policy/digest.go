package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Digest identifies the merged policy that produced a decision, so the audit log can
// say which rules were in force. It is SHA-256 over a canonical JSON encoding (fixed
// field order, defaults filled in, origin included), not over the YAML text, so
// comments and formatting do not change it.
func (p *Policy) Digest() string {
	if p != nil && p.digest != "" {
		return p.digest
	}
	return p.computeDigest()
}

func (p *Policy) computeDigest() string {
	b, _ := json.Marshal(p.canonical()) // plain structs of strings, ints and bools: cannot fail
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type canonicalPolicy struct {
	Version     int               `json:"version"`
	Rules       []canonicalRule   `json:"rules"`
	Deployments []canonicalDeploy `json:"deployments"`
}

type canonicalRule struct {
	Name        string          `json:"name"`
	Origin      Origin          `json:"origin"`
	Branches    []string        `json:"branches"`
	Paths       []string        `json:"paths"`
	IgnorePaths []string        `json:"ignore_paths"`
	Approvals   *canonicalAppr  `json:"approvals"`
	Checks      []CheckReq      `json:"checks"`
	Ticket      *canonicalTickt `json:"ticket"`
	// omitempty: policies without emergencies keep the digests they always had.
	Emergency *canonicalEmergency `json:"emergency,omitempty"`
	Rego      *canonicalRego      `json:"rego,omitempty"` // omitted when absent: older digests stay valid
}

type canonicalEmergency struct {
	Users         []string `json:"users"`
	Teams         []string `json:"teams"`
	Permission    string   `json:"permission"`
	Pattern       string   `json:"pattern"`
	StillRequired []string `json:"still_required"`
	ReviewWithin  string   `json:"review_within"`
	AllowAuthor   bool     `json:"allow_author"`
}

// canonicalRego includes the module's text (of a `file:` module once attached), so a
// changed module is a changed policy.
type canonicalRego struct {
	Module string         `json:"module"`
	File   string         `json:"file,omitempty"`
	Query  string         `json:"query,omitempty"`
	Params map[string]any `json:"params"`
	Teams  []string       `json:"teams"`
}

type canonicalAppr struct {
	Count                   int      `json:"count"`
	Users                   []string `json:"users"`
	Teams                   []string `json:"teams"`
	Permission              string   `json:"permission"`
	IndependentOf           []string `json:"independent_of"`
	OnHead                  bool     `json:"on_head"`
	BlockOnChangesRequested bool     `json:"block_on_changes_requested"`
}

type canonicalTickt struct {
	Pattern string   `json:"pattern"`
	In      []string `json:"in"`
	// omitempty: policies without verification keep the digests they always had.
	Verify *canonicalVerify `json:"verify,omitempty"`
}

type canonicalVerify struct {
	System              string   `json:"system"`
	Statuses            []string `json:"statuses"`
	Approved            bool     `json:"approved"`
	IndependentApprover bool     `json:"independent_approver"`
}

type canonicalChange struct {
	System       string   `json:"system"`
	States       []string `json:"states"`
	Approved     bool     `json:"approved"`
	WithinWindow bool     `json:"within_window"`
}

type canonicalDeploy struct {
	Name                string           `json:"name"`
	Origin              Origin           `json:"origin"`
	Environments        []string         `json:"environments"`
	ApprovedChange      bool             `json:"approved_change"`
	IndependentDeployer bool             `json:"independent_deployer"`
	Checks              []CheckReq       `json:"checks"`
	AllowEmergency      bool             `json:"allow_emergency,omitempty"`
	ChangeRequest       *canonicalChange `json:"change_request,omitempty"`
}

func patterns(gs []Glob) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Pattern
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (p *Policy) canonical() canonicalPolicy {
	c := canonicalPolicy{Version: 1, Rules: []canonicalRule{}, Deployments: []canonicalDeploy{}}
	if p == nil {
		return c
	}
	for _, r := range p.Rules {
		cr := canonicalRule{Name: r.Name, Origin: r.Origin, Branches: patterns(r.Branches),
			Paths: patterns(r.Paths), IgnorePaths: patterns(r.IgnorePaths), Checks: nonNil(r.Checks)}
		if a := r.Approvals; a != nil {
			cr.Approvals = &canonicalAppr{Count: a.Count, Users: nonNil(a.Users), Teams: nonNil(a.Teams),
				Permission: a.Permission, IndependentOf: nonNil(a.IndependentOf), OnHead: a.OnHead,
				BlockOnChangesRequested: a.BlockOnChangesRequested}
		}
		if t := r.Ticket; t != nil {
			cr.Ticket = &canonicalTickt{Pattern: t.Pattern, In: nonNil(t.In)}
			if v := t.Verify; v != nil {
				cr.Ticket.Verify = &canonicalVerify{System: v.System, Statuses: nonNil(v.Statuses), Approved: v.Approved, IndependentApprover: v.IndependentApprover}
			}
		}
		if em := r.Emergency; em != nil {
			cr.Emergency = &canonicalEmergency{Users: nonNil(em.DeclaredBy.Users), Teams: nonNil(em.DeclaredBy.Teams),
				Permission: em.DeclaredBy.Permission, Pattern: em.Pattern, StillRequired: nonNil(em.StillRequired),
				ReviewWithin: em.ReviewWithin.String(), AllowAuthor: em.AllowAuthor}
		}
		if g := r.Rego; g != nil {
			cr.Rego = &canonicalRego{Module: g.Module, File: g.File, Query: g.Query, Params: g.Params, Teams: nonNil(g.Teams)}
		}
		c.Rules = append(c.Rules, cr)
	}
	for _, d := range p.Deployments {
		cd := canonicalDeploy{Name: d.Name, Origin: d.Origin,
			Environments: patterns(d.Environments), ApprovedChange: d.ApprovedChange,
			IndependentDeployer: d.IndependentDeployer, Checks: nonNil(d.Checks), AllowEmergency: d.AllowEmergency}
		if cr := d.ChangeRequest; cr != nil {
			cd.ChangeRequest = &canonicalChange{System: cr.System, States: nonNil(cr.States), Approved: cr.Approved, WithinWindow: cr.WithinWindow}
		}
		c.Deployments = append(c.Deployments, cd)
	}
	return c
}
