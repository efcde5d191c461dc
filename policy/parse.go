package policy

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads one policy file (a repo's .github/foureyes.yml or the org baseline).
// It works on yaml.Node so that every problem has a line and column, and it reports
// all problems of the file at once. The error, when not nil, is of type Errors.
// The returned rules carry OriginRepo; Merge re-labels the baseline's.
func Parse(filename string, data []byte) (*Policy, error) {
	p := &parser{file: filename}
	pol := p.parse(data)
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b Error) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Col - b.Col
		})
		return nil, p.errs
	}
	pol.linkChangePatterns()
	pol.digest = pol.computeDigest()
	return pol, nil
}

type parser struct {
	file string
	src  []byte // the file's text: inline rego modules map their lines through it
	errs Errors
}

func (p *parser) errAt(line, col int, msg string) {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	p.errs = append(p.errs, Error{File: p.file, Line: line, Col: col, Msg: msg})
}

func (p *parser) err(n *yaml.Node, msg string) { p.errAt(n.Line, n.Column, msg) }

func (p *parser) parse(data []byte) *Policy {
	p.src = data
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErrorLine(err.Error())
		p.errAt(line, 1, msg)
		return nil
	}
	if len(doc.Content) == 0 {
		p.errAt(1, 1, "missing version: the file is empty; start it with `version: 1`")
		return nil
	}
	if expandedNodes(&doc, map[*yaml.Node]int{}) > MaxExpandedNodes {
		line, col := firstAlias(&doc)
		p.errAt(line, col, "the file expands to more than "+strconv.Itoa(MaxExpandedNodes)+
			" YAML nodes through anchors and aliases: write the values out instead of nesting aliases")
		return nil
	}
	root := resolve(doc.Content[0])
	pol := &Policy{}
	seenVersion := false
	p.mapping(root, "the policy file", []string{"version", "rules", "deployments"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			seenVersion = true
			n, ok := p.integer(v, "version")
			if ok && n != 1 {
				p.err(v, "unsupported version "+strconv.Itoa(n)+": this foureyes understands version 1")
			}
			pol.Version = n
		case "rules":
			pol.Rules = p.rules(v)
		case "deployments":
			pol.Deployments = p.deployments(v)
		}
	})
	if !seenVersion && root.Kind == yaml.MappingNode {
		p.errAt(root.Line, root.Column, "missing version: add `version: 1`")
	}
	return pol
}

// yamlErrorLine pulls the line number out of a yaml.v3 syntax error ("yaml: line 3: ...").
func yamlErrorLine(s string) (int, string) {
	s = strings.TrimPrefix(s, "yaml: ")
	if rest, ok := strings.CutPrefix(s, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return 1, s
}

// MaxExpandedNodes bounds the YAML nodes a policy file may stand for once every alias is
// expanded. Anchors and aliases are allowed (a list of reviewers named once, used twice),
// but nested aliases grow exponentially ("billion laughs"): a 33 KB file could stand for
// hundreds of millions of nodes and take seconds of CPU on every event of a PR that
// touches it. A real policy has a few hundred nodes.
const MaxExpandedNodes = 10000

// expandedNodes counts the nodes n stands for with aliases expanded, memoised per node so
// the count itself costs one pass over the file; it stops growing past MaxExpandedNodes.
func expandedNodes(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if c, ok := memo[n]; ok {
		return c
	}
	memo[n] = MaxExpandedNodes + 1 // a node reached again while counting it is a cycle
	total := 1
	if n.Kind == yaml.AliasNode {
		total += expandedNodes(n.Alias, memo)
	}
	for _, c := range n.Content {
		if total > MaxExpandedNodes {
			break
		}
		total += expandedNodes(c, memo)
	}
	if total > MaxExpandedNodes {
		total = MaxExpandedNodes + 1
	}
	memo[n] = total
	return total
}

// firstAlias is the position of the first alias in n, for the error.
func firstAlias(n *yaml.Node) (int, int) {
	if n.Kind == yaml.AliasNode {
		return n.Line, n.Column
	}
	for _, c := range n.Content {
		if l, col := firstAlias(c); l > 0 {
			return l, col
		}
	}
	return 0, 0
}

// resolve follows aliases so that anchors work like the values they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int":
			return "an integer"
		case "!!bool":
			return "a boolean"
		case "!!float":
			return "a number"
		}
		return "a string"
	}
	return "an unsupported value"
}

// mapping walks a mapping node, rejecting duplicate and unknown keys, and calls fn for
// each known key in file order. It returns false when n is not a mapping.
func (p *parser) mapping(n *yaml.Node, what string, allowed []string, fn func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.err(n, what+" must be a mapping, got "+kindName(n))
		return false
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			p.err(k, "keys of "+what+" must be strings")
			continue
		}
		if first, dup := seen[key]; dup {
			p.err(k, "duplicate key \""+key+"\" in "+what+" (first at line "+strconv.Itoa(first)+")")
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(allowed, key) {
			p.err(k, "unknown key \""+key+"\" in "+what+" (allowed: "+strings.Join(allowed, ", ")+")")
			continue
		}
		fn(key, k, v)
	}
	return true
}

func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		p.err(n, what+" must be a string, got "+kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) integer(n *yaml.Node, what string) (int, bool) {
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		p.err(n, what+" must be an integer, got "+kindName(n))
		return 0, false
	}
	return v, true
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		p.err(n, what+" must be true or false, got "+kindName(n))
		return false
	}
	return v
}

// list calls fn for every item of a sequence node.
func (p *parser) list(n *yaml.Node, what string, fn func(item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		p.err(n, what+" must be a list, got "+kindName(n))
		return
	}
	for _, item := range n.Content {
		fn(resolve(item))
	}
}

func (p *parser) strList(n *yaml.Node, what string) []string {
	var out []string
	p.list(n, what, func(item *yaml.Node) {
		if s, ok := p.str(item, "each item of "+what); ok {
			out = append(out, s)
		}
	})
	return out
}

// oneOf parses a list of strings each of which must be one of allowed.
func (p *parser) oneOf(n *yaml.Node, what string, allowed []string) []string {
	var out []string
	p.list(n, what, func(item *yaml.Node) {
		s, ok := p.str(item, "each item of "+what)
		if !ok {
			return
		}
		if !slices.Contains(allowed, s) {
			p.err(item, "unknown "+what+" value \""+s+"\" (allowed: "+strings.Join(allowed, ", ")+")")
			return
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	})
	return out
}

func (p *parser) globs(n *yaml.Node, what string) []Glob {
	var out []Glob
	p.list(n, what, func(item *yaml.Node) {
		s, ok := p.str(item, "each item of "+what)
		if !ok {
			return
		}
		g, ok := compileGlob(s)
		if !ok {
			p.err(item, "bad glob \""+s+"\" in "+what)
			return
		}
		out = append(out, g)
	})
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.err(n, what+" must not be empty (omit it instead)")
	}
	return out
}

func (p *parser) regexp(n *yaml.Node, what string) (*regexp.Regexp, string) {
	s, ok := p.str(n, what)
	if !ok {
		return nil, ""
	}
	if s == "" {
		p.err(n, what+" must not be empty")
		return nil, ""
	}
	re, err := regexp.Compile(s)
	if err != nil {
		p.err(n, "bad regular expression in "+what+": "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return nil, ""
	}
	return re, s
}

// team checks the org/slug form the GitHub teams API needs.
func validTeam(s string) bool {
	org, slug, ok := strings.Cut(s, "/")
	return ok && org != "" && slug != "" && !strings.ContainsAny(slug, "/ \t") && !strings.ContainsAny(org, " \t")
}
