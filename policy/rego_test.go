package policy

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// regoPolicy wraps an inline module (indented under `module: |`) in a policy with one
// rule; extra is added to the rego section.
func regoPolicy(module, extra string) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n  - name: rego rule\n    rego:\n")
	b.WriteString(extra)
	b.WriteString("      module: |\n")
	for _, l := range strings.Split(strings.TrimRight(module, "\n"), "\n") {
		b.WriteString("        " + l + "\n")
	}
	return b.String()
}

const exampleModule = `package foureyes.migrations
import rego.v1
deny contains msg if { count(dba_approvals) < data.params.min; msg := sprintf("needs %d DBA approvals, has %d", [data.params.min, count(dba_approvals)]) }
dba_approvals := {r.user | some r in input.reviews; r.state == "APPROVED"; "acme/dbas" in input.users[r.user].teams}
`

func regoRequirement(t *testing.T, src string, f Facts) RequirementResult {
	t.Helper()
	p := mustParse(t, src)
	d := Evaluate(p, f)
	for _, q := range d.Rules[0].Requirements {
		if q.Kind == KindRego {
			return q
		}
	}
	t.Fatalf("no rego requirement in %+v", d.Rules[0])
	return RequirementResult{}
}

func TestRegoOutcomes(t *testing.T) {
	dbas := func(f Facts, n int) Facts {
		for i, u := range []string{"bob", "carol", "dave"}[:n] {
			f.Reviews = append(f.Reviews, rev(int64(i+1), u, "APPROVED", sha3, "11:00:00"))
			f.Users[u] = User{Permission: "write", Teams: []string{"acme/dbas"}}
		}
		return f
	}
	cases := []struct {
		name, module, extra string
		facts               Facts
		status              Status
		reason              string
	}{
		{"example denies", exampleModule, "      params: {min: 2}\n      teams: [acme/dbas]\n", dbas(baseFacts(), 1), StatusFail, "needs 2 DBA approvals, has 1"},
		{"example passes", exampleModule, "      params: {min: 2}\n", dbas(baseFacts(), 2), StatusPass, "data.foureyes.migrations denies nothing"},
		{"pending", "package p\npending contains \"waiting for release window\" if input.pull_request.number > 0\ndeny contains \"x\" if false",
			"", baseFacts(), StatusPending, "waiting for release window"},
		{"deny wins over pending", "package p\npending contains \"wait\"\ndeny contains \"no\"", "", baseFacts(), StatusFail, "no"},
		{"deny objects sorted", "package p\ndeny contains {\"msg\": \"b\"}\ndeny contains {\"msg\": \"a\", \"evidence\": [\"e1\"]}", "", baseFacts(), StatusFail, "a; b"},
		{"explicit query", "package x.y\ndeny contains \"q\"", "      query: data.x.y\n", baseFacts(), StatusFail, "q"},
		// Fail-closed paths.
		{"undefined complete rule", "package p\ndeny := {\"x\"} if false", "", baseFacts(), StatusFail, "data.p is undefined"},
		{"runtime error", "package p\ndeny contains msg if { msg := sprintf(\"%d\", [to_number(input.pull_request.title)]) }", "", baseFacts(), StatusFail, "to_number"},
		{"conflict", "package p\nx := 1\nx := 2 if true\ndeny contains \"d\" if x == 1", "", baseFacts(), StatusFail, "conflict"},
		{"wrong shape", "package p\ndeny contains 7", "", baseFacts(), StatusFail, "data.p.deny contains a number"},
		{"object without msg", "package p\ndeny contains {\"text\": \"x\"}", "", baseFacts(), StatusFail, "without a msg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := regoRequirement(t, regoPolicy(tc.module, tc.extra), tc.facts)
			if q.Status != tc.status || !strings.Contains(q.Reason, tc.reason) {
				t.Fatalf("got %s %q, want %s containing %q", q.Status, q.Reason, tc.status, tc.reason)
			}
		})
	}
}

func TestRegoEvidence(t *testing.T) {
	q := regoRequirement(t, regoPolicy("package p\ndeny contains {\"msg\": \"m\", \"evidence\": [\"e1\", {\"subject\": \"bob\", \"sha\": \"abc\", \"text\": \"approved\"}]}", ""), baseFacts())
	want := []Evidence{{Kind: EvidenceRegoDeny, Subject: "data.p", Text: "m"}, {Kind: EvidenceRego, Text: "e1"}, {Kind: EvidenceRego, Subject: "bob", SHA: "abc", Text: "approved"}}
	if len(q.Evidence) != len(want) {
		t.Fatalf("evidence %+v", q.Evidence)
	}
	for i := range want {
		if q.Evidence[i] != want[i] {
			t.Errorf("evidence[%d] = %+v, want %+v", i, q.Evidence[i], want[i])
		}
	}
}

func TestRegoTimeoutFailsClosed(t *testing.T) {
	if RegoTimeout() != 100*time.Millisecond {
		t.Fatalf("default timeout %s, want 100ms", RegoTimeout())
	}
	SetRegoTimeout(20 * time.Millisecond)
	defer SetRegoTimeout(0)
	loop := "package p\ndeny contains \"never\" if {\n  some i in numbers.range(1, 100000)\n  some j in numbers.range(1, 100000)\n  i * j < 0\n}"
	q := regoRequirement(t, regoPolicy(loop, ""), baseFacts())
	if q.Status != StatusFail || !strings.Contains(q.Reason, "timed out after 20ms") {
		t.Fatalf("got %s %q", q.Status, q.Reason)
	}
}

// TestRegoValidationErrors: every problem of a rego section is a FILE:LINE:COL error,
// inline modules pointing at the line inside the policy file.
func TestRegoValidationErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		// Line 6 is the module's first line; http.send is on the module's third line.
		{"forbidden http.send", regoPolicy("package p\nimport rego.v1\ndeny contains x if { x := http.send({\"url\": \"https://e\", \"method\": \"get\"}) }", ""), "p.yml:8:"},
		{"forbidden time.now_ns", regoPolicy("package p\ndeny contains \"late\" if time.now_ns() > 0", ""), "p.yml:7:"},
		{"forbidden rand", regoPolicy("package p\ndeny contains \"r\" if rand.intn(\"x\", 10) > 5", ""), "undefined function rand.intn"},
		{"forbidden uuid", regoPolicy("package p\ndeny contains uuid.rfc4122(\"x\")", ""), "undefined function uuid.rfc4122"},
		{"forbidden opa.runtime", regoPolicy("package p\ndeny contains \"r\" if opa.runtime()", ""), "undefined function opa.runtime"},
		{"forbidden net", regoPolicy("package p\ndeny contains \"r\" if net.lookup_ip_addr(\"x\")", ""), "undefined function net.lookup_ip_addr"},
		{"syntax error", regoPolicy("package p\ndeny contains if {", ""), "p.yml:7:"},
		{"column inside the file", regoPolicy("package p\ndeny contains \"x\" if { y }", ""), "p.yml:7:32: rego: var y is unsafe"},
		{"neither deny nor pending", regoPolicy("package p\nallow := true", ""), "p.yml:6:9: rego: data.p defines neither deny nor pending"},
		{"query not a data ref", regoPolicy("package p\ndeny contains \"x\"", "      query: input.x\n"), "p.yml:5:14: rego.query must be a reference into data"},
		{"query without the sets", regoPolicy("package p\ndeny contains \"x\"", "      query: data.other\n"), "p.yml:5:14: rego: data.other defines neither"},
		{"module and file", regoPolicy("package p\ndeny contains \"x\"", "      file: a.rego\n"), "p.yml:5:13: rego has both module and file"},
		{"neither module nor file", "version: 1\nrules:\n  - name: r\n    rego: {query: data.p}\n", "p.yml:4:11: rego needs a module"},
		{"bad file path", "version: 1\nrules:\n  - name: r\n    rego: {file: ../x.rego}\n", "rego.file must be a clean path inside the repository"},
		{"not a rego file", "version: 1\nrules:\n  - name: r\n    rego: {file: x.yml}\n", "rego.file must name a .rego file"},
		{"bad team", regoPolicy("package p\ndeny contains \"x\"", "      teams: [dbas]\n"), "team \"dbas\" must be in org/slug form"},
		{"params not a mapping", regoPolicy("package p\ndeny contains \"x\"", "      params: [1]\n"), "rego.params must be a mapping"},
		{"unknown key", regoPolicy("package p\ndeny contains \"x\"", "      modul: x\n"), "unknown key \"modul\" in rego"},
		{"empty module", "version: 1\nrules:\n  - name: r\n    rego: {module: \" \"}\n", "rego.module must not be empty"},
		{"rego v0 syntax", regoPolicy("package p\ndeny[\"x\"] { true }", ""), "p.yml:7:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q\n%s", err, tc.want, tc.src)
			}
		})
	}
}

func TestRegoFileModules(t *testing.T) {
	src := "version: 1\nrules:\n  - name: r\n    rego:\n      file: .github/foureyes/m.rego\n      params: {who: bob}\n"
	p := mustParse(t, src)
	if got := p.RegoFiles(); len(got) != 1 || got[0] != ".github/foureyes/m.rego" {
		t.Fatalf("RegoFiles = %v", got)
	}
	// Not attached: fails closed.
	if q := Evaluate(p, baseFacts()).Rules[0].Requirements[0]; q.Status != StatusFail || !strings.Contains(q.Reason, "was not loaded") {
		t.Fatalf("unattached: %+v", q)
	}
	if _, err := p.WithRegoFiles(nil); err == nil || !strings.Contains(err.Error(), "test.yml:5:13: rego.file .github/foureyes/m.rego does not exist") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := p.WithRegoFiles(map[string][]byte{".github/foureyes/m.rego": []byte("package m\n\ndeny contains x if {\n  x := http.send({})\n}\n")}); err == nil ||
		!strings.Contains(err.Error(), ".github/foureyes/m.rego:4:") {
		t.Fatalf("error in file: %v", err)
	}
	mod := func(body string) map[string][]byte {
		return map[string][]byte{".github/foureyes/m.rego": []byte("package m\ndeny contains \"" + body + "\" if data.params.who == input.pull_request.author\n")}
	}
	a, err := p.WithRegoFiles(mod("one"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.WithRegoFiles(mod("two"))
	if a.Digest() == b.Digest() || a.Digest() == p.Digest() {
		t.Fatal("the module's text must count in the digest")
	}
	f := baseFacts()
	f.PullRequest.Author = "bob"
	if q := Evaluate(a, f).Rules[0].Requirements[0]; q.Status != StatusFail || q.Reason != "one" {
		t.Fatalf("attached: %+v", q)
	}
	if len(a.RegoFiles()) != 0 || len(p.RegoFiles()) != 1 {
		t.Fatal("WithRegoFiles must not modify its receiver")
	}
}

// TestBaselineRegoCannotBeRemoved: a repository cannot drop or rename away a baseline
// rule carrying Rego, and the baseline's module still judges the change.
func TestBaselineRegoCannotBeRemoved(t *testing.T) {
	base := mustParse(t, regoPolicy("package org\ndeny contains \"org says no\" if input.pull_request.author == \"alice\"", ""))
	repo := mustParse(t, regoPolicy("package repo\ndeny contains \"x\" if false", ""))
	if _, err := Merge(base, repo); err == nil || !strings.Contains(err.Error(), "defined by the org baseline") {
		t.Fatalf("same-named repo rule: %v", err)
	}
	other := mustParse(t, "version: 1\nrules:\n  - name: lenient\n    approvals: {count: 1}\n")
	m, err := Merge(base, other)
	if err != nil {
		t.Fatal(err)
	}
	d := Evaluate(m, baseFacts())
	if d.Outcome != OutcomeFail || d.Rules[0].Origin != OriginBaseline || d.Rules[0].Reason != "org says no" {
		t.Fatalf("baseline rego must still apply: %+v", d)
	}
}

func TestRegoTeamsAndUsers(t *testing.T) {
	p := mustParse(t, regoPolicy("package p\ndeny contains \"x\" if false", "      teams: [acme/dbas, acme/a]\n"))
	if got := strings.Join(p.Teams(), ","); got != "acme/a,acme/dbas" {
		t.Fatalf("Teams = %s", got)
	}
	f := baseFacts()
	f.Reviews = []Review{rev(1, "bob", "APPROVED", sha3, "11:00:00")}
	if got := p.RelevantUsers(f); len(got) != 1 || got[0] != "bob" {
		t.Fatalf("RelevantUsers = %v", got)
	}
}

func TestRegoDeterministic(t *testing.T) {
	p := mustParse(t, regoPolicy("package p\ndeny contains sprintf(\"file %s\", [f]) if some f in input.changed_files", ""))
	f := baseFacts()
	f.ChangedFiles = []string{"z", "a", "m"}
	first := string(Evaluate(p, f).JSON())
	for range 5 {
		if got := string(Evaluate(p, f).JSON()); got != first {
			t.Fatalf("decision changed between runs:\n%s\n%s", first, got)
		}
	}
	if !strings.Contains(first, "file a; file m; file z") {
		t.Fatalf("messages not in sorted order: %s", first)
	}
}

// FuzzRegoSection: whatever a rule's rego section holds, Parse reports errors with
// positions inside the file and never panics; what parses evaluates without panicking
// and with a known status.
func FuzzRegoSection(f *testing.F) {
	f.Add(exampleModule, "", "{min: 2}")
	f.Add("package p\ndeny contains \"x\"", "data.p", "{}")
	f.Add("package p\npending contains x if x := input.pull_request.title", "data.q", "{a: [1, {b: c}]}")
	f.Add("package p\ndeny[x] { x := 1 }", "input", "[1]")
	f.Add("package p\ndeny contains http.send({})", "data.p", "{1: 2}")
	f.Fuzz(func(t *testing.T, module, query, params string) {
		src := regoPolicy(module, "      query: "+strconvQuote(query)+"\n      params: "+params+"\n")
		p, err := Parse("f.yml", []byte(src))
		if err != nil {
			lines := strings.Count(src, "\n") + 1
			for _, e := range err.(Errors) {
				if e.File != "f.yml" || e.Line < 1 || e.Line > lines+1 || e.Col < 1 {
					t.Fatalf("error outside the file: %+v\n%s", e, src)
				}
			}
			return
		}
		switch q := Evaluate(p, baseFacts()).Rules[0].Requirements[0]; q.Status {
		case StatusPass, StatusFail, StatusPending:
		default:
			t.Fatalf("status %q", q.Status)
		}
	})
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// TestFactsValueIsTheJSON: the input a module reads is exactly the Facts JSON that
// --show-input prints, for every facts file in testdata and the benchmark's facts.
func TestFactsValueIsTheJSON(t *testing.T) {
	all := map[string]Facts{"bench": benchFacts(), "base": baseFacts(), "empty": {}}
	files, _ := filepath.Glob("../testdata/facts/pr-*.json")
	cases, _ := filepath.Glob("../testdata/rego/*/facts.json")
	for _, file := range append(files, cases...) {
		rel, _ := filepath.Rel("../testdata/facts", file)
		all[file] = loadJSON[Facts](t, rel)
	}
	for name, f := range all {
		got, err := factsValue(&f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ast.ValueFromReader(bytes.NewReader(RegoInput(f)))
		if err != nil {
			t.Fatal(err)
		}
		if got.Compare(want) != 0 {
			t.Errorf("%s: the Rego input differs from the Facts JSON:\n got %v\nwant %v", name, got, want)
		}
	}
}

// TestRegoInputKeys: a module gets only the top-level fields it names, unless it reads
// input as a whole or by a computed key; either way it decides the same.
func TestRegoInputKeys(t *testing.T) {
	cases := []struct {
		module string
		keys   []string
	}{
		{exampleModule, []string{"reviews", "users"}},
		{"package p\ndeny contains \"x\" if count(input.changed_files) > 1", []string{"changed_files"}},
		{"package p\ndeny contains \"x\" if count(object.keys(input)) > 1", nil},
		{"package p\ndeny contains k if { some k in [\"reviews\"]; count(input[k]) > 0 }", nil},
		{"package p\ndeny contains \"x\" if false", []string{}},
	}
	for _, tc := range cases {
		p := mustParse(t, regoPolicy(tc.module, "      params: {min: 1}\n"))
		got := p.Rules[0].Rego.prepared.inputKeys
		if (got == nil) != (tc.keys == nil) || strings.Join(got, ",") != strings.Join(tc.keys, ",") {
			t.Errorf("%q: keys %v, want %v", tc.module, got, tc.keys)
		}
	}
	// The partial input answers like the whole one.
	whole := mustParse(t, regoPolicy("package p\ndeny contains sprintf(\"%d %d\", [count(input.reviews), count(object.keys(input))])", ""))
	part := mustParse(t, regoPolicy("package p\ndeny contains sprintf(\"%d\", [count(input.reviews)])", ""))
	f := benchFacts()
	if a, b := Evaluate(whole, f).Title, Evaluate(part, f).Title; !strings.HasPrefix(a, b+" ") {
		t.Errorf("whole %q, partial %q", a, b)
	}
}
