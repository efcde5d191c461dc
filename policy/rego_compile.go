package policy

import (
	"context"
	"slices"
	"strings"
	_ "time/tzdata" // time.* built-ins with a time zone give the same answer on every machine

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// forbiddenBuiltins are the built-ins that reach outside the process or read a clock or
// randomness. A decision must be re-derivable from its recorded facts, so a module that
// calls one does not compile: the compiler reports it as an undefined function at its
// line. Everything OPA marks nondeterministic is removed as well (see regoCapabilities).
var forbiddenBuiltins = []string{
	"http.send", "net.lookup_ip_addr", "net.cidr_expand", "opa.runtime", "rand.intn",
	"uuid.rfc4122", "uuid.parse", "time.now_ns",
	"io.jwt.encode_sign", "io.jwt.encode_sign_raw", "io.jwt.decode_verify",
	"crypto.x509.parse_and_verify_certificates", "crypto.x509.parse_and_verify_certificates_with_options",
	"providers.aws.sign_req",
}

// regoCapabilities is OPA's capability set for this version minus the forbidden
// built-ins, with no network access for any feature.
var regoCapabilities = func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	kept := c.Builtins[:0:0]
	for _, b := range c.Builtins {
		if b.Nondeterministic || slices.Contains(forbiddenBuiltins, b.Name) ||
			strings.HasPrefix(b.Name, "net.") || strings.HasPrefix(b.Name, "rand.") || strings.HasPrefix(b.Name, "uuid.") {
			continue
		}
		kept = append(kept, b)
	}
	c.Builtins = kept
	c.AllowNet = []string{}
	return c
}()

// regoPos maps a position inside a module's text to a position in the file that holds
// it: the module file itself, or the policy file for an inline module.
type regoPos struct {
	file       string
	lineOffset int // added to the module's line
	colOffset  int // added to the module's column
}

func (m regoPos) at(loc *ast.Location) Error {
	line, col := 1, 1
	if loc != nil {
		line, col = max(loc.Row, 1), max(loc.Col, 1)
	}
	return Error{File: m.file, Line: line + m.lineOffset, Col: col + m.colOffset}
}

// regoModuleName is the name OPA knows a module by; positions are re-mapped with regoPos.
const regoModuleName = "module.rego"

// parseRegoModule parses module text in Rego v1 syntax with the restricted capabilities.
func parseRegoModule(src string) (*ast.Module, ast.Errors) {
	mod, err := ast.ParseModuleWithOpts(regoModuleName, src, ast.ParserOptions{
		RegoVersion: ast.RegoV1, Capabilities: regoCapabilities, ProcessAnnotation: true,
	})
	if err != nil {
		var es ast.Errors
		if e, ok := err.(ast.Errors); ok {
			es = e
		} else {
			es = ast.Errors{ast.NewError(ast.ParseErr, nil, "%s", err.Error())}
		}
		return nil, es
	}
	if mod == nil {
		return nil, ast.Errors{ast.NewError(ast.ParseErr, nil, "the module is empty: start it with a package line")}
	}
	return mod, nil
}

// compileRego parses, compiles and prepares one Rego requirement: after it the
// requirement evaluates with no further compiling. Problems are returned with positions
// mapped through pos; the query's own problems point at queryPos.
func compileRego(r *Rego, pos regoPos, queryPos Error) (*preparedRego, Errors) {
	var errs Errors
	add := func(e *ast.Error) {
		x := pos.at(e.Location)
		x.Msg = "rego: " + e.Message
		errs = append(errs, x)
	}
	mod, perrs := parseRegoModule(r.Module)
	for _, e := range perrs {
		add(e)
	}
	if mod == nil {
		return nil, errs
	}
	c := ast.NewCompiler().WithCapabilities(regoCapabilities).WithEnablePrintStatements(false)
	if c.Compile(map[string]*ast.Module{regoModuleName: mod}); c.Failed() {
		for _, e := range c.Errors {
			add(e)
		}
		return nil, errs
	}
	queryRef := mod.Package.Path
	if r.Query != "" {
		ref, err := ast.ParseRef(r.Query)
		if err != nil || !ref.HasPrefix(ast.DefaultRootRef) || !ref.IsGround() {
			queryPos.Msg = "rego.query must be a reference into data, such as data.foureyes.migrations, got \"" + r.Query + "\""
			return nil, Errors{queryPos}
		}
		queryRef = ref
	}
	query := queryRef.String()
	var body []string
	for _, set := range []string{"deny", "pending"} {
		if len(c.GetRulesExact(queryRef.Append(ast.StringTerm(set)))) > 0 {
			body = append(body, set+" = "+query+"."+set)
		}
	}
	if len(body) == 0 {
		e := queryPos
		if r.Query == "" {
			e = pos.at(mod.Package.Location)
		}
		e.Msg = "rego: " + query + " defines neither deny nor pending: the requirement would decide nothing"
		return nil, Errors{e}
	}
	parsedBody, err := ast.ParseBody(strings.Join(body, "; "))
	if err != nil {
		queryPos.Msg = "rego: " + err.Error()
		return nil, Errors{queryPos}
	}
	store := inmem.NewFromObject(map[string]any{"params": r.Params})
	pq, err := rego.New(
		rego.Compiler(c),
		rego.Store(store),
		rego.ParsedQuery(parsedBody),
		rego.Capabilities(regoCapabilities),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(context.Background())
	if err != nil {
		queryPos.Msg = "rego: " + err.Error()
		return nil, Errors{queryPos}
	}
	return &preparedRego{query: query, pq: pq, inputKeys: regoInputKeys(c.Modules[regoModuleName])}, nil
}

// regoInputKeys lists the top-level input fields a compiled module reads, or nil when it
// reads input as a whole or by a computed key (then it gets every field).
func regoInputKeys(mod *ast.Module) []string {
	keys := []string{}
	all := false
	ast.WalkRefs(mod, func(r ast.Ref) bool {
		if all || !r[0].Equal(ast.InputRootDocument) {
			return all
		}
		if len(r) < 2 {
			all = true
			return true
		}
		s, ok := r[1].Value.(ast.String)
		if !ok {
			all = true
			return true
		}
		if !slices.Contains(keys, string(s)) {
			keys = append(keys, string(s))
		}
		return false
	})
	if all {
		return nil
	}
	return keys
}
