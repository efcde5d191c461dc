package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/policy"
)

// Result is one test: a Rego `test_` rule or a YAML case.
type Result struct {
	Kind   string // "rego" or "case"
	Name   string
	Where  string // FILE:LINE
	Pass   bool
	Skip   bool
	Reason string // why it failed
}

// Summary counts the results.
type Summary struct {
	Results             []Result
	RegoTests, Cases    int
	Passed, Failed, Skp int
}

// ErrNothingToTest is returned for a directory with no .rego test and no case file.
var ErrNothingToTest = errors.New("no Rego test rules and no *_test.yml case files found")

// Run finds, under dir, every .rego file (run as Rego unit tests together) and every
// case file (*_test.yml, *.test.yml, or .yaml), and runs them. An error is a directory that
// cannot be read, a module or case file that does not parse, or nothing to test; test
// failures are in the Summary.
func Run(ctx context.Context, dir string, timeout time.Duration) (Summary, error) {
	var s Summary
	modules := map[string]string{}
	var caseFiles []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != dir && (n == ".git" || n == "node_modules" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		switch n := d.Name(); {
		case strings.HasSuffix(n, ".rego"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			modules[path] = string(b)
		case isCaseFile(n):
			caseFiles = append(caseFiles, path)
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	if hasTests(modules) {
		tests, err := policy.RunRegoTests(ctx, modules, timeout)
		if err != nil {
			return s, err
		}
		for _, t := range tests {
			r := Result{Kind: "rego", Name: t.Package + "." + t.Name, Where: fmt.Sprintf("%s:%d", t.File, t.Line), Pass: t.Pass, Skip: t.Skip}
			if !t.Pass && !t.Skip {
				r.Reason = "the rule is false or undefined"
				if t.Error != "" {
					r.Reason = t.Error
				}
			}
			s.add(r)
			s.RegoTests++
		}
	}
	slices.Sort(caseFiles)
	for _, file := range caseFiles {
		results, err := runCaseFile(file)
		if err != nil {
			return s, err
		}
		for _, r := range results {
			s.add(r)
			s.Cases++
		}
	}
	if len(s.Results) == 0 {
		return s, ErrNothingToTest
	}
	return s, nil
}

func (s *Summary) add(r Result) {
	s.Results = append(s.Results, r)
	switch {
	case r.Skip:
		s.Skp++
	case r.Pass:
		s.Passed++
	default:
		s.Failed++
	}
}

// Line is the summary line printed after the results.
func (s Summary) Line() string {
	verdict := "PASS"
	if s.Failed > 0 {
		verdict = "FAIL"
	}
	line := fmt.Sprintf("%s: %d passed, %d failed", verdict, s.Passed, s.Failed)
	if s.Skp > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skp)
	}
	return line + fmt.Sprintf(" (%d Rego tests, %d cases)", s.RegoTests, s.Cases)
}

// isCaseFile says whether a file name is a YAML case file: *_test.yml, *.test.yml (or .yaml).
func isCaseFile(name string) bool {
	for _, suffix := range []string{"_test.yml", "_test.yaml", ".test.yml", ".test.yaml"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

func hasTests(modules map[string]string) bool {
	for _, src := range modules {
		if strings.Contains(src, "test_") {
			return true
		}
	}
	return false
}

// testCase is one YAML-driven case: paths are relative to the case file.
type testCase struct {
	Name     string `yaml:"name"`
	Policy   string `yaml:"policy"`
	Baseline string `yaml:"baseline"`
	Facts    string `yaml:"facts"`
	Outcome  string `yaml:"outcome"` // pass, fail, pending or error
	Title    string `yaml:"title"`   // optional: the decision's title must contain it
}

// caseFile is the YAML of a case file: a list of cases, or one case at the top level.
type caseFile struct {
	Cases    []testCase `yaml:"cases"`
	testCase `yaml:",inline"`
}

func runCaseFile(file string) ([]Result, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cf caseFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key would silently test nothing
	if err := dec.Decode(&cf); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var node yaml.Node
	_ = yaml.Unmarshal(data, &node)
	lines := caseLines(&node)
	if len(cf.Cases) == 0 && cf.Policy != "" { // a file that is one case
		cf.Cases, lines = []testCase{cf.testCase}, []int{1}
		if cf.Cases[0].Name == "" {
			cf.Cases[0].Name = filepath.Base(file)
		}
	}
	dir := filepath.Dir(file)
	var out []Result
	for i, c := range cf.Cases {
		where := file
		if i < len(lines) {
			where = fmt.Sprintf("%s:%d", file, lines[i])
		}
		switch c.Outcome {
		case "pass", "fail", "pending", "error":
		default:
			return nil, fmt.Errorf("%s: case %q: outcome must be pass, fail, pending or error, got %q", where, c.Name, c.Outcome)
		}
		if c.Name == "" || c.Policy == "" || c.Facts == "" {
			return nil, fmt.Errorf("%s: a case needs name, policy and facts", where)
		}
		d, err := decide(under(dir, c.Policy), c.Baseline, dir, under(dir, c.Facts))
		if err != nil {
			return nil, fmt.Errorf("%s: case %q: %w", where, c.Name, err)
		}
		r := Result{Kind: "case", Name: c.Name, Where: where, Pass: true}
		if string(d.Outcome) != c.Outcome {
			r.Pass, r.Reason = false, fmt.Sprintf("outcome %s, want %s: %s", d.Outcome, c.Outcome, d.Title)
		} else if c.Title != "" && !strings.Contains(d.Title, c.Title) {
			r.Pass, r.Reason = false, fmt.Sprintf("title %q does not contain %q", d.Title, c.Title)
		}
		out = append(out, r)
	}
	return out, nil
}

// caseLines finds the line of each item of the cases list.
func caseLines(doc *yaml.Node) []int {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "cases" {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

// decide evaluates a policy (merged with an optional baseline, with its `file:` Rego
// modules read from disk) against a facts file. A policy that does not parse is an
// error decision, as on the server.
func decide(policyFile, baseline, dir, factsFile string) (policy.Decision, error) {
	f, err := readFacts(factsFile)
	if err != nil {
		return policy.Decision{}, err
	}
	load := func(file string) (*policy.Policy, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		p, err := policy.Parse(file, data)
		if err != nil {
			return nil, err
		}
		return evaluate.AttachRegoFromDisk(file, p)
	}
	var base *policy.Policy
	if baseline != "" {
		if base, err = load(under(dir, baseline)); err != nil {
			return decisionOrErr(err)
		}
	}
	repo, err := load(policyFile)
	if err != nil {
		return decisionOrErr(err)
	}
	p, err := policy.Merge(base, repo)
	if err != nil {
		return decisionOrErr(err)
	}
	return policy.Evaluate(p, f), nil
}

// under resolves a path of a case file: relative to the case file's directory.
func under(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

func decisionOrErr(err error) (policy.Decision, error) {
	var perr policy.Errors
	if errors.As(err, &perr) {
		return policy.ErrorDecision(err), nil
	}
	return policy.Decision{}, err
}

func readFacts(file string) (policy.Facts, error) {
	var f policy.Facts
	data, err := os.ReadFile(file)
	if err != nil {
		return f, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("facts %s: %w", file, err)
	}
	return f, nil
}
