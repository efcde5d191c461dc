package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// RegoInput is the exact input document a Rego module sees for these facts: the Facts
// JSON, field for field (`foureyes policy eval --show-input` prints it).
func RegoInput(f Facts) []byte {
	b, _ := json.MarshalIndent(f, "", "  ") // plain data: cannot fail
	return append(b, '\n')
}

// regoValue converts the facts to OPA's value form once per evaluation, however many
// rego requirements read them.
func (e *evaluator) regoValue(keys []string) (ast.Value, error) {
	if keys != nil {
		if e.regoFields == nil {
			e.regoFields = make(map[string]*ast.Term, len(keys))
		}
		return partialFactsValue(e.f, keys, e.regoFields), nil
	}
	if e.regoIn != nil || e.regoErr != nil {
		return e.regoIn, e.regoErr
	}
	e.regoIn, e.regoErr = factsValue(e.f)
	return e.regoIn, e.regoErr
}

// rego runs a prepared rego requirement. Everything that is not a clean deny, pending
// or pass (no compiled module, an undefined query, a runtime error, a timeout, a deny
// entry of the wrong shape) fails closed with the error as the reason.
func (e *evaluator) rego(r *Rego) RequirementResult {
	q := RequirementResult{Kind: KindRego, Evidence: []Evidence{}}
	fail := func(reason string) RequirementResult {
		q.Status, q.Reason = StatusFail, reason
		return q
	}
	if r.prepared == nil {
		if r.File != "" {
			return fail("rego module " + r.File + " was not loaded from the base branch")
		}
		return fail("rego module is not compiled")
	}
	name := r.prepared.query
	in, err := e.regoValue(r.prepared.inputKeys)
	if err != nil {
		return fail(name + ": cannot build the input: " + err.Error())
	}
	timeout := RegoTimeout()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rs, err := r.prepared.pq.Eval(ctx, rego.EvalParsedInput(in))
	if err != nil {
		if topdown.IsCancel(err) || ctx.Err() != nil {
			return fail(name + ": evaluation timed out after " + timeout.String() + " (policy.rego_timeout)")
		}
		return fail(name + ": " + strings.TrimPrefix(err.Error(), "eval_builtin_error: "))
	}
	if len(rs) == 0 {
		return fail(name + " is undefined: the package's deny or pending rule produced no value")
	}
	denies, err := regoMessages(rs[0].Bindings["deny"])
	if err != nil {
		return fail(name + ".deny " + err.Error())
	}
	pendings, err := regoMessages(rs[0].Bindings["pending"])
	if err != nil {
		return fail(name + ".pending " + err.Error())
	}
	for _, m := range denies {
		q.Evidence = append(q.Evidence, m.asEvidence(EvidenceRegoDeny, name)...)
	}
	switch {
	case len(denies) > 0:
		q.Status, q.Reason = StatusFail, joinMessages(denies)
	case len(pendings) > 0:
		for _, m := range pendings {
			q.Evidence = append(q.Evidence, m.asEvidence(EvidenceRegoPending, name)...)
		}
		q.Status, q.Reason = StatusPending, joinMessages(pendings)
	default:
		q.Status, q.Reason = StatusPass, name+" denies nothing"
	}
	return q
}

// regoMessage is one entry of a deny or pending set.
type regoMessage struct {
	msg      string
	evidence []Evidence
}

func (m regoMessage) asEvidence(kind, query string) []Evidence {
	out := make([]Evidence, 0, 1+len(m.evidence))
	out = append(out, Evidence{Kind: kind, Subject: query, Text: m.msg})
	return append(out, m.evidence...)
}

func joinMessages(ms []regoMessage) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.msg
	}
	return strings.Join(s, "; ")
}

// regoMessages reads a deny or pending set: strings, or objects with a msg string and
// an optional evidence (a string, or a list of strings or {subject, sha, text} objects).
// The order is the messages' sorted order, so the decision is stable.
func regoMessages(v any) ([]regoMessage, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be a set of messages, got %s", jsonKind(v))
	}
	out := make([]regoMessage, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, regoMessage{msg: x})
		case map[string]any:
			msg, ok := x["msg"].(string)
			if !ok {
				return nil, fmt.Errorf("contains an object without a msg string: %s", compactJSON(x))
			}
			for k := range x {
				if k != "msg" && k != "evidence" {
					return nil, fmt.Errorf("contains an object with unknown key %q (allowed: msg, evidence)", k)
				}
			}
			out = append(out, regoMessage{msg: msg, evidence: regoEvidence(x["evidence"])})
		default:
			return nil, fmt.Errorf("contains %s; want a string or {msg, evidence}", jsonKind(it))
		}
	}
	slices.SortStableFunc(out, func(a, b regoMessage) int { return strings.Compare(a.msg, b.msg) })
	return out, nil
}

// regoEvidence reads a deny or pending entry's evidence: anything that is not a string
// or a {subject, sha, text} object is shown as its JSON.
func regoEvidence(v any) []Evidence {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		items = x
	default:
		items = []any{x}
	}
	out := make([]Evidence, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, Evidence{Kind: EvidenceRego, Text: x})
		case map[string]any:
			ev := Evidence{Kind: EvidenceRego}
			ev.Subject, _ = x["subject"].(string)
			ev.SHA, _ = x["sha"].(string)
			ev.Text, _ = x["text"].(string)
			if ev.Text == "" {
				ev.Text = compactJSON(x)
			}
			out = append(out, ev)
		default:
			out = append(out, Evidence{Kind: EvidenceRego, Text: compactJSON(x)})
		}
	}
	return out
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "a collection"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
