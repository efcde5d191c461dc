package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// Every Kind constant declared in the package is in KnownKinds, so `audit export --kind`
// accepts it.
func TestEveryKindIsKnown(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		for name, f := range p.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok || vs.Type == nil {
					return true
				}
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Kind" {
					return true
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						k, _ := strconv.Unquote(lit.Value)
						if !IsKnownKind(Kind(k)) {
							t.Errorf("%s: kind %q is not in KnownKinds (internal/store/kinds.go): add it", name, k)
						}
					}
				}
				return true
			})
		}
	}
}
