package policy

import (
	"strconv"
	"strings"
	"testing"
)

// benchRegoPolicy is the example: two DBA approvals, over the large-PR facts.
var benchRegoPolicy = regoPolicy(exampleModule, "      params: {min: 2}\n      teams: [acme/payments-reviewers]\n")

// BenchmarkEvaluateRego evaluates one prepared rego requirement on the large-PR facts of
// BenchmarkEvaluate (50 commits, 20 reviews, 30 checks, 500 files): building OPA's input
// from the facts and running the query. Target: under 200µs (docs/performance.md).
func BenchmarkEvaluateRego(b *testing.B) {
	p := mustParse(b, benchRegoPolicy)
	f := benchFacts()
	if d := Evaluate(p, f); d.Outcome != OutcomeFail || !strings.Contains(d.Title, "needs 2 DBA approvals, has 0") {
		b.Fatalf("bench decision is %s: %s", d.Outcome, d.Title)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(p, f)
	}
}

// BenchmarkRegoInput is the part of BenchmarkEvaluateRego spent turning the facts into
// OPA's input value.
func BenchmarkRegoInput(b *testing.B) {
	f := benchFacts()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := factsValue(&f); err != nil {
			b.Fatal(err)
		}
	}
}

// bench100LineModule is a realistic module of about 100 lines: helpers, several deny
// and pending rules, comprehensions.
func bench100LineModule() string {
	var sb strings.Builder
	sb.WriteString(exampleModule)
	sb.WriteString("approvers contains r.user if { some r in input.reviews; r.state == \"APPROVED\" }\n")
	for i := 0; strings.Count(sb.String(), "\n") < 100; i++ {
		n := strconv.Itoa(i)
		sb.WriteString("# rule " + n + "\n")
		sb.WriteString("files_" + n + " := [f | some f in input.changed_files; startswith(f, \"pkg" + n + "/\")]\n")
		sb.WriteString("deny contains msg if {\n  count(files_" + n + ") > 0\n  count(approvers) < " + strconv.Itoa(i%3+1) + "\n")
		sb.WriteString("  msg := sprintf(\"pkg" + n + ": %d files need approvals\", [count(files_" + n + ")])\n}\n")
		sb.WriteString("pending contains \"pkg" + n + " waits for build\" if { some c in input.checks; c.name == \"build-" + n + "\"; c.status != \"completed\" }\n")
	}
	return sb.String()
}

// BenchmarkRegoPrepare100Lines is a cold parse, compile and prepare of a 100-line
// module: what a new policy version costs once, before the cache holds it.
func BenchmarkRegoPrepare100Lines(b *testing.B) {
	src := []byte(regoPolicy(bench100LineModule(), "      params: {min: 2}\n"))
	if _, err := Parse("bench.yml", src); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("bench.yml", src); err != nil {
			b.Fatal(err)
		}
	}
}
