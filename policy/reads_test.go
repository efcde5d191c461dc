package policy

import (
	"reflect"
	"testing"
)

func TestReads(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Reads
	}{
		{name: "checks of every rule, sorted, once", src: `version: 1
rules:
  - name: a
    branches: [main]
    checks: [test, {name: build, app: github-actions}]
  - name: b
    branches: ["release/**"]
    checks: [build, e2e]
`, want: Reads{Checks: []string{"build", "e2e", "test"}}},
		{name: "ticket places and paths", src: `version: 1
rules:
  - name: a
    paths: ["src/**"]
    ticket:
      pattern: 'PAY-[0-9]+'
      in: [title, commits]
`, want: Reads{Checks: []string{}, Title: true, Commits: true, Files: true}},
		{name: "ignore_paths, body, branch", src: `version: 1
rules:
  - name: a
    ignore_paths: ["docs/**"]
    ticket:
      pattern: 'PAY-[0-9]+'
      in: [body, branch]
`, want: Reads{Checks: []string{}, Body: true, Branch: true, Files: true}},
		{name: "approvals only", src: `version: 1
rules:
  - name: a
    approvals: {count: 1}
`, want: Reads{Checks: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.src).Reads()
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Reads() = %+v, want %+v", got, tt.want)
			}
			for _, c := range tt.want.Checks {
				if !got.RequiresCheck(c) {
					t.Errorf("RequiresCheck(%q) = false", c)
				}
			}
			if got.RequiresCheck("lint") {
				t.Errorf("RequiresCheck(lint) = true for a check no rule names")
			}
		})
	}
	if got := (*Policy)(nil).Reads(); len(got.Checks) != 0 || got.Title || got.Files {
		t.Errorf("nil policy reads %+v", got)
	}
}

func TestListedChecks(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - name: a
    checks: [build, {name: test, app: github-actions}]
`)
	f := baseFacts()
	f.Checks = []Check{run(1, "build", "github-actions", "completed", "success", "10:00:00"), run(2, "test", "other", "completed", "success", "10:00:00")}
	got := Evaluate(p, f).ListedChecks()
	want := map[string]string{"build": "success", "test": "absent"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListedChecks() = %v, want %v", got, want)
	}
}
