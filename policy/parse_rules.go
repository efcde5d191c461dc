package policy

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var ruleKeys = []string{"name", "branches", "paths", "ignore_paths", "approvals", "checks", "ticket", "emergency", "rego"}

func (p *parser) rules(n *yaml.Node) []*Rule {
	return uniquelyNamed(p, n, "rules", "rule", p.rule, func(r *Rule) (string, int, int) { return r.Name, r.Line, r.Col })
}

// uniquelyNamed parses a list of named items, reporting a repeated name at the repeat
// (with the line of the first) and keeping only the first.
func uniquelyNamed[T any](p *parser, n *yaml.Node, what, label string, parse func(*yaml.Node) *T, pos func(*T) (name string, line, col int)) []*T {
	var out []*T
	names := map[string]int{}
	p.list(n, what, func(item *yaml.Node) {
		x := parse(item)
		if x == nil {
			return
		}
		name, line, col := pos(x)
		if first, dup := names[name]; dup {
			p.errAt(line, col, "duplicate "+label+" name \""+name+"\" (first at line "+strconv.Itoa(first)+")")
			return
		}
		names[name] = line
		out = append(out, x)
	})
	return out
}

func (p *parser) rule(n *yaml.Node) *Rule {
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.err(n, "empty rule: give it a name and approvals, checks or ticket")
		return nil
	}
	r := &Rule{Origin: OriginRepo, File: p.file, Line: n.Line, Col: n.Column}
	named, nameKey := false, false
	before := len(p.errs)
	ok := p.mapping(n, "a rule", ruleKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			nameKey = true
			if s, ok := p.str(v, "name"); ok {
				if strings.TrimSpace(s) == "" {
					p.err(v, "name must not be empty")
					return
				}
				r.Name, r.Line, r.Col, named = s, v.Line, v.Column, true
			}
		case "branches":
			r.Branches = p.globs(v, "branches")
		case "paths":
			r.Paths = p.globs(v, "paths")
		case "ignore_paths":
			r.IgnorePaths = p.globs(v, "ignore_paths")
		case "approvals":
			r.Approvals = p.approvals(v)
		case "checks":
			r.Checks = p.checks(v, "checks")
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.err(v, "checks must not be empty (omit it instead)")
			}
		case "ticket":
			r.Ticket = p.ticket(v)
		case "emergency":
			r.Emergency = p.emergency(v)
		case "rego":
			r.Rego = p.rego(v)
		}
	})
	if !ok {
		return nil
	}
	if !nameKey {
		p.err(n, "rule has no name")
	}
	if r.Approvals == nil && len(r.Checks) == 0 && r.Ticket == nil && r.Rego == nil && len(p.errs) == before {
		p.err(n, "empty rule \""+r.Name+"\": it requires nothing; add approvals, checks or ticket")
	}
	if len(r.Branches) == 0 {
		r.Branches = []Glob{{Pattern: "**", kind: globAll}}
	}
	if !named {
		return nil
	}
	return r
}

func (p *parser) approvals(n *yaml.Node) *Approvals {
	a := &Approvals{Count: 1, OnHead: true, BlockOnChangesRequested: true, IndependentOf: slices.Clone(independentOfValues)}
	ok := p.mapping(n, "approvals", []string{"count", "from", "independent_of", "on_head", "block_on_changes_requested"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "count":
			if c, ok := p.integer(v, "count"); ok {
				if c < 1 {
					p.err(v, "count must be at least 1, got "+strconv.Itoa(c))
				}
				a.Count = c
			}
		case "from":
			p.from(v, a)
		case "independent_of":
			a.IndependentOf = p.oneOf(v, "independent_of", independentOfValues)
			if !slices.Contains(a.IndependentOf, "author") {
				// The PR author is always excluded; say so in the canonical form.
				a.IndependentOf = append([]string{"author"}, a.IndependentOf...)
			}
		case "on_head":
			a.OnHead = p.boolean(v, "on_head")
		case "block_on_changes_requested":
			a.BlockOnChangesRequested = p.boolean(v, "block_on_changes_requested")
		}
	})
	if !ok {
		return nil
	}
	if len(a.Users) == 0 && len(a.Teams) == 0 && a.Permission == "" {
		a.Permission = "write"
	}
	a.sortIndependentOf()
	return a
}

// sortIndependentOf puts the values in the documented order and derives the flags.
func (a *Approvals) sortIndependentOf() {
	out := a.IndependentOf[:0:0]
	for _, v := range independentOfValues {
		if slices.Contains(a.IndependentOf, v) {
			out = append(out, v)
		}
	}
	a.IndependentOf = out
	a.notCommitters = slices.Contains(out, "committers")
	a.notCoAuthors = slices.Contains(out, "co_authors")
	a.notPushers = slices.Contains(out, "pushers")
}

func (p *parser) from(n *yaml.Node, a *Approvals) {
	p.whoMay(n, "from", a)
}

// whoMay parses a users/teams/permission mapping (approvals.from, emergency.declared_by).
func (p *parser) whoMay(n *yaml.Node, what string, a *Approvals) {
	p.mapping(n, what, []string{"users", "teams", "permission"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "users":
			a.Users = p.strList(v, what+".users")
		case "teams":
			p.list(v, what+".teams", func(item *yaml.Node) {
				s, ok := p.str(item, "each item of "+what+".teams")
				if !ok {
					return
				}
				if !validTeam(s) {
					p.err(item, "team \""+s+"\" must be in org/slug form, e.g. acme/payments-reviewers")
					return
				}
				a.Teams = append(a.Teams, s)
			})
		case "permission":
			s, ok := p.str(v, what+".permission")
			if !ok {
				return
			}
			if r, known := permissionRank[s]; !known || r == 0 {
				p.err(v, "unknown permission \""+s+"\" (allowed: read, triage, write, maintain, admin)")
				return
			}
			a.Permission = s
		}
	})
}

func (p *parser) checks(n *yaml.Node, what string) []CheckReq {
	var out []CheckReq
	p.list(n, what, func(item *yaml.Node) {
		var c CheckReq
		if item.Kind == yaml.MappingNode {
			p.mapping(item, "a check", []string{"name", "app"}, func(key string, k, v *yaml.Node) {
				s, ok := p.str(v, key)
				if !ok {
					return
				}
				if key == "name" {
					c.Name = s
				} else {
					if s == "" {
						p.err(v, "app must not be empty (omit it instead)")
					}
					c.App = s
				}
			})
			if c.Name == "" {
				p.err(item, "check has no name")
				return
			}
		} else {
			if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
				p.err(item, "a check must be a name or a {name, app} mapping, got "+kindName(item))
				return
			}
			s := item.Value
			if s == "" {
				p.err(item, "check name must not be empty")
				return
			}
			c.Name = s
		}
		out = append(out, c)
	})
	return out
}

func (p *parser) ticket(n *yaml.Node) *Ticket {
	t := &Ticket{In: []string{"title", "body", "branch"}}
	hasPattern := false
	ok := p.mapping(n, "ticket", []string{"pattern", "in", "verify"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "pattern":
			hasPattern = true
			t.re, t.Pattern = p.regexp(v, "ticket.pattern")
			t.first = newFirstBytes(t.Pattern)
		case "verify":
			t.Verify = p.ticketVerify(v)
		case "in":
			in := p.oneOf(v, "ticket.in", ticketInValues)
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.err(v, "ticket.in must not be empty (omit it for title, body, branch)")
			}
			t.In = in[:0:0]
			for _, w := range ticketInValues { // canonical order
				if slices.Contains(in, w) {
					t.In = append(t.In, w)
				}
			}
		}
	})
	if !ok {
		return nil
	}
	if !hasPattern {
		p.err(n, "ticket has no pattern")
	}
	return t
}

func (p *parser) deployments(n *yaml.Node) []*DeploymentRule {
	return uniquelyNamed(p, n, "deployments", "deployment rule", p.deployment,
		func(d *DeploymentRule) (string, int, int) { return d.Name, d.Line, d.Col })
}

func (p *parser) deployment(n *yaml.Node) *DeploymentRule {
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		p.err(n, "empty deployment rule: give it environments and require")
		return nil
	}
	d := &DeploymentRule{Origin: OriginRepo, File: p.file, Line: n.Line, Col: n.Column}
	before := len(p.errs)
	hasEnv, hasReq := false, false
	ok := p.mapping(n, "a deployment rule", []string{"name", "environments", "require"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			if s, ok := p.str(v, "name"); ok {
				if strings.TrimSpace(s) == "" {
					p.err(v, "name must not be empty")
					return
				}
				d.Name, d.Line, d.Col = s, v.Line, v.Column
			}
		case "environments":
			hasEnv = true
			d.Environments = p.globs(v, "environments")
		case "require":
			hasReq = true
			p.mapping(v, "require", []string{"approved_change", "independent_deployer", "checks", "allow_emergency", "change_request"}, func(key string, k, v *yaml.Node) {
				switch key {
				case "approved_change":
					if v.Kind == yaml.MappingNode { // approved_change: {allow_emergency: true}
						d.ApprovedChange = true
						p.mapping(v, "approved_change", []string{"allow_emergency"}, func(_ string, _, av *yaml.Node) {
							d.AllowEmergency = p.boolean(av, "approved_change.allow_emergency")
						})
						return
					}
					d.ApprovedChange = p.boolean(v, "approved_change")
				case "allow_emergency":
					d.AllowEmergency = p.boolean(v, "allow_emergency")
				case "independent_deployer":
					d.IndependentDeployer = p.boolean(v, "independent_deployer")
				case "checks":
					d.Checks = p.checks(v, "require.checks")
				case "change_request":
					d.ChangeRequest = p.changeRequest(v)
				}
			})
		}
	})
	if !ok {
		return nil
	}
	if !hasEnv {
		p.err(n, "deployment rule has no environments")
	}
	if !hasReq {
		p.err(n, "deployment rule has no require")
	}
	if d.AllowEmergency && !d.ApprovedChange && len(p.errs) == before {
		p.err(n, "allow_emergency only means something with approved_change: true")
	}
	if len(p.errs) == before && !d.ApprovedChange && !d.IndependentDeployer && len(d.Checks) == 0 && d.ChangeRequest == nil {
		p.err(n, "empty deployment rule: require approved_change, independent_deployer, checks or change_request")
	}
	if d.Name == "" {
		envs := make([]string, len(d.Environments))
		for i, g := range d.Environments {
			envs[i] = g.Pattern
		}
		d.Name = "deploy to " + strings.Join(envs, ", ")
	}
	return d
}
