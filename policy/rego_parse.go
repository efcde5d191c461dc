package policy

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"

	"github.com/open-policy-agent/opa/v1/util"
	"gopkg.in/yaml.v3"
)

var regoKeys = []string{"module", "file", "query", "params", "teams"}

// rego parses a rule's rego section. An inline module is compiled here, its errors
// pointing at lines of the policy file; a `file:` module is compiled when the loader
// attaches the file (WithRegoFiles).
func (p *parser) rego(n *yaml.Node) *Rego {
	r := &Rego{queryPos: Error{File: p.file, Line: n.Line, Col: n.Column}}
	before := len(p.errs)
	var moduleNode, fileNode *yaml.Node
	ok := p.mapping(n, "rego", regoKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "module":
			moduleNode = v
			if s, ok := p.str(v, "rego.module"); ok {
				if strings.TrimSpace(s) == "" {
					p.err(v, "rego.module must not be empty")
				}
				r.Module = s
			}
		case "file":
			fileNode = v
			r.filePos = Error{File: p.file, Line: v.Line, Col: v.Column}
			if s, ok := p.str(v, "rego.file"); ok {
				if msg := badRegoPath(s); msg != "" {
					p.err(v, msg)
				}
				r.File = s
			}
		case "query":
			r.queryPos = Error{File: p.file, Line: v.Line, Col: v.Column}
			if s, ok := p.str(v, "rego.query"); ok {
				if strings.TrimSpace(s) == "" {
					p.err(v, "rego.query must not be empty (omit it to use the module's package)")
				}
				r.Query = strings.TrimSpace(s)
			}
		case "params":
			r.Params = p.regoParams(v)
		case "teams":
			p.list(v, "rego.teams", func(item *yaml.Node) {
				s, ok := p.str(item, "each item of rego.teams")
				if !ok {
					return
				}
				if !validTeam(s) {
					p.err(item, "team \""+s+"\" must be in org/slug form, e.g. acme/dbas")
					return
				}
				r.Teams = append(r.Teams, s)
			})
		}
	})
	if !ok {
		return nil
	}
	switch {
	case moduleNode != nil && fileNode != nil:
		p.err(fileNode, "rego has both module and file: give one")
	case moduleNode == nil && fileNode == nil:
		p.err(n, "rego needs a module (inline Rego) or a file (a .rego file in the repository)")
	}
	if r.Params == nil {
		r.Params = map[string]any{}
	}
	if moduleNode != nil && fileNode == nil && len(p.errs) == before {
		prepared, errs := compileRego(r, p.inlinePos(moduleNode), r.queryPos)
		p.errs = append(p.errs, errs...)
		r.prepared = prepared
	}
	return r
}

// badRegoPath says what is wrong with a `file:` path, or "" when it is fine: a relative
// path inside the repository, ending in .rego.
func badRegoPath(s string) string {
	switch {
	case s == "":
		return "rego.file must not be empty"
	case strings.HasPrefix(s, "/") || strings.Contains(s, "\\"):
		return "rego.file must be a path relative to the repository root, got \"" + s + "\""
	case path.Clean(s) != s || s == ".." || strings.HasPrefix(s, "../"):
		return "rego.file must be a clean path inside the repository, got \"" + s + "\""
	case !strings.HasSuffix(s, ".rego"):
		return "rego.file must name a .rego file, got \"" + s + "\""
	}
	return ""
}

// regoParams decodes params into JSON values (what data.params holds).
func (p *parser) regoParams(v *yaml.Node) map[string]any {
	if v.Kind != yaml.MappingNode {
		p.err(v, "rego.params must be a mapping, got "+kindName(v))
		return nil
	}
	var raw map[string]any
	if err := v.Decode(&raw); err != nil {
		p.err(v, "rego.params: "+err.Error())
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		p.err(v, "rego.params must hold only strings, numbers, booleans, lists and mappings with string keys")
		return nil
	}
	var out map[string]any
	if err := util.UnmarshalJSON(b, &out); err != nil {
		p.err(v, "rego.params: "+err.Error())
		return nil
	}
	return out
}

// inlinePos maps lines of an inline module to lines of the policy file. A block scalar
// (`module: |`) starts on the line after its indicator, indented; a one-line scalar is
// where it stands.
func (p *parser) inlinePos(v *yaml.Node) regoPos {
	if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		col := v.Column - 1
		if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			col++
		}
		return regoPos{file: p.file, lineOffset: v.Line - 1, colOffset: col}
	}
	indent := 0
	lines := bytes.Split(p.src, []byte("\n"))
	for i := v.Line; i < len(lines); i++ { // lines[v.Line] is the line after the indicator
		if l := bytes.TrimRight(lines[i], " \t\r"); len(l) > 0 {
			indent = len(l) - len(bytes.TrimLeft(l, " "))
			break
		}
	}
	return regoPos{file: p.file, lineOffset: v.Line, colOffset: indent}
}
