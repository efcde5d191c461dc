package policy

import (
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// benchPolicy has 3 rules with branch and path globs, like a busy monorepo.
const benchPolicy = `version: 1
rules:
  - name: production code
    branches: [main, "release/**"]
    paths: ["services/**", "**/*.go"]
    ignore_paths: ["docs/**", "**/*.md"]
    approvals:
      count: 2
      from: {teams: [acme/payments-reviewers, acme/platform], permission: write}
    checks:
      - build
      - {name: lint, app: github-actions}
      - ci/legacy
    ticket:
      pattern: '[A-Z][A-Z0-9]+-[0-9]+'
      in: [title, body, branch, commits]
  - name: migrations
    branches: [main]
    paths: ["db/migrations/**"]
    approvals: {count: 2}
  - name: infra
    branches: ["**"]
    paths: ["infra/{prod,stage}/**/*.tf"]
    approvals: {count: 1, from: {users: [ops1, ops2]}}
    checks: [terraform-plan]
`

func benchFacts() Facts {
	f := Facts{
		Repository: "acme/payments",
		PullRequest: PullRequest{Number: 9, Title: "big change", Body: strings.Repeat("words ", 200), Author: "alice",
			Base: GitRef{Ref: "main", SHA: "b0"}, Head: GitRef{Ref: "feature/big", SHA: "h49"}},
		Users: make(map[string]User, 20),
	}
	for i := 0; i < 50; i++ {
		s := "h" + strconv.Itoa(i)
		f.Commits = append(f.Commits, Commit{SHA: s, Author: "dev" + strconv.Itoa(i%5), Committer: "web-flow",
			CoAuthors: []string{"pair" + strconv.Itoa(i%3)}, Message: "commit " + s + " for PAY-" + strconv.Itoa(i)})
		if i%5 == 0 {
			f.Pushes = append(f.Pushes, Push{After: s, Pusher: "dev" + strconv.Itoa(i%5), At: "2026-11-20T10:00:00Z"})
		}
	}
	for i := 0; i < 20; i++ {
		u := "rev" + strconv.Itoa(i%12)
		state := "APPROVED"
		if i%7 == 3 {
			state = "COMMENTED"
		}
		f.Reviews = append(f.Reviews, Review{ID: int64(i), User: u, State: state, CommitID: "h49", SubmittedAt: "2026-11-20T11:" + strconv.Itoa(10+i) + ":00Z"})
		f.Users[u] = User{Permission: "write", Teams: []string{"acme/payments-reviewers"}}
	}
	for i := 0; i < 30; i++ {
		name := "job" + strconv.Itoa(i)
		switch i {
		case 3:
			name = "build"
		case 7, 8:
			name = "lint"
		case 11:
			name = "terraform-plan"
		}
		f.Checks = append(f.Checks, Check{Name: name, Source: "check_run", App: "github-actions", Status: "completed", Conclusion: "success",
			ID: int64(i), UpdatedAt: "2026-11-20T10:" + strconv.Itoa(10+i) + ":00Z"})
	}
	f.Checks = append(f.Checks[:29], Check{Name: "ci/legacy", Source: "status", State: "success", Creator: "jenkins", ID: 99})
	for i := 0; i < 500; i++ {
		dir := []string{"docs/", "web/", "services/pay/", "lib/"}[i%4]
		ext := []string{".md", ".ts", ".go", ".txt"}[i%4]
		f.ChangedFiles = append(f.ChangedFiles, dir+"f"+strconv.Itoa(i)+ext)
	}
	return f
}

func BenchmarkEvaluate(b *testing.B) {
	p := mustParse(b, benchPolicy)
	f := benchFacts()
	if d := Evaluate(p, f); d.Outcome != OutcomePass {
		b.Fatalf("bench decision is %s: %s", d.Outcome, d.Title)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(p, f)
	}
}

func bench100Lines() []byte {
	var sb strings.Builder
	sb.WriteString(benchPolicy)
	for i := 0; sb.Len() > 0 && strings.Count(sb.String(), "\n") < 100; i++ {
		sb.WriteString("  - name: extra " + strconv.Itoa(i) + "\n    branches: [main]\n    paths: [\"pkg" + strconv.Itoa(i) + "/**\"]\n    checks: [build]\n")
	}
	return []byte(sb.String())
}

// BenchmarkParse parses a policy of about 100 lines.
func BenchmarkParse(b *testing.B) {
	src := bench100Lines()
	if _, err := Parse("bench.yml", src); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.yml", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecisionJSON(b *testing.B) {
	d := Evaluate(mustParse(b, benchPolicy), benchFacts())
	b.ReportAllocs()
	for b.Loop() {
		d.JSON()
	}
}

// BenchmarkYAMLNodeFloor is the part of BenchmarkParse spent in yaml.v3 building the
// node tree, which Parse cannot avoid (it needs the positions): the rest is ours.
func BenchmarkYAMLNodeFloor(b *testing.B) {
	src := bench100Lines()
	b.ReportAllocs()
	for b.Loop() {
		var n yaml.Node
		if err := yaml.Unmarshal(src, &n); err != nil {
			b.Fatal(err)
		}
	}
}
