package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGoldenRego evaluates each testdata/rego/<case>/foureyes.yml (its `file:` modules
// read from the same directory) against the case's facts.json; the decisions are in
// testdata/golden/decision-rego-<case>.json. The cases are the issue's: DBA approvals on
// migrations, a weekend rule, a path-scoped team approval, a revert rule, a ticket type.
func TestGoldenRego(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/rego/*/foureyes.yml")
	if len(dirs) < 5 {
		t.Fatalf("want at least 5 rego cases, found %d", len(dirs))
	}
	want := map[string]Outcome{"migrations": OutcomeFail, "weekend": OutcomeFail, "payments": OutcomePass, "revert": OutcomePending, "ticket-type": OutcomeFail}
	for _, file := range dirs {
		dir := filepath.Dir(file)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse("foureyes.yml", data)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, path := range p.RegoFiles() {
				if files[path], err = os.ReadFile(filepath.Join(dir, path)); err != nil {
					t.Fatal(err)
				}
			}
			if p, err = p.WithRegoFiles(files); err != nil {
				t.Fatal(err)
			}
			d := Evaluate(p, loadJSON[Facts](t, "../rego/"+name+"/facts.json"))
			if w, ok := want[name]; ok && d.Outcome != w {
				t.Errorf("outcome %s, want %s: %s", d.Outcome, w, d.Title)
			}
			checkGolden(t, "decision-rego-"+name+".json", d.JSON())
		})
	}
}
