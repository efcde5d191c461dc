package policy

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// RegoTest is the result of one `test_` rule of a Rego test module.
type RegoTest struct {
	File    string
	Line    int
	Package string // e.g. data.foureyes.payments_test
	Name    string // e.g. test_team_member_on_head_passes
	Pass    bool
	Skip    bool   // a todo_test_ rule
	Error   string // why it errored, "" when it ran
}

// RunRegoTests compiles modules (file name to Rego text) the way foureyes compiles a
// policy's modules (Rego v1, the same built-ins: no clock, network or randomness) and
// runs their `test_` rules like `opa test`, each bounded by timeout. The error is a
// module that does not parse or compile, with FILE:LINE:COL positions. Results are in
// file and line order.
func RunRegoTests(ctx context.Context, modules map[string]string, timeout time.Duration) ([]RegoTest, error) {
	parsed := make(map[string]*ast.Module, len(modules))
	var errs Errors
	for name, src := range modules {
		mod, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: regoCapabilities, ProcessAnnotation: true})
		if err != nil {
			errs = append(errs, regoErrors(name, err)...)
			continue
		}
		if mod != nil {
			parsed[name] = mod
		}
	}
	if len(errs) > 0 {
		return nil, sortErrors(errs)
	}
	compiler := ast.NewCompiler().WithCapabilities(regoCapabilities).WithEnablePrintStatements(false)
	ch, err := tester.NewRunner().SetCompiler(compiler).SetModules(parsed).SetTimeout(timeout).
		RaiseBuiltinErrors(true).RunTests(ctx, nil)
	if err != nil {
		return nil, sortErrors(regoErrors("", err))
	}
	var out []RegoTest
	for r := range ch {
		t := RegoTest{Package: r.Package, Name: r.Name, Pass: !r.Fail && r.Error == nil && !r.Skip, Skip: r.Skip}
		if r.Location != nil {
			t.File, t.Line = r.Location.File, r.Location.Row
		}
		if r.Error != nil {
			t.Error = r.Error.Error()
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b RegoTest) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out, nil
}

// ValidateRegoModule parses and compiles one .rego file on its own, as foureyes would
// (Rego v1, the restricted built-ins). The error is Errors at FILE:LINE:COL.
func ValidateRegoModule(file string, src []byte) error {
	mod, err := ast.ParseModuleWithOpts(file, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: regoCapabilities, ProcessAnnotation: true})
	if err != nil {
		return sortErrors(regoErrors(file, err))
	}
	if mod == nil {
		return Errors{{File: file, Line: 1, Col: 1, Msg: "rego: the module is empty: start it with a package line"}}
	}
	c := ast.NewCompiler().WithCapabilities(regoCapabilities).WithEnablePrintStatements(false)
	if c.Compile(map[string]*ast.Module{file: mod}); c.Failed() {
		return sortErrors(regoErrors(file, c.Errors))
	}
	return nil
}

// regoErrors turns OPA's errors into positioned Errors; file names a module when OPA's
// error has no location of its own.
func regoErrors(file string, err error) Errors {
	var out Errors
	if es, ok := err.(ast.Errors); ok {
		for _, e := range es {
			x := Error{File: file, Line: 1, Col: 1, Msg: "rego: " + e.Message}
			if e.Location != nil {
				x.File, x.Line, x.Col = e.Location.File, max(e.Location.Row, 1), max(e.Location.Col, 1)
			}
			out = append(out, x)
		}
		return out
	}
	return Errors{{File: file, Line: 1, Col: 1, Msg: "rego: " + err.Error()}}
}

func sortErrors(es Errors) Errors {
	slices.SortStableFunc(es, func(a, b Error) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return es
}
