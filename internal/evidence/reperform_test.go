package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

const testPolicy = `version: 1
rules:
  - name: review
    branches: [main]
    approvals:
      count: 1
`

// reperformStore holds two decisions made under a stored policy: one recorded as the
// engine makes it, one whose recorded decision the engine does not give.
func reperformStore(t *testing.T) (store.Store, store.ChainReader) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenChain(ctx, filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := policy.PolicyInputs{Format: policy.InputsFormat, Path: ".github/foureyes.yml", Missing: "neutral",
		Files: []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: testPolicy}}}
	p, err := in.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.(store.PolicyTexts).PutPolicyText(ctx, p.Digest(), in.JSON()); err != nil {
		t.Fatal(err)
	}
	f := policy.Facts{Repository: "acme/pay", PullRequest: policy.PullRequest{Number: 7, Author: "alice", Base: policy.GitRef{Ref: "main"}, Head: policy.GitRef{SHA: "h1"}},
		Reviews: []policy.Review{{User: "bob", State: "APPROVED", CommitID: "h1"}}, Users: map[string]policy.User{"bob": {Permission: "write"}}}
	factsJSON, _ := json.Marshal(f)
	d := policy.DecidePR(policy.PRInput{Policy: p, Missing: "neutral", Path: in.Path, Facts: f})
	forged := d
	forged.Outcome, forged.Title = policy.OutcomePass, "approved by the board"
	missing := policy.DecidePR(policy.PRInput{Missing: "neutral", Path: in.Path, Facts: f})
	_ = st.(store.PolicyTexts).PutPolicyText(ctx, policy.MissingDigest("neutral"),
		policy.PolicyInputs{Format: policy.InputsFormat, Path: in.Path, Missing: "neutral", Files: []policy.PolicyFile{}}.JSON())
	broken := policy.PolicyInputs{Format: policy.InputsFormat, Path: in.Path, Missing: "neutral",
		Files: []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: "version: 1\nrules: {"}}}
	_, berr := broken.Assemble()
	if berr == nil {
		t.Fatal("the broken policy assembles")
	}
	_ = st.(store.PolicyTexts).PutPolicyText(ctx, policy.InputsDigest(broken), broken.JSON())
	perr := policy.ErrorDecision(berr)
	forgedErr := perr
	forgedErr.Title = "policy error: none"
	for _, r := range []store.Record{
		{Kind: store.KindPolicyError, Repository: "acme/pay", PR: 10, SHA: "h1", Outcome: "error", PolicyDigest: policy.InputsDigest(broken), Decision: perr.JSON()},
		{Kind: store.KindPolicyError, Repository: "acme/pay", PR: 11, SHA: "h1", Outcome: "error", PolicyDigest: policy.InputsDigest(broken), Decision: forgedErr.JSON()},
		{Kind: store.KindPRDecision, Repository: "acme/pay", PR: 7, SHA: "h1", Outcome: string(d.Outcome), PolicyDigest: p.Digest(), Facts: factsJSON, Decision: d.JSON()},
		{Kind: store.KindPRDecision, Repository: "acme/pay", PR: 8, SHA: "h1", Outcome: string(forged.Outcome), PolicyDigest: p.Digest(), Facts: factsJSON, Decision: forged.JSON()},
		{Kind: store.KindPRDecision, Repository: "acme/pay", PR: 9, SHA: "h1", Outcome: string(missing.Outcome), PolicyDigest: policy.MissingDigest("neutral"), Facts: factsJSON, Decision: missing.JSON()},
	} {
		if _, err := st.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return st, st
}

func packageWithPolicies(t *testing.T, st store.Store, src store.ChainReader, pr int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePackage(context.Background(), &buf, src, ChangeQuery{Repo: "acme/pay", PR: pr}, PackageOptions{Policies: st.(PolicyTexts)}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReperformance(t *testing.T) {
	st, src := reperformStore(t)
	for _, tc := range []struct {
		name        string
		pr          int
		tamper      func(map[string][]byte)
		reperformed int
		want        string
	}{
		{name: "decision re-derived", pr: 7, reperformed: 1},
		{name: "no policy: re-derived", pr: 9, reperformed: 1},
		{name: "policy error: re-derived", pr: 10, reperformed: 1},
		{name: "policy error recorded otherwise", pr: 11, reperformed: 1, want: "re-performed decision differs"},
		{name: "a recorded decision the engine does not give", pr: 8, reperformed: 1, want: "re-performed decision differs"},
		{name: "policy text changed", pr: 7, want: "not the recorded policy", tamper: func(f map[string][]byte) {
			for name, b := range f {
				if strings.HasPrefix(name, "policies/") {
					f[name] = bytes.Replace(b, []byte("count: 1"), []byte("count: 2"), 1)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := packageWithPolicies(t, st, src, tc.pr)
			if tc.tamper != nil {
				files := unzip(t, b)
				tc.tamper(files)
				b = rezip(t, files, true)
			}
			res := verifyBytes(t, b, "")
			got := strings.Join(res.Problems, "\n")
			if tc.want == "" && !res.OK() || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q, want %q", res.Problems, tc.want)
			}
			if res.Reperformed != tc.reperformed {
				t.Errorf("re-performed %d decisions, want %d (notes %v)", res.Reperformed, tc.reperformed, res.Notes)
			}
		})
	}
}
