package policy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Type                 any                    `json:"type"`
	Properties           map[string]*schemaNode `json:"properties"`
	Items                *schemaNode            `json:"items"`
	AdditionalProperties any                    `json:"additionalProperties"`
	Definitions          map[string]*schemaNode `json:"definitions"`
	Description          string                 `json:"description"`
}

func loadSchema(t *testing.T) *schemaNode {
	t.Helper()
	var root schemaNode
	if err := json.Unmarshal(FactsSchema, &root); err != nil {
		t.Fatal(err)
	}
	return &root
}

// deref follows a "#/definitions/x" reference.
func deref(root, n *schemaNode) *schemaNode {
	for n != nil && n.Ref != "" {
		n = root.Definitions[strings.TrimPrefix(n.Ref, "#/definitions/")]
	}
	return n
}

// walkFacts calls fn with the JSON path of every field of t, recursively, and the
// schema node at that path (nil when the schema lacks it).
func walkFacts(root, n *schemaNode, t reflect.Type, path string, fn func(path string, n *schemaNode)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	n = deref(root, n)
	switch t.Kind() {
	case reflect.Slice:
		var items *schemaNode
		if n != nil {
			items = n.Items
		}
		walkFacts(root, items, t.Elem(), path+"[]", fn)
		return
	case reflect.Map:
		var vals *schemaNode
		if n != nil {
			if m, ok := n.AdditionalProperties.(map[string]any); ok {
				b, _ := json.Marshal(m)
				vals = &schemaNode{}
				_ = json.Unmarshal(b, vals)
			}
		}
		walkFacts(root, vals, t.Elem(), path+"{}", fn)
		return
	case reflect.Struct:
	default:
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			walkFacts(root, n, f.Type, path, fn)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		p := strings.TrimPrefix(path+"."+name, ".")
		var child *schemaNode
		if n != nil {
			child = n.Properties[name]
		}
		fn(p, child)
		if child != nil {
			walkFacts(root, child, f.Type, p, fn)
		}
	}
}

// TestFactsSchemaCoversEveryField: the Facts document is a public contract. A field
// added to policy.Facts (or any type in it) without its entry in facts.schema.json and
// docs/facts.md fails here: document it in both.
func TestFactsSchemaCoversEveryField(t *testing.T) {
	root := loadSchema(t)
	doc, err := os.ReadFile("../docs/facts.md")
	if err != nil {
		t.Fatal(err)
	}
	var goPaths []string
	walkFacts(root, root, reflect.TypeOf(Facts{}), "", func(path string, n *schemaNode) {
		goPaths = append(goPaths, path)
		if n == nil {
			t.Errorf("Facts field %s is not in policy/facts.schema.json: add it (with a description)", path)
			return
		}
		if !strings.Contains(string(doc), "`"+path+"`") {
			t.Errorf("Facts field %s is not documented in docs/facts.md: add a line for `%s`", path, path)
		}
	})
	// And the other way: the schema promises no field Go does not write.
	var schemaPaths func(n *schemaNode, path string)
	schemaPaths = func(n *schemaNode, path string) {
		n = deref(root, n)
		if n == nil {
			return
		}
		if n.Items != nil {
			schemaPaths(n.Items, path+"[]")
		}
		if m, ok := n.AdditionalProperties.(map[string]any); ok {
			b, _ := json.Marshal(m)
			var vals schemaNode
			_ = json.Unmarshal(b, &vals)
			schemaPaths(&vals, path+"{}")
		}
		for name, c := range n.Properties {
			p := strings.TrimPrefix(path+"."+name, ".")
			if !slices.Contains(goPaths, p) {
				t.Errorf("schema field %s has no Go field in policy.Facts", p)
			}
			schemaPaths(c, p)
		}
	}
	schemaPaths(root, "")
}

// matchSchema validates a document with OPA's own JSON Schema built-in.
func matchSchema(t *testing.T, doc []byte) []string {
	t.Helper()
	var in, schema any
	if err := json.Unmarshal(doc, &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(FactsSchema, &schema); err != nil {
		t.Fatal(err)
	}
	rs, err := rego.New(rego.Query("r := json.match_schema(input.doc, input.schema)"),
		rego.Input(map[string]any{"doc": in, "schema": schema})).Eval(context.Background())
	if err != nil || len(rs) == 0 {
		t.Fatalf("match_schema: %v", err)
	}
	r := rs[0].Bindings["r"].([]any)
	if r[0] == true {
		return nil
	}
	var out []string
	for _, e := range r[1].([]any) {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}

// TestGoldenFactsMatchSchema: the recorded facts in testdata, and what Go writes, are
// valid documents of the schema.
func TestGoldenFactsMatchSchema(t *testing.T) {
	files, _ := filepath.Glob("../testdata/facts/pr-*.json")
	rego, _ := filepath.Glob("../testdata/rego/*/facts.json")
	files = append(files, rego...)
	if len(files) < 5 {
		t.Fatalf("only %d facts files", len(files))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if errs := matchSchema(t, data); len(errs) > 0 {
			t.Errorf("%s does not match policy/facts.schema.json:\n%s", file, strings.Join(errs, "\n"))
		}
	}
	for name, f := range map[string]Facts{"bench": benchFacts(), "base": baseFacts(), "empty": {}} {
		if errs := matchSchema(t, RegoInput(f)); len(errs) > 0 {
			t.Errorf("%s facts do not match the schema:\n%s", name, strings.Join(errs, "\n"))
		}
	}
	if errs := matchSchema(t, []byte(`{"repository": "a/b", "pull_request": {}, "ticket": 1}`)); len(errs) == 0 {
		t.Error("an unknown field must not match the schema")
	}
}
