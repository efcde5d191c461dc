package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yamlKeys lists every leaf key of Config as its dotted YAML path, from the struct's
// tags, so a key added to the struct is checked without touching this test.
func yamlKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" {
			out = append(out, yamlKeys(f.Type, prefix)...)
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration(0)) {
			out = append(out, yamlKeys(f.Type, key)...)
			continue
		}
		out = append(out, key)
	}
	return out
}

// nodeKeys lists the dotted leaf keys present in a YAML mapping.
func nodeKeys(n *yaml.Node, prefix string, out map[string]bool) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		nodeKeys(n.Content[0], prefix, out)
		return
	}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 { // a scalar, list or empty map is a value
		out[prefix] = true
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		if prefix != "" {
			key = prefix + "." + key
		}
		nodeKeys(n.Content[i+1], key, out)
	}
}

// Issue #17 point 8: foureyes.example.yml holds every server configuration key,
// commented; it parses; and its keys are exactly the README's configuration reference and
// the Config struct. A key added to Config without the two documents fails here.
func TestExampleConfigMatchesStructAndREADME(t *testing.T) {
	const example, readme = "../../foureyes.example.yml", "../../README.md"
	if _, err := Load(example, nil); err != nil {
		t.Fatalf("%s does not load: %v", example, err)
	}
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	inExample := map[string]bool{}
	nodeKeys(&doc, "", inExample)
	rd, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	inREADME := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_.]+)` \\|").FindAllStringSubmatch(string(rd), -1) {
		inREADME[m[1]] = true
	}
	commented := map[string]bool{}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if k, _, ok := strings.Cut(trimmed, ":"); ok && !strings.HasPrefix(trimmed, "#") && i > 0 &&
			(strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") || strings.Contains(l, " # ")) {
			commented[k] = true
		}
	}
	inStruct := map[string]bool{}
	for _, k := range yamlKeys(reflect.TypeOf(Config{}), "") {
		inStruct[k] = true
		if !inExample[k] {
			t.Errorf("config key %s is missing from foureyes.example.yml: add it there, with a comment saying what it does and its default, and to the README's configuration reference", k)
		}
		if !inREADME[k] {
			t.Errorf("config key %s is missing from the README's configuration reference table: add a row `| `%s` | `FOUREYES_...` | default | meaning |` (and the key to foureyes.example.yml)", k, k)
		}
		leaf := k[strings.LastIndex(k, ".")+1:]
		if inExample[k] && !commented[leaf] {
			t.Errorf("foureyes.example.yml: key %s has no comment (put one on the line above or after the value)", k)
		}
	}
	for k := range inExample {
		if !inStruct[k] {
			t.Errorf("foureyes.example.yml names %s, which is no configuration key", k)
		}
	}
	for k := range inREADME {
		if !inStruct[k] {
			t.Errorf("the README's configuration reference names %s, which is no configuration key", k)
		}
	}
}
