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

const deployPolicy = testPolicy + `deployments:
  - environments: [production]
    require: {approved_change: true}
`

// deployStore holds deployment decisions, each on its own SHA, recorded as the gate
// records them (facts with the gate options, the policy inputs by digest), and some that
// the engine does not give.
func deployStore(t *testing.T) (store.Store, store.ChainReader) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenChain(ctx, filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pt := st.(store.PolicyTexts)
	in := policy.PolicyInputs{Format: policy.InputsFormat, Path: ".github/foureyes.yml", Missing: "neutral",
		Files: []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: deployPolicy}}}
	p, err := in.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	if err := pt.PutPolicyText(ctx, p.Digest(), in.JSON()); err != nil {
		t.Fatal(err)
	}
	broken := in
	broken.Files = []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: "version: 1\ndeployments: {"}}
	_, berr := broken.Assemble()
	if err := pt.PutPolicyText(ctx, policy.InputsDigest(broken), broken.JSON()); err != nil || berr == nil {
		t.Fatal(err, berr)
	}
	facts := func(env, sha string) policy.DeploymentFacts {
		return policy.DeploymentFacts{Environment: env, SHA: sha, Deployer: "carol", Checks: []policy.Check{},
			PullRequests: []policy.DeployedPR{{Number: 7, Author: "alice", Merged: true, MergeOutcome: "pass", MergedHeadSHA: "h1",
				EvaluatedFresh: true, MergeCommitSHA: sha}}}
	}
	record := func(sha string, f policy.DeploymentFacts, opts *policy.DeploymentOptions, d policy.DeploymentDecision, digest string) store.Record {
		doc := map[string]any{"environment": f.Environment, "sha": f.SHA, "ref": f.Ref, "event": f.Event, "deployer": f.Deployer,
			"deployer_is_bot": f.DeployerIsBot, "pull_requests": f.PullRequests, "checks": f.Checks, "run_id": 5, "policy_ref": "main"}
		if opts != nil {
			doc["deployment_options"] = opts
		}
		if f.DirectPushes != nil { // recorded since the gate gathers them; absent before
			doc["direct_pushes"] = f.DirectPushes
		}
		b, _ := json.Marshal(doc)
		return store.Record{Kind: store.KindDeploymentDecision, Repository: "acme/pay", SHA: sha, Subject: "run:" + sha + "/env:" + f.Environment,
			Actor: "carol", Outcome: string(d.State), PolicyDigest: digest, Facts: b, Decision: d.JSON()}
	}
	none := &policy.DeploymentOptions{UnknownEnvironments: []string{}}
	strict := &policy.DeploymentOptions{UnknownEnvironments: []string{"prod*"}}
	approved := none.Decide(p, facts("production", "m1"))
	forged := none.Decide(p, policy.DeploymentFacts{Environment: "production", SHA: "m2"}) // no PR: rejected
	forged.State, forged.Outcome, forged.Reason = policy.DeploymentApproved, policy.OutcomePass, "approved by the board"
	unknown := strict.Decide(p, facts("prod-eu", "m3"))
	if unknown.State != policy.DeploymentRejected {
		t.Fatalf("unknown environment: %+v", unknown)
	}
	// A direct push in the deployed history: rejected until cleared by a review note,
	// approved once cleared. m9 is approved by an engine that ignored direct pushes.
	pushed := func(sha string, notes ...policy.DirectPushNote) policy.DeploymentFacts {
		f := facts("production", sha)
		f.DirectPushes = []policy.DeployedDirectPush{{SHA: "d1", Pusher: "mallory", ViolationSeq: 3, Commits: []string{"d1"},
			Notes: append([]policy.DirectPushNote{}, notes...)}}
		return f
	}
	cleared := pushed("m8", policy.DirectPushNote{Seq: 4, Author: "audrey", Disposition: policy.NoteExplained})
	blind := none.Decide(p, facts("production", "m9"))
	perr := policy.DeploymentErrorDecision("production", "m5", berr)
	perr.PolicyDigest = policy.InputsDigest(broken)
	for _, r := range []store.Record{
		record("m1", facts("production", "m1"), none, approved, p.Digest()),
		record("m2", policy.DeploymentFacts{Environment: "production", SHA: "m2", PullRequests: []policy.DeployedPR{}, Checks: []policy.Check{}}, none, forged, p.Digest()),
		record("m3", facts("prod-eu", "m3"), strict, unknown, p.Digest()),
		// The same rejection, recorded without the options it was decided with: the
		// engine approves an environment no rule names.
		record("m4", facts("prod-eu", "m4"), none, strict.Decide(p, facts("prod-eu", "m4")), p.Digest()),
		record("m5", facts("production", "m5"), none, perr, perr.PolicyDigest),
		record("m6", facts("production", "m6"), nil, none.Decide(p, facts("production", "m6")), p.Digest()),
		record("m7", pushed("m7"), none, none.Decide(p, pushed("m7")), p.Digest()),
		record("m8", cleared, none, none.Decide(p, cleared), p.Digest()),
		record("m9", pushed("m9"), none, blind, p.Digest()),
	} {
		if _, err := st.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return st, st
}

func TestDeploymentReperformance(t *testing.T) {
	st, src := deployStore(t)
	for _, tc := range []struct {
		name, sha   string
		reperformed int
		want, note  string
	}{
		{name: "approved deployment re-derived", sha: "m1", reperformed: 1},
		{name: "a recorded approval the engine does not give", sha: "m2", reperformed: 1, want: "re-performed decision differs"},
		{name: "unknown environment rejected under the recorded options", sha: "m3", reperformed: 1},
		{name: "recorded options that do not give the decision", sha: "m4", reperformed: 1, want: "recorded rejected, re-performed approved"},
		{name: "policy error re-derived", sha: "m5", reperformed: 1},
		{name: "recorded without options: a note", sha: "m6", note: "names no deployment gate options"},
		{name: "a direct push in the history, rejected, re-derived", sha: "m7", reperformed: 1},
		{name: "a direct push cleared by a note, approved, re-derived", sha: "m8", reperformed: 1},
		{name: "an approval that ignored a recorded direct push", sha: "m9", reperformed: 1, want: "recorded approved, re-performed rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePackage(context.Background(), &buf, src, ChangeQuery{Repo: "acme/pay", SHA: tc.sha}, PackageOptions{Policies: st.(PolicyTexts)}); err != nil {
				t.Fatal(err)
			}
			res := verifyBytes(t, buf.Bytes(), "")
			got := strings.Join(res.Problems, "\n")
			if tc.want == "" && !res.OK() || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q, want %q", res.Problems, tc.want)
			}
			if res.Reperformed != tc.reperformed {
				t.Errorf("re-performed %d decisions, want %d (notes %v)", res.Reperformed, tc.reperformed, res.Notes)
			}
			if tc.note != "" && !strings.Contains(strings.Join(res.Notes, "\n"), tc.note) {
				t.Errorf("notes %q, want %q", res.Notes, tc.note)
			}
		})
	}
}
