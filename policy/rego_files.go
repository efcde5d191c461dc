package policy

import (
	"slices"
)

// RegoFiles lists, sorted and without repeats, the repository paths of the policy's
// `file:` modules that are not attached yet: the loader reads them from the same branch
// as the policy file and attaches them with WithRegoFiles.
func (p *Policy) RegoFiles() []string {
	var out []string
	if p == nil {
		return out
	}
	for _, r := range p.Rules {
		if r.Rego != nil && r.Rego.File != "" && r.Rego.prepared == nil {
			out = append(out, r.Rego.File)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// WithRegoFiles returns a copy of p with its `file:` modules compiled from files (path
// to content, as read from the branch the policy came from). A missing file is an error
// at its `file:` key; a module's own errors point into the module file. The digest of
// the copy covers the modules' text, so a changed module is a changed policy. p is not
// modified.
func (p *Policy) WithRegoFiles(files map[string][]byte) (*Policy, error) {
	if len(p.RegoFiles()) == 0 {
		return p, nil
	}
	out := *p
	out.Rules = make([]*Rule, len(p.Rules))
	var errs Errors
	for i, r := range p.Rules {
		out.Rules[i] = r
		if r.Rego == nil || r.Rego.File == "" || r.Rego.prepared != nil {
			continue
		}
		content, ok := files[r.Rego.File]
		if !ok {
			e := r.Rego.filePos
			e.Msg = "rego.file " + r.Rego.File + " does not exist on this branch"
			errs = append(errs, e)
			continue
		}
		rg := *r.Rego
		rg.Module = string(content)
		prepared, es := compileRego(&rg, regoPos{file: r.Rego.File}, r.Rego.queryPos)
		if len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		rg.prepared = prepared
		rc := *r
		rc.Rego = &rg
		out.Rules[i] = &rc
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out.digest = out.computeDigest()
	return &out, nil
}
