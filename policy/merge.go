package policy

// Merge combines the org baseline with a repo's policy file. Every baseline rule is
// kept as it is: the repo file can only add rules, so it cannot remove, rename or
// loosen a baseline rule. A repo rule that reuses a baseline rule's name is an error
// (it would read as an override that does not happen); positions point into the repo
// file. Either argument may be nil. The inputs are not modified.
func Merge(baseline, repo *Policy) (*Policy, error) {
	out := &Policy{Version: 1}
	var errs Errors
	names := map[string]bool{}
	deployNames := map[string]bool{}
	if baseline != nil {
		for _, r := range baseline.Rules {
			c := *r
			c.Origin = OriginBaseline
			out.Rules = append(out.Rules, &c)
			names[r.Name] = true
		}
		for _, d := range baseline.Deployments {
			c := *d
			c.Origin = OriginBaseline
			out.Deployments = append(out.Deployments, &c)
			deployNames[d.Name] = true
		}
	}
	if repo != nil {
		for _, r := range repo.Rules {
			if names[r.Name] {
				errs = append(errs, Error{File: r.File, Line: r.Line, Col: r.Col,
					Msg: "rule \"" + r.Name + "\" is defined by the org baseline: baseline rules cannot be changed or removed; give this rule another name to add to it"})
				continue
			}
			c := *r
			c.Origin = OriginRepo
			out.Rules = append(out.Rules, &c)
		}
		for _, d := range repo.Deployments {
			if deployNames[d.Name] {
				errs = append(errs, Error{File: d.File, Line: d.Line, Col: d.Col,
					Msg: "deployment rule \"" + d.Name + "\" is defined by the org baseline: baseline rules cannot be changed or removed; give this rule another name to add to it"})
				continue
			}
			c := *d
			c.Origin = OriginRepo
			out.Deployments = append(out.Deployments, &c)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	out.linkChangePatterns()
	out.digest = out.computeDigest()
	return out, nil
}
